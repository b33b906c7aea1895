/// The rate limit of one unit's output lines, as journald applies `RateLimitIntervalSec=` and
/// `RateLimitBurst=`: a window opens with the first line, the first `burst` lines in it are logged,
/// the rest are dropped and only counted, and once the window is over one record says how many.
///
/// Pure: the shell passes the time in. The state is a few counters whatever the unit writes; dropped
/// lines are never kept. Keyed by unit by the shell, so the count goes on across restarts of the
/// unit's process within a window.
public struct OutputRateLimit: Sendable, Hashable {
    /// The limits in force; a reload that changes them keeps the current window's counts.
    public var limits: OutputLimits
    /// When the current window opened; nil before the first line and after a window was closed.
    public private(set) var windowStart: Instant?
    /// Lines logged in the current window.
    public private(set) var logged = 0
    /// Lines dropped in the current window and not reported yet.
    public private(set) var dropped = 0

    public init(limits: OutputLimits) { self.limits = limits }

    /// When the current window ends; nil when none is open.
    public var windowEnd: Instant? { windowStart.map { $0 + limits.rateLimitInterval } }

    /// What to do with one line.
    public struct Decision: Sendable, Hashable {
        /// Lines dropped in a window that ended before this line (or before the limit was turned off):
        /// report them before this line. nil when there are none to report.
        public var suppressedBefore: Int?
        /// Log the line; false: drop it.
        public var log: Bool
        /// The line is the first one dropped since the last report: call ``expire(at:)`` at ``windowEnd``
        /// so the count is reported even if the unit goes quiet.
        public var firstDrop: Bool

        public init(suppressedBefore: Int? = nil, log: Bool, firstDrop: Bool = false) {
            self.suppressedBefore = suppressedBefore
            self.log = log
            self.firstDrop = firstDrop
        }
    }

    /// A line arrived at `now`.
    public mutating func admit(at now: Instant) -> Decision {
        var before = expire(at: now)
        guard limits.rateLimited else {
            // Turned off by a reload: what the last window dropped is still reported.
            before = before ?? takeDropped()
            windowStart = nil
            logged = 0
            return Decision(suppressedBefore: before, log: true)
        }
        if windowStart == nil {
            windowStart = now
            logged = 0
        }
        if logged < limits.rateLimitBurst {
            logged += 1
            return Decision(suppressedBefore: before, log: true)
        }
        dropped += 1
        return Decision(suppressedBefore: before, log: false, firstDrop: dropped == 1)
    }

    /// Closes the window if it has ended by `now`; returns the lines it dropped that were not reported
    /// yet (nil when none). A window not yet over is left alone.
    public mutating func expire(at now: Instant) -> Int? {
        guard let end = windowEnd, now >= end else { return nil }
        windowStart = nil
        logged = 0
        return takeDropped()
    }

    /// The lines dropped so far and not reported yet (nil when none), reported now: for example when
    /// the unit's process ended. The window goes on; lines it drops later are counted afresh.
    public mutating func takeDropped() -> Int? {
        guard dropped > 0 else { return nil }
        defer { dropped = 0 }
        return dropped
    }
}
