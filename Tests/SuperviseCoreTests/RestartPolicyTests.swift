import Testing
@testable import SuperviseCore

@Suite struct RestartPolicyTests {
    @Test(arguments: [
        (RestartPolicy.no, Exit.exited(code: 1), false),
        (.no, .exited(code: 0), false),
        (.onFailure, .exited(code: 0), false),
        (.onFailure, .exited(code: 3), true),
        (.onFailure, .signaled(signal: 9, coreDumped: false), true),
        (.onFailure, .signaled(signal: 15, coreDumped: false), false), // the stop signal is clean
        (.always, .exited(code: 0), true),
        (.unlessStopped, .exited(code: 0), true),
    ])
    func policyDecidesRestart(policy: RestartPolicy, status: Exit, restarts: Bool) {
        var h = Harness([unit("w", policy: policy)])
        h.boot()
        h.exit("w", status)
        #expect(h.phase("w") == (restarts ? .running : .exited))
    }

    @Test func successExitCodesAndSignalsAreClean() {
        var spec = unit("w", policy: .onFailure)
        spec.restart.successExitCodes = [0, 3]
        spec.restart.successSignals = [Signals.hup]
        #expect(Exit.exited(code: 3).isClean(successCodes: spec.restart.successExitCodes, successSignals: spec.restart.successSignals, stopSignal: 15))
        #expect(Exit.signaled(signal: 1, coreDumped: false).isClean(successCodes: [0], successSignals: [1], stopSignal: 15))
        #expect(!Exit.exited(code: 4).isClean(successCodes: [0, 3], successSignals: [], stopSignal: 15))
        var h = Harness([spec])
        h.boot()
        h.exit("w", .exited(code: 3))
        #expect(h.phase("w") == .exited)
    }

    @Test func startLimitGivesUpAndStaysDownUntilRestart() {
        var h = Harness([unit("w", jitter: 0, burst: 5, interval: .seconds(10))])
        h.boot()  // start 1
        for _ in 0..<10 {
            h.exit("w", .exited(code: 2))
            h.advance(.seconds(1))
            if h.phase("w") == .failed { break }
        }
        #expect(h.phase("w") == .failed)
        #expect(h.spawns.count == 5)
        #expect(h.core.unit("w")?.reason?.hasPrefix("start limit hit: 5 starts within 10s") == true)
        #expect(h.logEvents.contains("w:gave-up"))
        h.advance(.seconds(3600))
        #expect(h.phase("w") == .failed)
        #expect(h.spawns.count == 5)
        #expect(h.core.nextDeadline == nil)
        #expect(h.command(.restart, "w") == .accepted("starting w (it was failed)"))
        #expect(h.phase("w") == .running)
        #expect(h.spawns.count == 6)
    }

    @Test func resetClearsAFailedUnitAndStartsIt() {
        var h = Harness([unit("w", jitter: 0, burst: 1)])
        h.boot()
        h.exit("w", .exited(code: 1))
        #expect(h.phase("w") == .failed)
        _ = h.command(.reset, "w")
        #expect(h.phase("w") == .running)
        #expect(h.core.unit("w")?.restarts == 0)
    }

    @Test func operatorStopIsNotACrash() {
        var h = Harness([unit("w", policy: .always)])
        h.boot()
        let pid = h.pid("w")!
        #expect(h.command(.stop, "w") == .accepted("stopping w"))
        #expect(h.phase("w") == .stopping)
        #expect(h.signals.last?.signal == Signals.term)
        h.send(.exited(unit: "w", pid: pid, status: .signaled(signal: 15, coreDumped: false)))
        #expect(h.phase("w") == .inactive)
        h.advance(.seconds(120))
        #expect(h.phase("w") == .inactive)
        #expect(h.spawns.count == 1)
        #expect(h.core.unit("w")?.restarts == 0)
        #expect(h.command(.start, "w") == .accepted("starting w"))
        #expect(h.phase("w") == .running)
    }

    @Test func crashRestartsButOperatorStopDoesNot() {
        var h = Harness([unit("w", policy: .always)])
        h.boot()
        h.exit("w", .signaled(signal: 9, coreDumped: false))
        #expect(h.phase("w") == .running)
        #expect(h.core.unit("w")?.restarts == 1)
        // The other half: an operator's stop ends it for good, whatever the policy says.
        _ = h.command(.stop, "w")
        h.exit("w", .signaled(signal: 15, coreDumped: false))
        h.advance(.seconds(120))
        #expect(h.phase("w") == .inactive)
        #expect(h.spawns.count == 2)
        #expect(h.core.unit("w")?.restarts == 1)
    }

