import Testing
@testable import SuperviseCore

func worker(_ name: String, progress: Bool = true, start: DrainStart = .signal(Signals.term),
                    timeout: Duration = .seconds(60), maxUnavailable: Int = 1) -> UnitSpec {
    var spec = unit(name, policy: .always)
    spec.drain = DrainSpec(start: start, progress: progress ? DrainProgress(url: "http://127.0.0.1:8081/worker") : nil,
                           timeout: timeout)
    spec.maxUnavailable = maxUnavailable
    return spec
}

extension Harness {
    /// The generation of the drain-progress probe started last for `name`.
    func drainGeneration(_ name: String) -> UInt64? {
        effects.reversed().lazy.compactMap { e -> UInt64? in
            if case .startProbe(name, .drain, let g, _) = e { return g } else { return nil }
        }.first
    }

    mutating func progress(_ name: String, calls: Int) {
        guard let g = drainGeneration(name) else { Issue.record("\(name) has no drain progress probe to answer"); return }
        send(.drainProgress(unit: name, generation: g, activeCalls: calls, error: nil))
    }

    mutating func drain(_ name: String, timeout: Duration? = nil, then: DrainThen = .stop, force: Bool = false) -> CommandOutcome {
        let (outcome, fx) = core.drain(name, timeout: timeout, then: then, force: force, now: now)
        absorb(fx)
        return outcome
    }
}

@Suite struct DrainTests {
    @Test func drainSendsExactlyOneSignalAndEndsWhenTheWorkerExits() throws {
        var h = Harness([worker("worker-1")])
        h.boot()
        let outcome = h.drain("worker-1")
        guard case .accepted = outcome else { Issue.record("\(outcome)"); return }
        #expect(h.phase("worker-1") == .draining)
        #expect(h.signals.map(\.signal) == [Signals.term])
        h.progress("worker-1", calls: 3)
        #expect(h.core.status(of: "worker-1", now: h.now)?.drain?.activeCalls == 3)
        // Probes and exits never restart it; no second SIGTERM however long it takes.
        h.advance(.seconds(30))
        #expect(h.signals.count == 1)
        h.progress("worker-1", calls: 0)
        h.exit("worker-1", .exited(code: 0))
        #expect(h.phase("worker-1") == .drained)
        #expect(h.core.status(of: "worker-1", now: h.now)?.state == "drained")
        #expect(h.core.unit("worker-1")?.lastDrain?.callsCut == 0)
        h.advance(.seconds(600))
        #expect(h.spawns == ["worker-1"], "a drained unit is never restarted")
        // Back in service.
        let (undrain, fx) = h.core.undrain("worker-1", now: h.now)
        h.absorb(fx)
        #expect(undrain == .accepted("starting worker-1: back in service"))
        #expect(h.phase("worker-1") == .running)
    }

    @Test func drainThenRestartStartsAFreshOneUncounted() {
        var h = Harness([worker("worker-1")])
        h.boot()
        _ = h.drain("worker-1", then: .restart)
        h.exit("worker-1", .exited(code: 0))
        #expect(h.spawns == ["worker-1", "worker-1"])
        #expect(h.core.unit("worker-1")?.restarts == 0)
        #expect(h.phase("worker-1") == .running)
    }

    @Test func theDeadlineCutsExactlyTheLiveCallsAndSaysSo() {
        var h = Harness([worker("worker-1", timeout: .seconds(10))])
        h.boot()
        _ = h.drain("worker-1")
        h.progress("worker-1", calls: 2)
        h.advance(.seconds(10))
        #expect(h.signals.map(\.signal) == [Signals.term, Signals.kill])
        #expect(h.logEvents.contains("worker-1:drain-timeout"))
        h.exit("worker-1", .signaled(signal: 9, coreDumped: false))
        #expect(h.core.unit("worker-1")?.lastDrain?.callsCut == 2)
        #expect(h.logEvents.contains("worker-1:drain-cut"))
        #expect(h.core.status(of: "worker-1", now: h.now)?.lastDrain?.callsCut == 2)
    }

