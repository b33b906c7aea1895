/// A point on a monotonic clock, in nanoseconds since an arbitrary origin.
///
/// The core never reads a clock: the shell passes `now` in, and tests pass virtual time.
public struct Instant: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds + d.nanosecondsClamped) }
    public static func - (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds - d.nanosecondsClamped) }
    public static func - (a: Instant, b: Instant) -> Duration { .nanoseconds(a.nanoseconds - b.nanoseconds) }

    public var description: String { "t+\(DurationText.format(.nanoseconds(nanoseconds)))" }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `Int64`.
    public var nanosecondsClamped: Int64 {
        let (s, atto) = components
        let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        let (sum, o2) = ns.addingReportingOverflow(atto / 1_000_000_000)
        return o2 ? (s < 0 ? .min : .max) : sum
    }

    /// The duration in seconds as a `Double`.
    public var seconds: Double { Double(nanosecondsClamped) / 1e9 }

    /// The duration in milliseconds as a `Double`.
    public var milliseconds: Double { Double(nanosecondsClamped) / 1e6 }
}
