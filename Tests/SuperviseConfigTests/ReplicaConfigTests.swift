import SuperviseConfig
import SuperviseCore
import Testing

@Suite("replicas: a process unit that is a service of NAME-1 … NAME-N")
struct ReplicaConfigTests {
    @Test("replicas: 3 gives the units worker-1 … worker-3 at the unit's place, with the defaults of a Deployment")
    func minimal() throws {
        let config = try ConfigLoader.parse(yaml: """
            units:
              api: {command: [api]}
              worker:
                command: [agent-sim, --port, "{port}", --name, "worker-{replica}"]
                replicas: 3
                port: 8080
              db: {command: [db]}
            """, file: testFile)
        #expect(config.units.map(\.name) == ["api", "worker-1", "worker-2", "worker-3", "db"])
        #expect(config.units[1...3].map(\.service) == ["worker", "worker", "worker"])
        let template = UnitSpec(name: "worker", command: ["agent-sim", "--port", "{port}", "--name", "worker-{replica}"])
        #expect(config.services == [ProcessService(name: "worker", template: template, basePort: 8080,
                                                   settings: ReplicaSettings(replicas: 3))])
        let settings = try #require(config.services.first?.settings)
        #expect(settings.maxSurge == 1 && settings.progressDeadline == .seconds(600) && settings.autoscale == nil)
        #expect(config.units[2].command == ["agent-sim", "--port", "8082", "--name", "worker-2"])
        #expect(config.units[3].command == ["agent-sim", "--port", "8083", "--name", "worker-3"])
    }

    @Test("a file without replicas has no services, and its units are as before")
    func none() throws {
        let config = try ConfigLoader.parse(yaml: unitA(""), file: testFile)
        #expect(config.services == [])
        #expect(config.units == [UnitSpec(name: "a", command: ["x"])])
    }

    @Test("{replica} and {port} are filled in the command, env, working_dir, probes and drain; nothing else")
    func expansionEverywhere() throws {
        let config = try ConfigLoader.parse(yaml: """
            defaults:
              env: {PATH: /bin, WORKER_PORT: "{port}"}
              readiness: {tcp: {host: "127.0.0.{replica}", port: "{port}"}}
            units:
              worker:
                command: [sh, -c, "exec agent-sim --port {port} --id ${replica} ${port} {replica}{replica}"]
                env: {ID: "w-{replica}", LITERAL: "{Replica} {ports} $${port}"}
                working_dir: /srv/worker-{replica}
                replicas: 2
                port: 9000
                liveness:
                  http: {url: "http://127.0.0.1:{port}/healthz?r={replica}", headers: {X-Replica: "{replica}"}}
                drain:
                  http: "http://127.0.0.1:{port}/drain"
                  progress: {url: "http://127.0.0.1:{port}/worker", field: "{replica}"}
              checker:
                command: [x]
                replicas: 1
                port: 7000
                readiness: {exec: [check, "--port={port}", "--replica={replica}"]}
                liveness: {tcp: "{port}"}
            """, file: testFile)
        let worker = try #require(config.services.first)
        #expect(worker.template.command[2].contains("{port}"))
        var expected = UnitSpec(
            name: "worker-2",
            command: ["sh", "-c", "exec agent-sim --port 9002 --id ${replica} ${port} 22"],
            environment: ["PATH": "/bin", "WORKER_PORT": "9002", "ID": "w-2", "LITERAL": "{Replica} {ports} $${port}"],
            workingDirectory: "/srv/worker-2",
            liveness: ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:9002/healthz?r=2",
                                                       headers: ["X-Replica": "{replica}"]))),
            readiness: ProbeSpec(check: .tcp(host: "127.0.0.2", port: 9002)))
        expected.drain = DrainSpec(start: .http(url: "http://127.0.0.1:9002/drain"),
                                   progress: DrainProgress(url: "http://127.0.0.1:9002/worker", field: "{replica}"))
        #expect(worker.unit(replica: 2) == expected)
        #expect(config.units.first { $0.name == "worker-2" } == expected)
        #expect(config.units.first { $0.name == "worker-1" }?.environment["WORKER_PORT"] == "9001")

        let checker = try #require(config.units.first { $0.name == "checker-1" })
        #expect(checker.readiness?.check == .exec(command: ["check", "--port=7001", "--replica=1"]))
        #expect(checker.liveness?.check == .tcp(host: "127.0.0.1", port: 7001))
        // The template keeps {port} of a tcp probe as the placeholder port.
        #expect(config.services[1].template.liveness?.check
            == .tcp(host: "127.0.0.1", port: ProcessService.tcpPortPlaceholder))
    }

    @Test("max_surge and progress_deadline are read; the count's replicas are made, more on demand")
    func rolloutKeys() throws {
        let config = try ConfigLoader.parse(yaml: """
            units:
              worker:
                command: [agent-sim, "{replica}"]
                replicas: 2
                max_surge: 3
                progress_deadline: 90s
                max_unavailable: 2
            """, file: testFile)
        let service = try #require(config.services.first)
        #expect(service.settings == ReplicaSettings(replicas: 2, maxSurge: 3, progressDeadline: .seconds(90)))
        #expect(service.basePort == nil && service.highestReplica == nil)
        #expect(service.template.maxUnavailable == 2)
        #expect(config.units.map(\.name) == ["worker-1", "worker-2"])
        #expect(service.unit(replica: 7).name == "worker-7")
        #expect(service.unit(replica: 7).command == ["agent-sim", "7"])
    }

    @Test("a replicated unit depends on others, and each replica waits as the unit would")
    func dependencies() throws {
        let config = try ConfigLoader.parse(yaml: """
            units:
              redis: {command: [redis-server]}
              worker:
                command: [agent-sim]
                replicas: 2
                depends_on: {redis: {condition: service_healthy}}
            """, file: testFile)
        for name in ["worker-1", "worker-2"] {
            #expect(config.units.first { $0.name == name }?.dependsOn == [DependencySpec("redis", condition: .healthy)])
        }
    }

    @Test("compose entries carry replica settings; replicas left out is the count Compose made")
    func composeEntries() throws {
        let config = try ConfigLoader.parse(yaml: """
            containers:
              worker:
                compose: worker
                replicas: 4
                max_surge: 2
                progress_deadline: 5m
              api:
                compose: api
              cache:
                label: app=cache
              redis:
                container: redis
            """, file: testFile)
        #expect(config.containers.map(\.replicas) == [
            ReplicaSettings(replicas: 4, maxSurge: 2, progressDeadline: .seconds(300)), ReplicaSettings(), nil, nil,
        ])
        #expect(config.units.isEmpty && config.services.isEmpty)
    }
}
