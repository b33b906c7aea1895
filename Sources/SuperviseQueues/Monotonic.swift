import Foundation
import SuperviseCore

/// `CLOCK_MONOTONIC`, the daemon's clock, as a core ``Instant``: deadlines and reading times never follow the wall
/// clock.
enum Monotonic {
    static func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }
}