    @Test func stopEscalatesToSigkillAtTheDeadline() {
        var spec = unit("w")
        spec.stopTimeout = .seconds(5)
        var h = Harness([spec])
        h.boot()
        _ = h.command(.stop, "w")
        h.advance(.milliseconds(4999))
        #expect(h.signals.map(\.signal) == [Signals.term])
        h.advance(.milliseconds(1))
        #expect(h.signals.map(\.signal) == [Signals.term, Signals.kill])
        h.exit("w", .signaled(signal: 9, coreDumped: false))
        #expect(h.phase("w") == .inactive)
    }

    @Test func unlessStoppedRemembersTheStopAcrossARestartButAlwaysDoesNot() {
        var h = Harness([unit("a", policy: .unlessStopped), unit("b", policy: .always)])
        h.boot()
        _ = h.command(.stop, "a")
        _ = h.command(.stop, "b")
        h.exit("a", .signaled(signal: 15, coreDumped: false))
        h.exit("b", .signaled(signal: 15, coreDumped: false))
        let saved = h.core.persistedState(bootID: "x", now: h.now)
        var next = Harness([unit("a", policy: .unlessStopped), unit("b", policy: .always)])
        next.boot(persisted: saved)
        #expect(next.phase("a") == .inactive)
        #expect(next.phase("b") == .running)
    }

    @Test func aGiveUpSurvivesARestartOfTheDaemon() {
        var h = Harness([unit("w", burst: 1)])
        h.boot()
        h.exit("w", .exited(code: 1))
        #expect(h.phase("w") == .failed)
        var next = Harness([unit("w", burst: 1)])
        next.boot(persisted: h.core.persistedState(bootID: "x", now: h.now))
        #expect(next.phase("w") == .failed)
        #expect(next.spawns.isEmpty)
    }

    @Test func aBackoffInProgressSurvivesARestartOfTheDaemon() throws {
        var spec = unit("w")
        spec.restart.backoff.initial = .seconds(10)
        var h = Harness([spec])
        h.boot()
        h.exit("w", .exited(code: 1)) // the first restart is at once
        h.exit("w", .exited(code: 1)) // the second waits 10 s
        #expect(h.phase("w") == .backoff)
        h.advance(.seconds(3))
        let saved = h.core.persistedState(bootID: "x", now: h.now)
        let savedUnit = try #require(saved.units["w"])
        #expect(savedUnit.restartPending == true)
        #expect(savedUnit.restartAt == h.now + .seconds(7))

        // Same boot: the new daemon waits out what is left of the backoff, then restarts it.
        var next = Harness([spec])
        next.now = h.now + .seconds(1)
        next.boot(persisted: saved)
        #expect(next.phase("w") == .backoff && next.spawns.isEmpty)
        #expect(next.core.status(of: "w", now: next.now)?.nextRestartInSeconds == 6)
        next.advance(.milliseconds(5_900))
        #expect(next.spawns.isEmpty)
        next.advance(.milliseconds(200))
        #expect(next.spawns == ["w"] && next.phase("w") == .running)
        #expect(next.core.unit("w")?.restarts == savedUnit.restarts + 1, "counted as a restart")

        // After a reboot the instant means nothing: restarted at once, still counted.
        var rebooted = Harness([spec])
        rebooted.boot(persisted: saved.forgettingTimes())
        #expect(rebooted.phase("w") == .running)
        #expect(rebooted.core.unit("w")?.restarts == savedUnit.restarts + 1)
        #expect(next.core.persistedState(bootID: "x", now: next.now).units["w"]?.restartPending == nil)
    }

    @Test func aCrashLoopDoesNotEscapeItsStartLimitThroughDaemonRestarts() {
        var spec = unit("w", burst: 2, interval: .seconds(60))
        spec.restart.backoff.initial = .seconds(1)
        var h = Harness([spec])
        h.boot()
        h.exit("w", .exited(code: 1)) // restart 1: the second start in the window
        h.exit("w", .exited(code: 1)) // restart 2 pending: would be the third start
        #expect(h.phase("w") == .backoff)
        var next = Harness([spec])
        next.boot(persisted: h.core.persistedState(bootID: "x", now: h.now))
        next.advance(.seconds(2))
        #expect(next.phase("w") == .failed)
        #expect(next.spawns.isEmpty)
    }

    @Test func unknownUnitListsKnownNames() {
        var h = Harness([unit("a"), unit("b")])
        h.boot()
        let outcome = h.command(.stop, "c")
        #expect(outcome == .unknownUnit(name: "c", known: ["a", "b"]))
        #expect(outcome.message == "no unit named \"c\"; units: a, b")
    }

    @Test func spawnFailureGoesThroughBackoffAndStartLimit() {
        var h = Harness([unit("w", jitter: 0, burst: 3)])
        h.autoSpawn = false
        h.boot()
        for _ in 0..<6 {
            h.send(.spawnFailed(unit: "w", reason: "No such file or directory"))
            h.advance(.seconds(1))
        }
        #expect(h.phase("w") == .failed)
        #expect(h.spawns.count == 3)
        #expect(h.core.unit("w")?.reason?.contains("spawn failed: No such file or directory") == true)
    }
}