    @Test func anHTTPDrainStopsTheWorkerOnceNoCallIsLive() {
        var h = Harness([worker("worker-1", start: .http(url: "http://127.0.0.1:8081/drain"))])
        h.boot()
        _ = h.drain("worker-1")
        #expect(h.effects.contains(.drainRequest(unit: "worker-1", url: "http://127.0.0.1:8081/drain", networkNamespacePid: nil)))
        #expect(h.signals.isEmpty)
        h.progress("worker-1", calls: 1)
        #expect(h.signals.isEmpty)
        h.progress("worker-1", calls: 0)
        #expect(h.signals.map(\.signal) == [Signals.term])
        h.exit("worker-1", .signaled(signal: 15, coreDumped: false))
        #expect(h.core.status(of: "worker-1", now: h.now)?.state == "drained")
    }

    @Test func theBudgetRefusesASecondDrainUnlessForced() {
        var h = Harness([worker("worker-1"), worker("worker-2"), worker("worker-3"), worker("api-1")])
        h.boot()
        guard case .accepted = h.drain("worker-1") else { Issue.record("first drain refused"); return }
        let second = h.drain("worker-2")
        guard case .refused(let why) = second else { Issue.record("\(second)"); return }
        #expect(why.contains("max_unavailable 1") && why.contains("worker-1") && why.contains("--force"))
        #expect(h.phase("worker-2") == .running)
        guard case .accepted = h.drain("api-1") else { Issue.record("another service has its own budget"); return }
        guard case .accepted = h.drain("worker-2", force: true) else { Issue.record("forced drain refused"); return }
        #expect(h.phase("worker-2") == .draining)
        #expect(h.drain("nope") == .unknownUnit(name: "nope", known: ["worker-1", "worker-2", "worker-3", "api-1"]))
    }

