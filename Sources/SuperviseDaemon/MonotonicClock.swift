import Foundation
import SuperviseCore

/// The shell's clock: CLOCK_MONOTONIC as a core ``Instant``.
enum MonotonicClock {
    static func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }
}
