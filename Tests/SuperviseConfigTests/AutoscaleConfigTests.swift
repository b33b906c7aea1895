import SuperviseConfig
import SuperviseCore
import Testing

@Suite("autoscale: KEDA's triggers and the HPA's behaviour")
struct AutoscaleConfigTests {
    /// The example, under a process unit and a compose entry.
    static let example = """
          autoscale:
            min: 2
            max: 20
            queue: {redis: 127.0.0.1:6379, list: call-queue, target: 5}   # KEDA listLength: ceil(length / target)
            active_calls: {target: 10}                                     # the ADR's 1 worker per ~10 calls
            interval: 2s
            scale_down: {stabilization: 5m}
        """

    static let exampleSpec = AutoscaleSpec(
        min: 2, max: 20, queue: QueueTrigger(redis: .tcp(host: "127.0.0.1", port: 6379), list: "call-queue", target: 5),
        activeCalls: ActiveCallsTrigger(target: 10), interval: .seconds(2),
        scaleDown: ScaleDownPolicy(stabilization: .seconds(300)))

    @Test("the issue's example parses under a process unit, which starts at min replicas")
    func exampleOnProcesses() throws {
        let config = try ConfigLoader.parse(yaml: """
            units:
              worker:
                command: [agent-sim, --port, "{port}"]
                port: 8080
                drain: {progress: "http://127.0.0.1:{port}/worker"}
            """ + "\n" + Self.example.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n",
            file: testFile)
        let service = try #require(config.services.first)
        #expect(service.settings == ReplicaSettings(replicas: 2, autoscale: Self.exampleSpec))
        #expect(config.units.map(\.name) == ["worker-1", "worker-2"])
        #expect(config.units[1].drain?.progress?.url == "http://127.0.0.1:8082/worker")
    }

    @Test("the issue's example parses under a compose entry, which keeps the count Compose made")
    func exampleOnCompose() throws {
        let config = try ConfigLoader.parse(yaml: """
            containers:
              worker:
                compose: worker
                drain: {progress: "http://127.0.0.1:8081/worker", network: container}
            """ + "\n" + Self.example.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n",
            file: testFile)
        #expect(config.containers.first?.replicas == ReplicaSettings(autoscale: Self.exampleSpec))
    }

    @Test("defaults: min 1, every 15s, the HPA's scale-up (4 pods or 100 % per 15s, at once) and 5 min down")
    func defaults() throws {
        let config = try ConfigLoader.parse(yaml: """
            units:
              worker:
                command: [agent-sim]
                autoscale: {max: 5, queue: {redis: "unix:/run/redis.sock", list: calls}}
            """, file: testFile)
        let autoscale = try #require(config.services.first?.settings.autoscale)
        #expect(autoscale == AutoscaleSpec(max: 5, queue: QueueTrigger(redis: .unix(path: "/run/redis.sock"),
                                                                       list: "calls")))
        #expect(autoscale.min == 1 && autoscale.interval == .seconds(15) && autoscale.activeCalls == nil)
        #expect(autoscale.scaleUp == ScaleUpPolicy(pods: 4, percent: 100, period: .seconds(15), stabilization: .zero))
        #expect(autoscale.scaleDown.stabilization == .seconds(300))
        let queue = try #require(autoscale.queue)
        #expect(queue.target == 5 && queue.activation == 0 && queue.db == 0 && queue.timeout == .seconds(1))
        #expect(queue.username == nil && queue.password == nil)
        #expect(config.services.first?.replicas == 1)
        #expect(config.units.map(\.name) == ["worker-1"])
    }

    @Test("every key: the queue's connection as a queue's, the HPA's policy, and a start count within min and max")
    func everyKey() throws {
        let config = try ConfigLoader.parse(yaml: """
            units:
              worker:
                command: [agent-sim]
                replicas: 4
                drain: {progress: "http://127.0.0.1:808{replica}/worker"}
                autoscale:
                  min: 3
                  max: 12
                  queue:
                    redis: "[::1]:6380"
                    list: voice:calls
                    db: 2
                    username: supervise
                    password_env: REDIS_PASSWORD
                    target: 8
                    activation: 3
                    timeout: 250ms
                  active_calls: {target: 12}
                  interval: 30s
                  scale_up: {pods: 2, percent: 50, period: 1m, stabilization: 10s}
                  scale_down: {stabilization: 0s}
            """, file: testFile)
        #expect(config.services.first?.settings == ReplicaSettings(replicas: 4, autoscale: AutoscaleSpec(
            min: 3, max: 12,
            queue: QueueTrigger(redis: .tcp(host: "::1", port: 6380), list: "voice:calls", db: 2, username: "supervise",
                                password: .environment(variable: "REDIS_PASSWORD"), target: 8, activation: 3,
                                timeout: .milliseconds(250)),
            activeCalls: ActiveCallsTrigger(target: 12), interval: .seconds(30),
            scaleUp: ScaleUpPolicy(pods: 2, percent: 50, period: .seconds(60), stabilization: .seconds(10)),
            scaleDown: ScaleDownPolicy(stabilization: .zero))))
        #expect(config.units.count == 4)
    }

    @Test("the queue trigger is read as a queue: its password file, and a spec for the queue reader")
    func queueTriggerAsQueue() throws {
        let config = try ConfigLoader.parse(yaml: """
            units:
              worker:
                command: [agent-sim]
                autoscale:
                  max: 3
                  queue: {redis: 127.0.0.1:6379, list: call-queue, password_file: /etc/supervise/redis.pass}
            """, file: testFile)
        let trigger = try #require(config.services.first?.settings.autoscale?.queue)
        #expect(trigger.password == .file(path: "/etc/supervise/redis.pass"))
        #expect(trigger.queueSpec(name: "worker", interval: .seconds(15)) == QueueSpec(
            name: "worker", redis: .tcp(host: "127.0.0.1", port: 6379), list: "call-queue",
            password: .file(path: "/etc/supervise/redis.pass"), interval: .seconds(15), timeout: .seconds(1)))
    }
}