    @Test func rollingRestartGoesOneByOneAndWaitsForEach() {
        var h = Harness([worker("worker-1"), worker("worker-2"), worker("worker-3")])
        h.boot()
        let (outcome, fx) = h.core.rollingRestart(service: "worker", now: h.now)
        h.absorb(fx)
        guard case .accepted = outcome else { Issue.record("\(outcome)"); return }
        #expect(h.phase("worker-1") == .draining)
        #expect(h.phase("worker-2") == .running && h.phase("worker-3") == .running)
        for n in 1...3 {
            h.exit("worker-\(n)", .exited(code: 0))
            #expect(h.phase("worker-\(n)") == .running)
            if n < 3 { #expect(h.phase("worker-\(n + 1)") == .draining) }
        }
        #expect(h.core.rolling.isEmpty)
        #expect(h.logEvents.contains("-:rolling-done"))
        #expect(h.signals.count == 3)
    }

    @Test func rollingRestartWaitsForReadiness() throws {
        var specs = [worker("worker-1"), worker("worker-2")]
        for i in specs.indices { specs[i].readiness = ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081)) }
        var h = Harness(specs)
        h.boot()
        let (_, fx) = h.core.rollingRestart(service: "worker", now: h.now)
        h.absorb(fx)
        h.exit("worker-1", .exited(code: 0))
        #expect(h.phase("worker-1") == .running)
        #expect(h.phase("worker-2") == .running, "worker-2 waits until worker-1 is ready")
        let g = try #require(h.effects.reversed().lazy.compactMap { e -> UInt64? in
            if case .startProbe("worker-1", .readiness, let g, _) = e { return g } else { return nil } }.first)
        h.send(.probeResult(unit: "worker-1", role: .readiness, generation: g, result: ProbeResult(healthy: true, latency: .zero)))
        #expect(h.phase("worker-2") == .draining)
    }

    @Test func operatorStopDrainsAndAHungDrainIsStoppedWithItsStopTimeout() throws {
        var spec = worker("worker-1", timeout: .seconds(3600))
        spec.liveness = ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081), failureThreshold: 2)
        spec.stopTimeout = .seconds(5)
        var h = Harness([spec])
        h.boot()
        let (outcome, fx) = h.core.command(.stop, unit: "worker-1", now: h.now)
        h.absorb(fx)
        guard case .accepted(let text) = outcome, text.hasPrefix("draining worker-1") else { Issue.record("\(outcome)"); return }
        #expect(h.phase("worker-1") == .draining)
        h.progress("worker-1", calls: 2)
        // Liveness goes on while draining (readiness does not): one failure is below the threshold.
        let g = try #require(h.effects.compactMap { e -> UInt64? in
            if case .startProbe("worker-1", .liveness, let g, _) = e { return g } else { return nil } }.first)
        #expect(!h.effects.contains(.stopProbe(unit: "worker-1", role: .liveness, generation: g)))
        h.advance(.seconds(60))
        let failed = ProbeResult(healthy: false, latency: .zero, failure: "connection refused")
        h.send(.probeResult(unit: "worker-1", role: .liveness, generation: g, result: failed))
        #expect(h.phase("worker-1") == .draining)
        #expect(h.signals.count == 1)
        // The second failure: hung. Stopped within its stop timeout, not the drain's hour; its drain
        // signal is its stop signal and went out already, so only SIGKILL follows (one drain signal).
        h.send(.probeResult(unit: "worker-1", role: .liveness, generation: g, result: failed))
        #expect(h.phase("worker-1") == .stopping)
        #expect(h.signals.map(\.signal) == [Signals.term])
        #expect(h.logEvents.contains("worker-1:drain-hung"))
        #expect(h.core.nextDeadline == h.now + .seconds(5))
        h.advance(.seconds(5))
        #expect(h.signals.map(\.signal) == [Signals.term, Signals.kill])
        h.exit("worker-1", .signaled(signal: 9, coreDumped: false))
        // Its calls count as cut; it stays out of service as the operator's stop asked.
        #expect(h.core.unit("worker-1")?.lastDrain?.callsCut == 2)
        #expect(h.phase("worker-1") == .drained)
        h.advance(.seconds(600))
        #expect(h.spawns == ["worker-1"])
    }

    @Test func aDaemonRestartResumesTheDrainAndNeverRestartsTheUnit() {
        var h = Harness([worker("worker-1"), worker("worker-2")])
        h.boot()
        _ = h.drain("worker-1")
        h.progress("worker-1", calls: 4)
        let saved = h.core.persistedState(bootID: "b", now: h.now)
        #expect(saved.units["worker-1"]?.drain?.activeCalls == 4)
        let pid = h.pid("worker-1")!

        // The new daemon finds worker-1's process alive.
        var next = Harness([worker("worker-1"), worker("worker-2")])
        next.now = h.now + .seconds(1)
        next.absorb(next.core.boot(now: next.now, persisted: saved, alive: ["worker-1"]))
        #expect(next.phase("worker-1") == .draining)
        #expect(next.pid("worker-1") == pid)
        #expect(next.effects.contains(.watchProcess(unit: "worker-1", pid: pid)))
        #expect(next.spawns == ["worker-2"], "the draining unit is not started again")
        #expect(next.drainGeneration("worker-1") != nil, "progress is watched again")
        next.send(.exited(unit: "worker-1", pid: pid, status: .unknown))
        #expect(next.core.status(of: "worker-1", now: next.now)?.state == "drained")
        // Its process died while no daemon ran: the drain is over, still drained.
        var third = Harness([worker("worker-1"), worker("worker-2")])
        third.absorb(third.core.boot(now: third.now, persisted: saved, alive: []))
        #expect(third.core.status(of: "worker-1", now: third.now)?.state == "drained")
        #expect(third.spawns == ["worker-2"])
        let later = next.core.persistedState(bootID: "b", now: next.now)
        var fourth = Harness([worker("worker-1"), worker("worker-2")])
        fourth.absorb(fourth.core.boot(now: fourth.now, persisted: later))
        #expect(fourth.core.status(of: "worker-1", now: fourth.now)?.state == "drained")
    }

    @Test func aDaemonRestartCarriesOnTheRollingRestart() {
        let specs = [worker("worker-1"), worker("worker-2"), worker("worker-3")]
        var h = Harness(specs)
        h.boot()
        let (_, fx) = h.core.rollingRestart(service: "worker", now: h.now)
        h.absorb(fx)
        h.exit("worker-1", .exited(code: 0))
        #expect(h.phase("worker-1") == .running && h.phase("worker-2") == .draining)
        #expect(h.effects.last { if case .persist = $0 { true } else { false } } != nil)
        let saved = h.core.persistedState(bootID: "b", now: h.now)
        #expect(saved.rolling == [RollingRestart(service: "worker", pending: ["worker-3"], current: "worker-2", done: ["worker-1"])])
        let pids = (1...3).map { h.pid("worker-\($0)")! }

        // SIGKILLed mid-roll: the new daemon adopts everyone, worker-2 goes on draining, and
        // worker-3 is still replaced afterwards; worker-1 (already replaced) is left alone.
        var next = Harness(specs)
        next.now = h.now + .seconds(1)
        next.absorb(next.core.boot(now: next.now, persisted: saved, alive: ["worker-1", "worker-2", "worker-3"]))
        #expect(next.logEvents.contains("-:rolling-resume"))
        #expect(next.core.rolling["worker"]?.current == "worker-2")
        #expect(next.phase("worker-2") == .draining && next.pid("worker-2") == pids[1])
        #expect(next.phase("worker-3") == .running && next.spawns.isEmpty)
        next.send(.exited(unit: "worker-2", pid: pids[1], status: .unknown))
        #expect(next.phase("worker-2") == .running && next.pid("worker-2") != pids[1])
        #expect(next.phase("worker-3") == .draining, "the roll moves on to the unit still to go")
        next.exit("worker-3", .exited(code: 0))
        #expect(next.spawns == ["worker-2", "worker-3"])
        #expect(next.pid("worker-1") == pids[0])
        #expect(next.core.rolling.isEmpty && next.logEvents.contains("-:rolling-done"))
        #expect(next.core.persistedState(bootID: "b", now: next.now).rolling == nil)

        // A unit gone from the configuration is dropped from the queue; an empty roll is not resumed.
        var third = Harness([worker("worker-1"), worker("worker-2")])
        third.absorb(third.core.boot(now: third.now, persisted: saved, alive: ["worker-1", "worker-2"]))
        #expect(third.core.rolling["worker"]?.pending == [])
        #expect(third.core.rolling["worker"]?.current == "worker-2")
        let untouched = PersistedState(bootID: "b", units: [:],
                                       rolling: [RollingRestart(service: "api", pending: ["api-1"])])
        var fourth = Harness(specs)
        fourth.absorb(fourth.core.boot(now: fourth.now, persisted: untouched))
        #expect(fourth.core.rolling.isEmpty && !fourth.logEvents.contains("-:rolling-resume"))

        // After a clean stop every process is new anyway: nothing old is left to replace.
        var fresh = Harness(specs)
        fresh.absorb(fresh.core.boot(now: fresh.now, persisted: saved, alive: []))
        #expect(fresh.core.rolling.isEmpty && !fresh.logEvents.contains("-:rolling-resume"))
        #expect(fresh.phase("worker-3") == .running && fresh.signals.isEmpty)
    }

    @Test func shutdownWaitsForTheDrainTimeoutBeforeSIGKILL() {
        var h = Harness([worker("worker-1", timeout: .seconds(3600))])
        h.boot()
        h.send(.shutdown)
        h.advance(.seconds(60))
        #expect(h.signals.map(\.signal) == [Signals.term], "no SIGKILL after the 10 s stop timeout")
        h.advance(.seconds(3600))
        #expect(h.signals.map(\.signal) == [Signals.term, Signals.kill])
    }

    @Test func serviceNames() {
        #expect(UnitSpec.service(of: "worker-3") == "worker")
        #expect(UnitSpec.service(of: "api") == "api")
        #expect(UnitSpec.service(of: "agent-sim") == "agent-sim")
        #expect(UnitSpec.service(of: "-1") == "-1")
    }
}

