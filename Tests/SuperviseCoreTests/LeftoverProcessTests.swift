import Testing
@testable import SuperviseCore

/// A unit is every process it started: after its main process ends, it is down only once the
/// rest is gone (issue 12). The shell reports what is left with the exit and then by `.remaining`.
@Suite struct LeftoverProcessTests {
    func spec(_ name: String, stopTimeout: Duration = .seconds(5)) -> UnitSpec {
        var s = UnitSpec(name: name, command: ["/bin/true"], stopTimeout: stopTimeout)
        s.restart.backoff = BackoffPolicy(initial: .zero, max: .zero, multiplier: 1, jitter: 0, resetAfter: .seconds(10))
        return s
    }

    @Test func aCrashThatLeavesChildrenWaitsForThemBeforeTheRestart() {
        var h = Harness([spec("nginx")])
        h.boot()
        let pid = h.pid("nginx")!
        h.send(.exited(unit: "nginx", pid: pid, status: .signaled(signal: Signals.kill, coreDumped: false), remaining: 2))
        #expect(h.phase("nginx") == .stopping)
        #expect(h.core.unit("nginx")?.reason == "main process exited (killed by SIGKILL), 2 processes left")
        #expect(h.signals.map(\.signal) == [Signals.term], "the leftovers get the stop signal")
        #expect(h.effects.contains(.watchUnit(unit: "nginx", pid: pid)))
        #expect(h.spawns == ["nginx"], "nothing starts while the old worker holds the port")
        h.send(.remaining(unit: "nginx", pid: pid, count: 1))
        #expect(h.core.unit("nginx")?.reason == "main process exited (killed by SIGKILL), 1 process left")
        h.send(.remaining(unit: "nginx", pid: pid, count: 0))
        #expect(h.phase("nginx") == .running)
        #expect(h.spawns == ["nginx", "nginx"])
        #expect(h.core.unit("nginx")?.restarts == 1)
    }

    @Test func leftoversDeafToTheStopSignalAreKilledAtTheStopTimeout() {
        var h = Harness([spec("postgres", stopTimeout: .seconds(3))])
        h.boot()
        let pid = h.pid("postgres")!
        h.send(.exited(unit: "postgres", pid: pid, status: .exited(code: 1), remaining: 1))
        h.advance(.seconds(3))
        #expect(h.signals.map(\.signal) == [Signals.term, Signals.kill])
        #expect(h.phase("postgres") == .stopping)
        h.send(.remaining(unit: "postgres", pid: pid, count: 0))
        #expect(h.phase("postgres") == .running)
    }

    @Test func aStopIsOverOnlyWhenTheUnitIsEmpty() {
        var h = Harness([spec("jobs")])
        h.boot()
        let pid = h.pid("jobs")!
        h.command(.stop, "jobs")
        h.send(.exited(unit: "jobs", pid: pid, status: .signaled(signal: Signals.term, coreDumped: false), remaining: 10))
        #expect(h.phase("jobs") == .stopping)
        h.advance(.seconds(5))
        #expect(h.signals.map(\.signal) == [Signals.term, Signals.kill])
        h.send(.remaining(unit: "jobs", pid: pid, count: 0))
        #expect(h.phase("jobs") == .inactive)
        #expect(h.spawns == ["jobs"])
    }

    @Test func aCleanExitWithBackgroundChildrenIsNotExitedUntilTheyAreGone() {
        var s = spec("batch")
        s.restart.policy = .onFailure
        var h = Harness([s])
        h.boot()
        let pid = h.pid("batch")!
        h.send(.exited(unit: "batch", pid: pid, status: .exited(code: 0), remaining: 50))
        #expect(h.phase("batch") == .stopping)
        h.send(.remaining(unit: "batch", pid: pid, count: 0))
        #expect(h.phase("batch") == .exited, "a clean exit is not restarted by on-failure, once the unit is empty")
    }

    @Test func aStaleCountOfAnEarlierInstanceIsIgnored() {
        var h = Harness([spec("a")])
        h.boot()
        let first = h.pid("a")!
        h.send(.exited(unit: "a", pid: first, status: .exited(code: 1), remaining: 1))
        h.send(.remaining(unit: "a", pid: first, count: 0))
        let second = h.pid("a")!
        h.send(.remaining(unit: "a", pid: first, count: 0))
        #expect(h.pid("a") == second)
        #expect(h.phase("a") == .running)
    }

    @Test func leftoversFoundAfterADaemonRestartAreStoppedBeforeTheUnitStartsAgain() {
        var h = Harness([spec("nginx")])
        h.boot()
        let pid = h.pid("nginx")!
        let saved = h.core.persistedState(bootID: "b", now: h.now)
        // The daemon was killed; meanwhile nginx's master died and its worker lives on.
        var next = Harness([spec("nginx")])
        next.absorb(next.core.boot(now: next.now, persisted: saved, alive: [], leftovers: ["nginx": 1]))
        #expect(next.phase("nginx") == .stopping)
        #expect(next.signals.map(\.signal) == [Signals.term])
        #expect(next.effects.contains(.watchUnit(unit: "nginx", pid: pid)))
        #expect(next.spawns.isEmpty)
        next.send(.remaining(unit: "nginx", pid: pid, count: 0))
        #expect(next.phase("nginx") == .running, "then its restart policy restarts it")
    }

    @Test func aStopOfLeftoversSurvivesADaemonRestart() {
        var h = Harness([spec("a", stopTimeout: .seconds(10))])
        h.boot()
        let pid = h.pid("a")!
        h.send(.exited(unit: "a", pid: pid, status: .exited(code: 3), remaining: 2))
        h.advance(.seconds(4))
        let saved = h.core.persistedState(bootID: "b", now: h.now)
        #expect(saved.units["a"]?.stopping?.mainExit?.status == .exited(code: 3))
        var next = Harness([spec("a", stopTimeout: .seconds(10))])
        next.now = h.now
        next.absorb(next.core.boot(now: next.now, persisted: saved, alive: [], leftovers: ["a": 2]))
        #expect(next.core.nextDeadline == h.now + .seconds(6), "SIGKILL at the same deadline")
        next.send(.remaining(unit: "a", pid: pid, count: 0))
        #expect(next.core.unit("a")?.lastExit == .exited(code: 3))
        #expect(next.phase("a") == .running)
    }

    @Test func anOOMKillIsReportedAsSuch() {
        var h = Harness([spec("worker")])
        h.boot()
        h.send(.exited(unit: "worker", pid: h.pid("worker")!, status: .signaled(signal: Signals.kill, coreDumped: false), oomKilled: true))
        #expect(h.logEvents.contains("worker:oom"))
        #expect(h.logReasons.contains("out of memory (OOM killed, killed by SIGKILL)"))
    }
}
