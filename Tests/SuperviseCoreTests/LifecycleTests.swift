import Testing
@testable import SuperviseCore

/// The unit lifecycle under reloads, stops and daemon restarts: one entry and one instance per name.
@Suite struct LifecycleTests {
    /// A unit deaf to SIGTERM with a 6 s stop timeout, as in the issue's reproduction.
    func slow(_ command: [String] = ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]) -> UnitSpec {
        var spec = unit("slow")
        spec.command = command
        spec.stopTimeout = .seconds(6)
        return spec
    }

    @Test func aUnitRemovedAndAddedBackWhileStoppingKeepsOneEntryAndStartsAfterTheOldOneEnds() {
        var h = Harness([slow(), unit("other")])
        h.boot()
        let old = h.pid("slow")!
        h.send(.reload(SupervisorConfig(units: [unit("other")])))
        #expect(h.phase("slow") == .stopping)
        h.advance(.milliseconds(500))
        h.send(.reload(SupervisorConfig(units: [slow(), unit("other")])))
        #expect(h.core.unitNames == ["slow", "other"], "one entry per name")
        #expect(h.phase("slow") == .stopping)
        #expect(h.spawns == ["slow", "other"], "no second instance while the old one lives")
        // The old one ignores SIGTERM: SIGKILL at the deadline, then the new instance starts.
        h.advance(.seconds(6))
        #expect(h.signals.map(\.signal) == [Signals.term, Signals.kill])
        #expect(h.logEvents.contains("slow:kill"))
        h.send(.exited(unit: "slow", pid: old, status: .signaled(signal: 9, coreDumped: false)))
        #expect(h.phase("slow") == .running)
        #expect(h.spawns == ["slow", "other", "slow"])
        // And it stays controllable: stop, then shutdown completes.
        let outcome = h.command(.stop, "slow")
        #expect(outcome == .accepted("stopping slow"))
        h.exit("slow", .signaled(signal: 15, coreDumped: false))
        #expect(h.phase("slow") == .inactive)
        h.send(.shutdown)
        h.exit("other", .signaled(signal: 15, coreDumped: false))
        #expect(h.effects.contains(.shutdownComplete))
    }

    @Test func aRemovalDuringASpawnInFlightIsCalledOffWhenTheUnitComesBackUnchanged() {
        var h = Harness([unit("a")])
        h.autoSpawn = false
        h.boot()
        h.send(.reload(SupervisorConfig(units: [])))
        h.send(.reload(SupervisorConfig(units: [unit("a")])))
        #expect(h.core.unitNames == ["a"])
        h.send(.spawned(unit: "a", pid: 7))
        #expect(h.phase("a") == .running)
        #expect(h.signals.isEmpty)
    }

    @Test func aChangedSpecDuringASpawnInFlightReplacesTheNewInstanceOnceItReports() {
        var h = Harness([unit("a")])
        h.autoSpawn = false
        h.boot()
        var changed = unit("a")
        changed.command = ["/bin/sleep", "5"]
        h.send(.reload(SupervisorConfig(units: [changed])))
        h.send(.spawned(unit: "a", pid: 7))
        #expect(h.phase("a") == .stopping)
        h.send(.exited(unit: "a", pid: 7, status: .signaled(signal: 15, coreDumped: false)))
        #expect(h.phase("a") == .starting)
        #expect(h.effects.last == .spawn(changed))
    }

    @Test func aDrainingWorkerRemovedAndAddedBackIsNotSpawnedTwiceAndRestartsAfterItsDrain() {
        var h = Harness([worker("worker-1")])
        h.boot()
        h.send(.reload(SupervisorConfig(units: [])))
        #expect(h.phase("worker-1") == .draining)
        h.progress("worker-1", calls: 1)
        h.send(.reload(SupervisorConfig(units: [worker("worker-1")])))
        #expect(h.core.unitNames == ["worker-1"])
        #expect(h.phase("worker-1") == .draining)
        #expect(h.spawns == ["worker-1"])
        #expect(h.signals.count == 1, "a drain sends one signal, whatever the reloads")
        h.progress("worker-1", calls: 0)
        h.exit("worker-1", .exited(code: 0))
        #expect(h.phase("worker-1") == .running)
        #expect(h.spawns == ["worker-1", "worker-1"])
    }

    @Test func aReloadThatChangesADrainingUnitsContractLeavesTheRunningInstanceOnItsOldSettings() {
        var h = Harness([worker("worker-1", timeout: .seconds(30))])
        h.boot()
        _ = h.drain("worker-1")
        var changed = worker("worker-1", timeout: .seconds(300))
        changed.stopTimeout = .seconds(1)
        h.send(.reload(SupervisorConfig(units: [changed])))
        #expect(h.phase("worker-1") == .draining)
        #expect(h.core.nextDeadline == h.now + .seconds(30), "the old contract's deadline holds")
        h.advance(.seconds(30))
        #expect(h.signals.map(\.signal) == [Signals.term, Signals.kill])
    }

    @Test func theKillLineNamesTheTimeActuallyWaited() {
        var spec = worker("worker-1", timeout: .seconds(40))
        spec.stopTimeout = .seconds(3)
        var h = Harness([spec])
        h.boot()
        h.send(.shutdown)
        h.advance(.seconds(40))
        let kill = h.effects.compactMap { e -> String? in
            if case .log(let r) = e, r.event == "kill" { return r.message } else { return nil } }
        #expect(kill == ["did not stop within 40s; sending SIGKILL to every process of the unit"])
    }

    @Test func anAdoptedProcessCountsItsUptimeFromItsStart() {
        var h = Harness([unit("a")])
        h.now = .zero + .seconds(1000)
        h.boot()
        let saved = h.core.persistedState(bootID: "b", now: h.now)
        var next = Harness([unit("a")])
        next.now = .zero + .seconds(1010)
        next.absorb(next.core.boot(now: next.now, persisted: saved, alive: ["a"], startedAt: ["a": .zero + .seconds(400)]))
        #expect(next.core.status(of: "a", now: next.now)?.uptimeSeconds == 610)
    }

    @Test func aGiveUpAfterADaemonRestartNamesTheRealLastExit() {
        var spec = unit("a", burst: 3, interval: .seconds(1000), resetAfter: .seconds(1000))
        spec.restart.backoff.initial = .seconds(5)
        var h = Harness([spec])
        h.boot()
        // Crash until the start limit is full and the unit waits out a backoff.
        while h.core.unit("a")!.startHistory.count < 3 || h.phase("a") != .backoff {
            if h.phase("a") == .running { h.exit("a", .exited(code: 3)) } else { h.advance(.seconds(1)) }
        }
        let saved = h.core.persistedState(bootID: "b", now: h.now)
        var next = Harness([spec])
        next.now = h.now
        next.boot(persisted: saved)
        #expect(next.phase("a") == .backoff)
        next.advance(.seconds(600))
        #expect(next.phase("a") == .failed)
        #expect(next.core.unit("a")?.reason?.hasSuffix("last: exit code 3") == true, "\(next.core.unit("a")?.reason ?? "")")
    }

    @Test func aDrainedUnitShowsNoStaleProbeVerdict() throws {
        var spec = worker("worker-1")
        spec.liveness = ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081), failureThreshold: 1)
        var h = Harness([spec])
        h.boot()
        let g = try #require(h.effects.compactMap { e -> UInt64? in
            if case .startProbe("worker-1", .liveness, let g, _) = e { return g } else { return nil } }.first)
        h.send(.probeResult(unit: "worker-1", role: .liveness, generation: g, result: ProbeResult(healthy: true, latency: .zero)))
        #expect(h.core.status(of: "worker-1", now: h.now)?.health == "healthy")
        _ = h.drain("worker-1")
        h.exit("worker-1", .exited(code: 0))
        let status = try #require(h.core.status(of: "worker-1", now: h.now))
        #expect(status.state == "drained")
        #expect(status.health == "unknown")
        #expect(status.probes.first { $0.role == "liveness" }?.health == "unknown")
    }

    @Test func aStopInProgressGoesOnAfterADaemonRestart() {
        var h = Harness([slow()])
        h.boot()
        let pid = h.pid("slow")!
        _ = h.command(.stop, "slow")
        h.advance(.seconds(2))
        let saved = h.core.persistedState(bootID: "b", now: h.now)
        var next = Harness([slow()])
        next.now = h.now
        next.absorb(next.core.boot(now: next.now, persisted: saved, alive: ["slow"]))
        #expect(next.phase("slow") == .stopping)
        #expect(next.pid("slow") == pid)
        // SIGKILL at the first daemon's deadline, 6 s after the stop, not 6 s after the restart.
        next.advance(.seconds(4))
        #expect(next.signals.map(\.signal) == [Signals.kill])
        next.send(.exited(unit: "slow", pid: pid, status: .unknown))
        #expect(next.phase("slow") == .inactive)
        #expect(next.spawns.isEmpty)
    }
}
