import SuperviseCore
import Testing

@Suite("Replicas: placeholders, expansion and the autoscaler's formulas")
struct ReplicaTests {
    @Test("only the exact tokens are placeholders, and not after a $")
    func placeholderTokens() {
        let replica = ReplicaPlaceholder.replica
        #expect(replica.fill("w-{replica}", with: "3") == "w-3")
        #expect(replica.fill("{replica}{replica}-{replica}", with: "12") == "1212-12")
        #expect(replica.fill("${replica} $${replica} {replica}", with: "2") == "${replica} $${replica} 2")
        #expect(replica.fill("{Replica} {replicas} {replica", with: "2") == "{Replica} {replicas} {replica")
        #expect(replica.occurs(in: "a{replica}") && !replica.occurs(in: "${replica}") && !replica.occurs(in: ""))
        #expect(ReplicaPlaceholder.port.occurs(in: "x${port}{port}"))
        #expect(ReplicaPlaceholder.port.fill("x${port}{port}", with: "8081") == "x${port}8081")
    }

    @Test("a replica is the template named NAME-N, with {replica} and {port} filled in every listed place")
    func unitOfReplica() {
        var template = UnitSpec(name: "w", command: ["run", "{port}", "${port}"], environment: ["R": "{replica}"],
                                workingDirectory: "/srv/{replica}",
                                liveness: ProbeSpec(check: .tcp(host: "10.0.0.{replica}",
                                                                port: ProcessService.tcpPortPlaceholder)),
                                readiness: ProbeSpec(check: .exec(command: ["check", "{port}"])))
        template.drain = DrainSpec(start: .http(url: "http://h:{port}/drain"),
                                   progress: DrainProgress(url: "http://h:{port}/worker?r={replica}"))
        let service = ProcessService(name: "w", template: template, basePort: 7000,
                                     settings: ReplicaSettings(replicas: 2))
        let unit = service.unit(replica: 5)
        #expect(unit.name == "w-5" && unit.service == "w")
        #expect(unit.command == ["run", "7005", "${port}"])
        #expect(unit.environment == ["R": "5"])
        #expect(unit.workingDirectory == "/srv/5")
        #expect(unit.liveness?.check == .tcp(host: "10.0.0.5", port: 7005))
        #expect(unit.readiness?.check == .exec(command: ["check", "7005"]))
        #expect(unit.drain?.start == .http(url: "http://h:7005/drain"))
        #expect(unit.drain?.progress?.url == "http://h:7005/worker?r=5")
        #expect(service.units.map(\.name) == ["w-1", "w-2"])
        #expect(service.replicas == 2 && service.highestReplica == 58535)
        #expect(service.unitName(replica: 12) == "w-12")
        // Without a base port, {port} stays as written.
        let portless = ProcessService(name: "w", template: template, settings: ReplicaSettings(replicas: 1))
        #expect(portless.unit(replica: 1).command == ["run", "{port}", "${port}"])
        #expect(portless.highestReplica == nil)
    }

    @Test("a Compose entry's replicas fill {replica} as before; {port} is left alone")
    func containerFilling() {
        let selector = ContainerSelector(
            key: "worker", match: .compose(project: nil, service: "worker"),
            template: UnitSpec(name: "worker", kind: .container, command: [],
                               liveness: ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:808{replica}/{port}")))),
            replicas: ReplicaSettings(replicas: 3))
        #expect(selector.spec(name: "worker-2", replica: 2).liveness?.check
            == .http(HTTPCheck(url: "http://127.0.0.1:8082/{port}")))
        #expect(selector.replicas?.configuredMaximum == 3)
    }

    @Test("the queue trigger is KEDA's listLength: ⌈length / target⌉, nothing at or below the activation")
    func queueTrigger() {
        let trigger = QueueTrigger(redis: .tcp(host: "127.0.0.1", port: 6379), list: "call-queue", target: 5)
        #expect([0, 1, 5, 6, 10, 11, 50].map(trigger.desiredReplicas(length:)) == [0, 1, 1, 2, 2, 3, 10])
        var activated = trigger
        activated.activation = 10
        #expect([0, 10, 11, 50].map(activated.desiredReplicas(length:)) == [0, 0, 3, 10])
    }

    @Test("the live-calls trigger wants ⌈calls / target⌉ replicas")
    func activeCallsTrigger() {
        let trigger = ActiveCallsTrigger(target: 10)
        #expect([-1, 0, 1, 10, 11, 95].map(trigger.desiredReplicas(liveCalls:)) == [0, 0, 1, 1, 2, 10])
    }

    @Test("scale-up per period: the larger of +pods and +percent, as the HPA's default policy; clamped to min…max")
    func scaleUpLimit() {
        let hpa = ScaleUpPolicy()
        #expect([0, 1, 2, 4, 10].map(hpa.limit(from:)) == [4, 5, 6, 8, 20])
        let slow = ScaleUpPolicy(pods: 1, percent: 50)
        #expect([1, 3, 4].map(slow.limit(from:)) == [2, 5, 6])
        #expect(ScaleUpPolicy(pods: Int.max, percent: 100).limit(from: 3) == Int.max)
        #expect(ScaleUpPolicy(pods: 1, percent: Int.max).limit(from: 3) == Int.max)
        let autoscale = AutoscaleSpec(min: 2, max: 20, activeCalls: ActiveCallsTrigger(target: 10))
        #expect([0, 2, 7, 20, 21].map(autoscale.clamped) == [2, 2, 7, 20, 20])
        #expect(autoscale.interval == .seconds(15) && autoscale.scaleDown.stabilization == .seconds(300))
    }
}
