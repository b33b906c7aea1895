import SuperviseCore

/// The time the supervision loop goes by: what the core is told it is, and how the loop waits for
/// the core's next deadline (``MonotonicClock``: CLOCK_MONOTONIC).
package protocol SupervisionClock: Sendable {
    /// Now, on the core's time line.
    func now() -> Instant
    /// Returns once ``now()`` has reached `deadline` (at once if it has); throws when the task is
    /// cancelled first.
    func sleep(until deadline: Instant) async throws
}
