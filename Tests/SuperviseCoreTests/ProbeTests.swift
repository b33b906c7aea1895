import Testing
@testable import SuperviseCore

@Suite struct ProbeTests {
    static func probed(_ name: String, liveness: ProbeSpec? = nil, readiness: ProbeSpec? = nil, burst: Int = 100) -> UnitSpec {
        var spec = unit(name, policy: .always, burst: burst)
        spec.liveness = liveness
        spec.readiness = readiness
        return spec
    }

    static let http = ProbeCheck.http(HTTPCheck(url: "http://127.0.0.1:8081/"))
    static let ok = ProbeResult(healthy: true, latency: .milliseconds(2))
    static func bad(_ why: String = "HTTP 503: unhealthy") -> ProbeResult {
        ProbeResult(healthy: false, latency: .milliseconds(3), failure: why)
    }

    /// The generation of the probe currently started for `name`/`role`.
    func generation(_ h: Harness, _ name: String, _ role: ProbeRole) -> UInt64? {
        h.effects.reversed().lazy.compactMap { effect -> UInt64? in
            if case .startProbe(name, role, let g, _) = effect { return g }
            return nil
        }.first
    }

    @Test func probesStartWithTheProcessAndStopWithIt() throws {
        var h = Harness([Self.probed("w", liveness: ProbeSpec(check: Self.http), readiness: ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081)))])
        h.boot()
        let live = try #require(generation(h, "w", .liveness))
        let ready = try #require(generation(h, "w", .readiness))
        #expect(live != ready)
        _ = h.command(.stop, "w")
        #expect(h.effects.contains(.stopProbe(unit: "w", role: .liveness, generation: live)))
        #expect(h.effects.contains(.stopProbe(unit: "w", role: .readiness, generation: ready)))
    }

    @Test func livenessRestartsAfterExactlyFailureThresholdFailures() throws {
        var h = Harness([Self.probed("w", liveness: ProbeSpec(check: Self.http, interval: .seconds(1), failureThreshold: 3))])
        h.boot()
        let g = try #require(generation(h, "w", .liveness))
        let pid = try #require(h.pid("w"))
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.ok))
        for n in 1...2 {
            h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad()))
            #expect(h.phase("w") == .running, "still running after \(n) failures")
            #expect(h.core.unit("w")?.probes[.liveness]?.failingStreak == n)
        }
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad()))
        #expect(h.phase("w") == .stopping)
        #expect(h.signals.last?.signal == Signals.term)
        #expect(h.logEvents.contains("w:unhealthy"))
        h.send(.exited(unit: "w", pid: pid, status: .signaled(signal: 15, coreDumped: false)))
        // Restarted through the policy: a new process, with a fresh probe generation.
        #expect(h.phase("w") == .running)
        #expect(h.pid("w") != pid)
        #expect(h.core.unit("w")?.restarts == 1)
        #expect(h.core.unit("w")?.reason == nil)
        let g2 = try #require(generation(h, "w", .liveness))
        #expect(g2 != g)
        // A late result of the old process changes nothing.
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad()))
        #expect(h.core.unit("w")?.probes[.liveness]?.failingStreak == 0)
    }

    @Test func theReasonIsRecordedWhenThePolicyDoesNotRestart() throws {
        var spec = Self.probed("w", liveness: ProbeSpec(check: Self.http, failureThreshold: 1))
        spec.restart.policy = .no
        var h = Harness([spec])
        h.boot()
        let g = try #require(generation(h, "w", .liveness))
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad("timeout after 1000 ms")))
        h.exit("w", .signaled(signal: 15, coreDumped: false))
        #expect(h.phase("w") == .exited)
        #expect(h.core.unit("w")?.reason == "unhealthy: timeout after 1000 ms; not restarted (restart policy no)")
    }

    @Test func failuresInTheStartPeriodDoNotCountUntilTheFirstSuccess() throws {
        var h = Harness([Self.probed("w", liveness: ProbeSpec(check: Self.http, failureThreshold: 2, startPeriod: .seconds(10)))])
        h.boot()
        let g = try #require(generation(h, "w", .liveness))
        for _ in 0..<5 {
            h.advance(.seconds(1))
            h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad("connection refused")))
        }
        #expect(h.phase("w") == .running)
        #expect(h.core.unit("w")?.probes[.liveness]?.failingStreak == 0)
        #expect(h.core.unit("w")?.probes[.liveness]?.lastFailure == "connection refused")
        // After the period, failures count.
        h.advance(.seconds(6))
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad()))
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad()))
        #expect(h.phase("w") == .stopping)
    }

    @Test func aSuccessEndsTheStartPeriodEarly() throws {
        var h = Harness([Self.probed("w", liveness: ProbeSpec(check: Self.http, failureThreshold: 2, startPeriod: .seconds(60)))])
        h.boot()
        let g = try #require(generation(h, "w", .liveness))
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.ok))
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad()))
        h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad()))
        #expect(h.phase("w") == .stopping)
    }

    @Test func readinessIsReportedAndNeverRestarts() throws {
        var h = Harness([Self.probed("w", readiness: ProbeSpec(check: Self.http, failureThreshold: 2, successThreshold: 2))])
        h.boot()
        let g = try #require(generation(h, "w", .readiness))
        for _ in 0..<10 { h.send(.probeResult(unit: "w", role: .readiness, generation: g, result: Self.bad())) }
        #expect(h.phase("w") == .running)
        #expect(h.core.unit("w")?.probes[.readiness]?.health == .unhealthy)
        #expect(h.signals.isEmpty)
        h.send(.probeResult(unit: "w", role: .readiness, generation: g, result: Self.ok))
        #expect(h.core.unit("w")?.probes[.readiness]?.health == .unhealthy, "needs success_threshold = 2")
        h.send(.probeResult(unit: "w", role: .readiness, generation: g, result: Self.ok))
        #expect(h.core.unit("w")?.probes[.readiness]?.health == .healthy)
    }

    @Test func unhealthyRestartsGoThroughBackoffAndTheStartLimit() throws {
        var h = Harness([Self.probed("w", liveness: ProbeSpec(check: Self.http, failureThreshold: 1), burst: 3)])
        h.boot()
        for _ in 0..<10 {
            guard h.phase("w") == .running, let g = generation(h, "w", .liveness), let pid = h.pid("w") else {
                h.advance(.seconds(1))
                continue
            }
            h.send(.probeResult(unit: "w", role: .liveness, generation: g, result: Self.bad()))
            h.send(.exited(unit: "w", pid: pid, status: .signaled(signal: 15, coreDumped: false)))
        }
        #expect(h.phase("w") == .failed)
        #expect(h.spawns.count == 3)
        #expect(h.core.unit("w")?.reason?.contains("last: unhealthy: HTTP 503: unhealthy") == true)
    }
}
