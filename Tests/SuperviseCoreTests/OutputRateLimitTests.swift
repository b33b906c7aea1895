import Testing
import SuperviseCore

@Suite("Output rate limit")
struct OutputRateLimitTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)
    let limits = OutputLimits(rateLimitInterval: .seconds(30), rateLimitBurst: 3, maxLine: 16_384)

    /// Admits `count` lines at `now`; returns the decisions.
    func admit(_ limit: inout OutputRateLimit, _ count: Int, at now: Instant) -> [OutputRateLimit.Decision] {
        (0..<count).map { _ in limit.admit(at: now) }
    }

    @Test("the first burst lines of a window are logged, the rest dropped and counted")
    func burstThenDrop() {
        var limit = OutputRateLimit(limits: limits)
        let decisions = admit(&limit, 3, at: t0) + admit(&limit, 4, at: t0 + .seconds(29))
        #expect(decisions.map(\.log) == [true, true, true, false, false, false, false])
        #expect(decisions.map(\.firstDrop) == [false, false, false, true, false, false, false])
        #expect(decisions.allSatisfy { $0.suppressedBefore == nil })
        #expect(limit.dropped == 4)
        #expect(limit.windowEnd == t0 + .seconds(30))
    }

    @Test("the first line after the window reports the count before it and opens a new window")
    func nextLineReports() {
        var limit = OutputRateLimit(limits: limits)
        _ = admit(&limit, 10, at: t0)
        let next = limit.admit(at: t0 + .seconds(45))
        #expect(next == OutputRateLimit.Decision(suppressedBefore: 7, log: true))
        #expect(limit.windowStart == t0 + .seconds(45))
        #expect(limit.dropped == 0)
        // The new window has its own burst.
        #expect(admit(&limit, 3, at: t0 + .seconds(46)).map(\.log) == [true, true, false])
    }

    @Test("a window that dropped nothing reports nothing")
    func quietWindow() {
        var limit = OutputRateLimit(limits: limits)
        _ = admit(&limit, 3, at: t0)
        #expect(limit.admit(at: t0 + .seconds(30)) == OutputRateLimit.Decision(log: true))
        #expect(limit.expire(at: t0 + .seconds(90)) == nil)
    }

    @Test("expire reports at the window's end, not before, and only once")
    func expireAtEnd() {
        var limit = OutputRateLimit(limits: limits)
        _ = admit(&limit, 5, at: t0)
        #expect(limit.expire(at: t0 + .seconds(30) - .nanoseconds(1)) == nil)
        #expect(limit.dropped == 2)
        #expect(limit.expire(at: t0 + .seconds(30)) == 2)
        #expect(limit.expire(at: t0 + .seconds(31)) == nil)
        #expect(limit.windowStart == nil)
        // The next line opens a window of its own and reports nothing more.
        #expect(limit.admit(at: t0 + .seconds(40)) == OutputRateLimit.Decision(log: true))
        #expect(limit.windowEnd == t0 + .seconds(70))
    }

    @Test("takeDropped reports early and the window goes on; later drops are counted afresh")
    func takeDroppedKeepsWindow() {
        var limit = OutputRateLimit(limits: limits)
        _ = admit(&limit, 5, at: t0)
        #expect(limit.takeDropped() == 2)
        #expect(limit.takeDropped() == nil)
        // Still the same window: a restarted process's lines are still over the burst.
        let after = admit(&limit, 2, at: t0 + .seconds(1))
        #expect(after.map(\.log) == [false, false])
        #expect(after.map(\.firstDrop) == [true, false])
        #expect(limit.expire(at: t0 + .seconds(30)) == 2)
    }

    @Test("burst 0 logs everything and keeps no window")
    func disabled() {
        var off = limits
        off.rateLimitBurst = 0
        var limit = OutputRateLimit(limits: off)
        #expect(admit(&limit, 100_000, at: t0).allSatisfy { $0 == OutputRateLimit.Decision(log: true) })
        #expect(limit.windowStart == nil)
        #expect(limit.dropped == 0)
    }

    @Test("turning the limit off reports what the window had dropped")
    func turnedOff() {
        var limit = OutputRateLimit(limits: limits)
        _ = admit(&limit, 5, at: t0)
        limit.limits.rateLimitBurst = 0
        #expect(limit.admit(at: t0 + .seconds(1)) == OutputRateLimit.Decision(suppressedBefore: 2, log: true))
        #expect(limit.admit(at: t0 + .seconds(2)) == OutputRateLimit.Decision(log: true))
    }

    @Test("a million lines in one window keep the state to its counters")
    func flood() {
        var limit = OutputRateLimit(limits: OutputLimits.default)
        var logged = 0
        for i in 0..<1_000_000 where limit.admit(at: t0 + .microseconds(i)).log { logged += 1 }
        #expect(logged == 10_000)
        #expect(limit.dropped == 990_000)
        #expect(limit.expire(at: t0 + .seconds(30)) == 990_000)
    }

    @Test("the suppression message names the count and the limit")
    func message() {
        #expect(OutputLimits.default.suppressionMessage(dropped: 48213)
            == "suppressed 48213 lines of output (rate limit 10000 lines per 30s)")
        let small = OutputLimits(rateLimitInterval: .milliseconds(2500), rateLimitBurst: 100, maxLine: 1024)
        #expect(small.suppressionMessage(dropped: 1) == "suppressed 1 line of output (rate limit 100 lines per 2.5s)")
    }
}
