import Foundation

/// Nanoseconds on `CLOCK_MONOTONIC`: the notifier's only time base for ages and backoff (never the wall clock).
enum MonotonicClock {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

extension Duration {
    /// Whole nanoseconds, 0 for a negative duration, saturated far beyond any timeout.
    var notifyNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (ns, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? UInt64.max / 4 : ns &+ UInt64(attoseconds / 1_000_000_000)
    }
}
