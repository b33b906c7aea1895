import Testing
@testable import SuperviseCore

/// A replicated worker service `worker` (a drain contract with a progress URL, so live calls are known).
func workerService(replicas: Int, autoscale: AutoscaleSpec? = nil, readiness: Bool = false, maxUnavailable: Int = 1,
                   maxSurge: Int = 1, progressDeadline: Duration = .seconds(600)) -> ProcessService {
    var template = worker("worker", maxUnavailable: maxUnavailable)
    template.command = ["agent-sim", "--port", "{port}"]
    if readiness { template.readiness = ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:{port}/"))) }
    return ProcessService(name: "worker", template: template, basePort: 8100,
                          settings: ReplicaSettings(replicas: replicas, maxSurge: maxSurge, progressDeadline: progressDeadline,
                                                    autoscale: autoscale))
}

extension Harness {
    init(services: [ProcessService], units: [UnitSpec] = [], seed: UInt64 = 1) {
        self.init([], seed: seed)
        core = Supervisor(config: SupervisorConfig(units: units + services.flatMap(\.units), services: services), seed: seed)
    }

    /// Names of the service's replicas the core knows, in its order.
    func replicas(_ service: String = "worker") -> [String] {
        core.units.map(\.name).filter { $0.hasPrefix(service + "-") }
    }

    /// Replicas running and in service (ready when they have a readiness probe).
    func inService(_ service: String = "worker") -> [String] {
        core.units.filter { $0.name.hasPrefix(service + "-") && core.isBackInService($0) && $0.drain == nil && !$0.retired }.map(\.name)
    }

    @discardableResult
    mutating func scale(_ service: String = "worker", to count: Int) -> CommandOutcome {
        let (outcome, fx) = core.scale(service: service, to: count, now: now)
        absorb(fx)
        return outcome
    }

    @discardableResult
    mutating func rollout(_ service: String = "worker") -> CommandOutcome {
        let (outcome, fx) = core.rollout(service: service, image: nil, now: now)
        absorb(fx)
        return outcome
    }

    /// Every live replica reports `calls` live calls, except those given in `except`.
    mutating func calls(_ counts: [String: Int]) {
        for (name, n) in counts { progress(name, calls: n) }
    }

    /// `name`'s readiness probe passes.
    mutating func ready(_ name: String) {
        let g = effects.reversed().lazy.compactMap { e -> UInt64? in
            if case .startProbe(name, .readiness, let g, _) = e { return g } else { return nil }
        }.first
        guard let g else { Issue.record("\(name) has no readiness probe"); return }
        send(.probeResult(unit: name, role: .readiness, generation: g, result: ProbeResult(healthy: true, latency: .zero)))
    }

    /// A draining replica's calls end and it exits.
    mutating func finishDrain(_ name: String) {
        progress(name, calls: 0)
        exit(name, .exited(code: 0))
    }

    func signalled(_ name: String) -> Bool { signals.contains { $0.unit == name } }
}

@Suite struct ScaleTests {
    @Test func aServiceStartsItsConfiguredReplicasWithTheirPorts() {
        var h = Harness(services: [workerService(replicas: 3)])
        h.boot()
        #expect(h.spawns == ["worker-1", "worker-2", "worker-3"])
        #expect(h.core.unit("worker-2")?.spec.command == ["agent-sim", "--port", "8102"])
        #expect(h.core.scaling["worker"]?.desired == 3)
    }

    @Test func scalingUpAddsTheLowestFreeReplicas() {
        var h = Harness(services: [workerService(replicas: 2)])
        h.boot()
        guard case .accepted = h.scale(to: 4) else { Issue.record("refused"); return }
        #expect(h.replicas() == ["worker-1", "worker-2", "worker-3", "worker-4"])
        #expect(h.phase("worker-4") == .running)
        #expect(h.core.unit("worker-4")?.spec.command == ["agent-sim", "--port", "8104"])
        #expect(h.scale(to: 4) == .unchanged("worker already runs 4 replicas"))
    }

    @Test func scalingDownDrainsTheReplicasWithTheFewestCallsAndRemovesThemOnceEmpty() {
        var h = Harness(services: [workerService(replicas: 4)])
        h.boot()
        h.calls(["worker-1": 2, "worker-2": 0, "worker-3": 5, "worker-4": 1])
        h.scale(to: 2)
        // worker-2 (0 calls) and worker-4 (1) drain; the busier ones are not touched.
        #expect(h.phase("worker-2") == .draining && h.phase("worker-4") == .draining)
        #expect(!h.signalled("worker-1") && !h.signalled("worker-3"))
        #expect(h.signals.filter { $0.unit == "worker-4" }.count == 1)
        // worker-4's call ends before the deadline: nothing is cut, and it is gone once empty.
        h.advance(.seconds(20))
        h.finishDrain("worker-4")
        h.finishDrain("worker-2")
        #expect(h.replicas() == ["worker-1", "worker-3"])
        #expect(h.core.unit("worker-1")?.phase == .running)
        let drains = h.effects.compactMap { e -> Measurement? in if case .measure(let m) = e { return m } else { return nil } }
        for case .drainEnded(_, let end, _, let cut) in drains { #expect(end == .done && cut == 0) }
        // Scaling up again takes the freed numbers.
        h.scale(to: 3)
        #expect(h.replicas() == ["worker-1", "worker-2", "worker-3"])
    }

    @Test func anAutoscaledServiceRefusesAManualCountUntilPaused() {
        let auto = AutoscaleSpec(min: 2, max: 20, activeCalls: ActiveCallsTrigger(target: 10))
        var h = Harness(services: [workerService(replicas: 2, autoscale: auto)])
        h.boot()
        guard case .refused(let why) = h.scale(to: 5) else { Issue.record("accepted"); return }
        #expect(why.contains("supervise autoscale pause worker"))
        let (paused, fx) = h.core.setAutoscalePaused(service: "worker", true, now: h.now)
        h.absorb(fx)
        #expect(paused == .accepted("autoscaling of worker paused at 2 replicas; `supervise scale` sets the count"))
        guard case .accepted = h.scale(to: 5) else { Issue.record("refused while paused"); return }
        #expect(h.replicas().count == 5)
        // A paused autoscaler ignores readings.
        h.send(.autoscaleReading(service: "worker", AutoscaleReading()))
        #expect(h.core.scaling["worker"]?.desired == 5)
    }

    @Test func theAutoscalerFollowsTheQueueWithinTheScaleUpPolicyAndWaitsOutTheScaleDownWindow() {
        let queue = QueueTrigger(redis: .tcp(host: "127.0.0.1", port: 6379), list: "call-queue", target: 5)
        let auto = AutoscaleSpec(min: 2, max: 20, queue: queue, interval: .seconds(2))
        var h = Harness(services: [workerService(replicas: 2, autoscale: auto)])
        h.boot()
        // A burst of 50: 10 wanted; the HPA's default policy allows max(2 + 4, 2 × 2) = 6 in the first 15 s.
        h.send(.autoscaleReading(service: "worker", AutoscaleReading(queueLength: 50)))
        #expect(h.core.scaling["worker"]?.desired == 6)
        #expect(h.replicas().count == 6)
        h.now = h.now + .seconds(2)
        h.send(.autoscaleReading(service: "worker", AutoscaleReading(queueLength: 50)))
        #expect(h.core.scaling["worker"]?.desired == 6, "still within the period that began at 2")
        h.now = h.now + .seconds(14)
        h.send(.autoscaleReading(service: "worker", AutoscaleReading(queueLength: 50)))
        #expect(h.core.scaling["worker"]?.desired == 10)
        #expect(h.replicas().count == 10)
        // The queue empties: 0 proposed, 2 (min) recommended, but nothing leaves for 5 minutes.
        for _ in 0..<149 {
            h.now = h.now + .seconds(2)
            h.send(.autoscaleReading(service: "worker", AutoscaleReading(queueLength: 0)))
        }
        #expect(h.core.scaling["worker"]?.desired == 10)
        #expect(!h.core.units.contains { $0.phase == UnitPhase.draining })
        h.now = h.now + .seconds(4)
        h.send(.autoscaleReading(service: "worker", AutoscaleReading(queueLength: 0)))
        #expect(h.core.scaling["worker"]?.desired == 2)
        // One drain at a time (max_unavailable 1).
        #expect(h.core.units.filter { $0.phase == UnitPhase.draining }.count == 1)
        for _ in 0..<8 {
            guard let leaving = h.core.units.first(where: { $0.phase == UnitPhase.draining })?.name else { break }
            h.finishDrain(leaving)
        }
        #expect(h.replicas().count == 2)
    }

    @Test func aQueueThatCannotBeReadHoldsTheCountAndSaysSo() {
        let queue = QueueTrigger(redis: .tcp(host: "127.0.0.1", port: 6379), list: "call-queue", target: 5)
        let auto = AutoscaleSpec(min: 2, max: 20, queue: queue, scaleDown: ScaleDownPolicy(stabilization: .zero))
        var h = Harness(services: [workerService(replicas: 2, autoscale: auto)])
        h.boot()
        h.send(.autoscaleReading(service: "worker", AutoscaleReading(queueLength: 20)))
        #expect(h.core.scaling["worker"]?.desired == 4)
        h.now = h.now + .seconds(30)
        h.send(.autoscaleReading(service: "worker", AutoscaleReading(queueError: "connection refused (127.0.0.1:6379)")))
        #expect(h.core.scaling["worker"]?.desired == 4, "no scale-down without the metric")
        #expect(h.core.scaling["worker"]?.autoscaleProblem?.contains("connection refused") == true)
        #expect(h.logEvents.filter { $0 == "-:autoscale-blind" }.count == 1)
        h.send(.autoscaleReading(service: "worker", AutoscaleReading(queueError: "connection refused (127.0.0.1:6379)")))
        #expect(h.logEvents.filter { $0 == "-:autoscale-blind" }.count == 1, "said once")
        h.send(.autoscaleReading(service: "worker", AutoscaleReading(queueLength: 0)))
        #expect(h.core.scaling["worker"]?.autoscaleProblem == nil)
        #expect(h.core.scaling["worker"]?.desired == 2)
    }

    @Test func aRolloutAddsNewReplicasFirstAndNeverDropsBelowTheCount() {
        var h = Harness(services: [workerService(replicas: 3, readiness: true)])
        h.boot()
        for name in ["worker-1", "worker-2", "worker-3"] { h.ready(name) }
        h.calls(["worker-1": 3, "worker-2": 1, "worker-3": 2])
        let oldPids = Set(h.replicas().compactMap(h.pid))
        guard case .accepted = h.rollout() else { Issue.record("refused"); return }
        var lowest = h.inService().count
        var steps = 0
        while h.core.scaling["worker"]?.rollout != nil && steps < 20 {
            steps += 1
            // New replicas come into service; old ones finish their calls.
            for name in h.replicas() where h.phase(name) == .running && !(h.core.unit(name).map(h.core.isBackInService) ?? false) {
                h.ready(name)
                lowest = min(lowest, h.inService().count)
            }
            for name in h.replicas() where h.phase(name) == .draining {
                h.finishDrain(name)
                lowest = min(lowest, h.inService().count)
            }
        }
        #expect(h.core.scaling["worker"]?.rollout == nil)
        #expect(lowest >= 3, "capacity dropped to \(lowest)")
        // Every replica is a new process (numbers freed by the old ones are taken again, lowest first).
        #expect(Set(h.replicas().compactMap(h.pid)).isDisjoint(with: oldPids))
        #expect(h.replicas().count == 3)
        // The first replaced was the one with the fewest calls.
        let drained = h.effects.compactMap { e -> String? in
            if case .log(let r) = e, r.event == "replica-removing" { return r.unit } else { return nil }
        }
        #expect(drained.first == "worker-2")
        #expect(h.logEvents.contains("-:rollout-done"))
    }

    @Test func aNewReplicaThatNeverComesIntoServiceAbortsTheRollout() {
        var h = Harness(services: [workerService(replicas: 2, readiness: true, progressDeadline: .seconds(60))])
        h.boot()
        h.ready("worker-1")
        h.ready("worker-2")
        h.rollout()
        #expect(h.replicas() == ["worker-1", "worker-2", "worker-3"])
        h.advance(.seconds(61))
        #expect(h.logEvents.contains("-:rollout-abort"))
        // The new one drains away; the old ones were never touched.
        #expect(h.phase("worker-3") == .draining)
        h.finishDrain("worker-3")
        #expect(h.core.scaling["worker"]?.rollout == nil)
        #expect(h.replicas() == ["worker-1", "worker-2"])
        #expect(!h.signalled("worker-1") && !h.signalled("worker-2"))
    }

    @Test func theCountAndARolloutSurviveADaemonRestart() {
        var h = Harness(services: [workerService(replicas: 2, readiness: true)])
        h.boot()
        h.ready("worker-1")
        h.ready("worker-2")
        h.scale(to: 3)
        h.ready("worker-3")
        h.rollout()
        #expect(h.replicas().count == 4)
        let saved = h.core.persistedState(bootID: "b", now: h.now)
        #expect(saved.services?["worker"]?.members == [1, 2, 3, 4])

        // A new daemon: the file still says 2.
        var next = Harness(services: [workerService(replicas: 2, readiness: true)])
        next.now = h.now + .seconds(1)
        let alive = Set(h.replicas())
        next.absorb(next.core.boot(now: next.now, persisted: saved, alive: alive))
        #expect(next.replicas() == ["worker-1", "worker-2", "worker-3", "worker-4"])
        #expect(next.spawns.isEmpty, "every replica adopted, none started")
        #expect(next.core.scaling["worker"]?.desired == 3)
        #expect(next.core.scaling["worker"]?.rollout?.new.keys.sorted() == ["worker-4"])
    }

    @Test func aReloadKeepsTheCountUnlessTheFilesCountChanged() {
        var h = Harness(services: [workerService(replicas: 2)])
        h.boot()
        h.scale(to: 4)
        h.send(.reload(SupervisorConfig(units: workerService(replicas: 2).units, services: [workerService(replicas: 2)])))
        #expect(h.core.scaling["worker"]?.desired == 4)
        #expect(h.replicas().count == 4)
        h.send(.reload(SupervisorConfig(units: workerService(replicas: 3).units, services: [workerService(replicas: 3)])))
        #expect(h.core.scaling["worker"]?.desired == 3)
        #expect(h.core.units.filter { $0.name.hasPrefix("worker-") && !$0.retired }.count == 3)
    }
}

@Suite struct ScaleReloadTests {
    @Test func aChangedTemplateRollsTheServiceOutNewReplicasFirst() {
        var h = Harness(services: [workerService(replicas: 2, readiness: true)])
        h.boot()
        h.ready("worker-1")
        h.ready("worker-2")
        var changed = workerService(replicas: 2, readiness: true)
        changed.template.environment = ["MODEL": "v2"]
        h.send(.reload(SupervisorConfig(units: changed.units, services: [changed])))
        // Nothing is stopped before a new replica is in service.
        #expect(h.signals.isEmpty)
        #expect(h.replicas() == ["worker-1", "worker-2", "worker-3"])
        #expect(h.core.unit("worker-3")?.activeSpec.environment["MODEL"] == "v2")
        var steps = 0
        while h.core.scaling["worker"]?.rollout != nil && steps < 10 {
            steps += 1
            for name in h.replicas() where h.phase(name) == .running && !(h.core.unit(name).map(h.core.isBackInService) ?? false) { h.ready(name) }
            for name in h.replicas() where h.phase(name) == .draining { h.finishDrain(name) }
            #expect(h.inService().count >= 2)
        }
        #expect(h.core.scaling["worker"]?.rollout == nil)
        #expect(h.core.units.filter { $0.name.hasPrefix("worker-") }.allSatisfy { $0.activeSpec.environment["MODEL"] == "v2" })
    }
}

@Suite struct AutoscalerReasonTests {
    @Test func theReasonNamesTheProposalsTheBoundsAndTheLimits() {
        let queue = QueueTrigger(redis: .tcp(host: "127.0.0.1", port: 6379), list: "call-queue", target: 5)
        let spec = AutoscaleSpec(min: 2, max: 8, queue: queue)
        var memory = AutoscaleMemory()
        let up = Autoscaler.decide(spec, current: 2, reading: AutoscaleReading(queueLength: 100), liveCalls: nil,
                                   memory: &memory, now: .zero)
        #expect(up.desired == 6)
        #expect(up.reason == "queue call-queue 100/5 → 20; desired 6 (kept within 2…8); scale-up limited to 6 in 15s")
        let hold = Autoscaler.decide(spec, current: 6, reading: AutoscaleReading(queueLength: 0), liveCalls: nil,
                                     memory: &memory, now: .zero + .seconds(20))
        #expect(hold.desired == 6)
        // 0 queued proposes 0, kept at min 2; the 8 recommended 20 s ago holds the count for the 5 min window.
        #expect(hold.reason == "queue call-queue 0/5 → 0; desired 6 (kept within 2…8); scale-down waits out its 5m window (highest recent 8)")
    }
}