@Suite struct DrainOnReloadTests {
    @Test func changedWorkersAreDrainedOneByOneWithTheNewSpec() {
        let old = [worker("worker-1"), worker("worker-2")]
        var h = Harness(old)
        h.boot()
        var changed = old
        for i in changed.indices { changed[i].command = ["/bin/sleep", "2000"] }
        h.send(.reload(SupervisorConfig(units: changed)))
        #expect(h.phase("worker-1") == .draining)
        #expect(h.phase("worker-2") == .running, "one at a time (max_unavailable 1)")
        #expect(h.signals.map(\.signal) == [Signals.term])
        h.exit("worker-1", .exited(code: 0))
        #expect(h.phase("worker-1") == .running)
        #expect(h.core.unit("worker-1")?.spec.command == ["/bin/sleep", "2000"])
        #expect(h.phase("worker-2") == .draining)
        h.exit("worker-2", .exited(code: 0))
        #expect(h.core.rolling.isEmpty)
        #expect(h.spawns == ["worker-1", "worker-2", "worker-1", "worker-2"])
    }
}

@Suite struct DrainOnRemovalTests {
    @Test func aRemovedWorkerIsDrainedThenForgotten() {
        var h = Harness([worker("worker-1"), worker("worker-2")])
        h.boot()
        h.send(.reload(SupervisorConfig(units: [worker("worker-2")])))
        #expect(h.phase("worker-1") == .draining)
        h.exit("worker-1", .exited(code: 0))
        #expect(h.core.unit("worker-1") == nil)
        #expect(h.core.unitNames == ["worker-2"])
    }
}

