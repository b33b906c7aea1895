import Testing
@testable import SuperviseCore

/// What the core hands the metrics: restarts by why the unit went down, give-ups, drain ends,
/// and the live-call count read all the time a worker runs.
@Suite struct MeasurementTests {
    static func measurements(_ h: Harness) -> [Measurement] {
        h.effects.compactMap { if case .measure(let m) = $0 { return m } else { return nil } }
    }

    static func restarts(_ h: Harness) -> [RestartCause] {
        measurements(h).compactMap { if case .restarted(_, let cause) = $0 { return cause } else { return nil } }
    }

    @Test("a crash, a clean exit under `always` and an OOM kill are told apart")
    func exits() {
        var h = Harness([unit("a")])
        h.boot()
        #expect(Self.restarts(h).isEmpty, "the first start is not a restart")
        h.exit("a", .exited(code: 1))
        #expect(Self.restarts(h) == [.crash])
        h.advance(.seconds(60))
        h.exit("a", .exited(code: 0))
        h.advance(.seconds(60))
        #expect(Self.restarts(h) == [.crash, .exit])
        let pid = h.pid("a")!
        h.send(.exited(unit: "a", pid: pid, status: .signaled(signal: Signals.kill, coreDumped: false), remaining: 0, oomKilled: true))
        h.advance(.seconds(60))
        #expect(Self.restarts(h) == [.crash, .exit, .oom])
    }

    @Test("a restart after backoff is counted once, when it starts, with the cause of the exit")
    func backoff() {
        var h = Harness([unit("a")])
        h.boot()
        h.exit("a", .exited(code: 1))
        h.advance(.milliseconds(10))
        h.exit("a", .exited(code: 1))
        #expect(h.phase("a") == .backoff)
        #expect(Self.restarts(h) == [.crash])
        h.advance(.seconds(5))
        #expect(h.phase("a") == .running)
        #expect(Self.restarts(h) == [.crash, .crash])
    }

    @Test("operator restarts and reloads count as such; a unit stopped while backing off is not a restart when started again")
    func operatorAndReload() {
        var h = Harness([unit("a"), unit("b")])
        h.boot()
        h.command(.restart, "a")
        h.exit("a", .signaled(signal: Signals.term, coreDumped: false))
        #expect(Self.restarts(h) == [.operator])
        var b = unit("b")
        b.command = ["/bin/sleep", "2000"]
        h.send(.reload(SupervisorConfig(units: [unit("a"), b])))
        h.exit("b", .signaled(signal: Signals.term, coreDumped: false))
        #expect(Self.restarts(h) == [.operator, .reload])
        // Down with a cause, then stopped by hand: the cause is forgotten.
        h.exit("a", .exited(code: 1))
        h.advance(.milliseconds(10))
        h.exit("a", .exited(code: 1))
        #expect(h.phase("a") == .backoff)
        h.command(.stop, "a")
        h.command(.start, "a")
        #expect(h.phase("a") == .running)
        #expect(Self.restarts(h) == [.operator, .reload, .crash])
    }

    @Test("a failed liveness probe restarts as unhealthy")
    func unhealthy() throws {
        var spec = unit("w")
        spec.liveness = ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081), failureThreshold: 1)
        var h = Harness([spec])
        h.boot()
        let g = try #require(h.effects.reversed().lazy.compactMap { e -> UInt64? in
            if case .startProbe("w", .liveness, let g, _) = e { return g } else { return nil }
        }.first)
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: ProbeResult(healthy: false, latency: .zero, failure: "connection refused")))
        h.exit("w", .signaled(signal: Signals.term, coreDumped: false))
        #expect(Self.restarts(h) == [.unhealthy])
    }

    @Test("hitting the start limit is a give-up, not a restart")
    func startLimit() {
        var h = Harness([unit("a", burst: 2, interval: .seconds(60))])
        h.boot()
        h.exit("a", .exited(code: 1))
        h.advance(.seconds(1))
        h.exit("a", .exited(code: 1))
        h.advance(.seconds(5))
        #expect(h.phase("a") == .failed)
        let m = Self.measurements(h)
        #expect(m.filter { if case .startLimitHit("a") = $0 { return true } else { return false } }.count == 1)
        #expect(Self.restarts(h) == [.crash], "the second exit did not lead to a start")
        // `supervise restart` after a give-up is the operator's restart.
        h.command(.restart, "a")
        #expect(h.phase("a") == .running)
    }

    @Test("drains end as done or cut, with their duration and the calls cut")
    func drains() {
        // Two services: a drained worker counts against its service's max_unavailable.
        var h = Harness([worker("worker-1", timeout: .seconds(30)), worker("agent-1", timeout: .seconds(30))])
        h.boot()
        _ = h.drain("worker-1")
        h.advance(.seconds(3))
        h.exit("worker-1", .exited(code: 0))
        _ = h.drain("agent-1")
        h.progress("agent-1", calls: 4)
        h.advance(.seconds(31))
        h.exit("agent-1", .signaled(signal: Signals.kill, coreDumped: false))
        let ends = Self.measurements(h).compactMap { m -> (String, DrainEnd, Duration, Int?)? in
            if case .drainEnded(let u, let end, let d, let cut) = m { return (u, end, d, cut) } else { return nil }
        }
        #expect(ends.count == 2)
        #expect(ends.first.map { $0.0 == "worker-1" && $0.1 == .done && $0.2 == .seconds(3) && $0.3 == 0 } == true)
        #expect(ends.last.map { $0.0 == "agent-1" && $0.1 == .cut && $0.3 == 4 } == true)
    }

    @Test("live calls are read from the progress URL while a worker runs, through its drain, and forgotten when it ends")
    func liveCalls() throws {
        var h = Harness([worker("worker-1")])
        h.boot()
        let g = try #require(h.drainGeneration("worker-1"), "the progress probe starts with the worker")
        #expect(h.core.status(of: "worker-1", now: h.now)?.liveCalls == nil)
        h.progress("worker-1", calls: 7)
        #expect(h.phase("worker-1") == .running, "a reading never starts or ends anything while running")
        #expect(h.core.status(of: "worker-1", now: h.now)?.liveCalls == 7)
        h.send(.drainProgress(unit: "worker-1", generation: g, activeCalls: nil, error: "connection refused"))
        #expect(h.core.status(of: "worker-1", now: h.now)?.liveCalls == nil, "a failed reading is unknown, not the last count")
        _ = h.drain("worker-1")
        #expect(h.drainGeneration("worker-1") == g, "the same probe goes on through the drain")
        h.progress("worker-1", calls: 2)
        #expect(h.core.status(of: "worker-1", now: h.now)?.liveCalls == 2)
        #expect(h.core.status(of: "worker-1", now: h.now)?.drain?.activeCalls == 2)
        h.exit("worker-1", .exited(code: 0))
        #expect(h.core.status(of: "worker-1", now: h.now)?.liveCalls == nil)
        #expect(h.effects.contains(.stopProbe(unit: "worker-1", role: .drain, generation: g)))
    }
}
