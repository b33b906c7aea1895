import Foundation
import SuperviseCore

/// The shell's clock: CLOCK_MONOTONIC as a core ``Instant``.
struct MonotonicClock: SupervisionClock {
    static func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    func now() -> Instant { Self.now() }

    func sleep(until deadline: Instant) async throws {
        let delay = deadline - Self.now()
        if delay > .zero { try await Task.sleep(for: delay) }
    }
}