@Suite struct DrainRequestFailureTests {
    @Test func aFailedDrainRequestIsLoggedAndShown() {
        var h = Harness([worker("worker-1", start: .http(url: "http://127.0.0.1:8081/drain"))])
        h.boot()
        _ = h.drain("worker-1")
        h.send(.drainProgress(unit: "worker-1", generation: 0, activeCalls: nil, error: "POST http://127.0.0.1:8081/drain: HTTP 500"))
        #expect(h.logEvents.contains("worker-1:drain-request-failed"))
        #expect(h.core.status(of: "worker-1", now: h.now)?.drain?.progressError == "POST http://127.0.0.1:8081/drain: HTTP 500")
    }
}

@Suite struct HealingWithDrainTests {
    @Test func notReadyButAliveIsDrainedThenReplaced() throws {
        var spec = worker("worker-1")
        spec.readiness = ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081), failureThreshold: 2)
        var plain = unit("api-1")
        plain.readiness = ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8080), failureThreshold: 2)
        var h = Harness([spec, plain])
        h.boot()
        for name in ["worker-1", "api-1"] {
            let g = try #require(h.effects.reversed().lazy.compactMap { e -> UInt64? in
                if case .startProbe(name, .readiness, let g, _) = e { return g } else { return nil } }.first)
            for _ in 0..<2 {
                h.send(.probeResult(unit: name, role: .readiness, generation: g,
                                    result: ProbeResult(healthy: false, latency: .zero, failure: "connection refused")))
            }
        }
        #expect(h.phase("worker-1") == .draining, "a worker with a drain contract is replaced through a drain")
        #expect(h.signals.map(\.signal) == [Signals.term])
        #expect(h.phase("api-1") == .running, "without a drain contract readiness is only reported")
        h.exit("worker-1", .exited(code: 0))
        #expect(h.phase("worker-1") == .running)
        #expect(h.spawns.filter { $0 == "worker-1" }.count == 2)
    }
}
