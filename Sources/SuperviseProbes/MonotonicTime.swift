import Foundation

/// Nanoseconds on `CLOCK_MONOTONIC`: the probe engine's only time base (never the wall clock).
enum MonotonicTime {
    /// Now, in nanoseconds since an arbitrary boot-time origin.
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to at least `minimum` (negative durations never reach the scheduler).
    func nanoseconds(atLeast minimum: UInt64) -> UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return minimum }
        let ns = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !ns.overflow else { return UInt64.max / 4 }
        return Swift.max(minimum, ns.partialValue &+ UInt64(attoseconds / 1_000_000_000))
    }

    /// Whole milliseconds, at least 1: what curl's `*_MS` options and the failure texts use.
    var probeMilliseconds: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 1 }
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        guard !ms.overflow else { return Int.max / 4 }
        return Swift.max(1, Int(ms.partialValue) + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// A duration from a monotonic nanosecond difference.
    static func monotonic(from start: UInt64, to end: UInt64) -> Duration {
        .nanoseconds(Int64(end >= start ? end - start : 0))
    }
}
