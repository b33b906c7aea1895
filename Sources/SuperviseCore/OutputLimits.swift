/// How much of a process unit's output reaches the daemon's log: a journald-style rate limit
/// (`RateLimitIntervalSec=`, `RateLimitBurst=`) and a longest line (journald's `LineMax=`).
///
/// Set by a unit's `output` key (or `defaults.output`); containers' output is Docker's, not captured.
public struct OutputLimits: Sendable, Hashable, Codable {
    /// Length of one rate-limit window; a window starts with the first line after the last one ended.
    public var rateLimitInterval: Duration
    /// Lines of the unit (stdout and stderr together, across restarts) logged per window; the rest are
    /// dropped and counted. 0 turns the rate limit off.
    public var rateLimitBurst: Int
    /// Bytes of one line that are kept: a longer line is cut there and marked, the rest of it discarded.
    public var maxLine: Int

    /// journald's defaults (30 s, 10,000 lines) and 16 KiB lines.
    public static let `default` = OutputLimits(rateLimitInterval: .seconds(30), rateLimitBurst: 10_000,
                                               maxLine: 16 * 1024)

    /// The `max_line` values accepted, in bytes.
    public static let maxLineRange = 256...(1024 * 1024)

    public init(rateLimitInterval: Duration, rateLimitBurst: Int, maxLine: Int) {
        self.rateLimitInterval = rateLimitInterval
        self.rateLimitBurst = rateLimitBurst
        self.maxLine = maxLine
    }

    /// Whether lines are rate-limited at all (`rate_limit_burst` is not 0).
    public var rateLimited: Bool { rateLimitBurst > 0 }

    /// `suppressed 48213 lines of output (rate limit 10000 lines per 30s)`: the record that reports lines dropped.
    public func suppressionMessage(dropped: Int) -> String {
        "suppressed \(dropped) \(dropped == 1 ? "line" : "lines") of output "
            + "(rate limit \(rateLimitBurst) lines per \(DurationText.format(rateLimitInterval)))"
    }
}
