import SuperviseCore

/// One event on its way to one webhook.
struct Delivery: Sendable {
    let event: SupervisionEvent
    /// When it was published (``MonotonicClock``): its age bounds its retries.
    let published: UInt64

    /// `gave-up of worker-1 (seq 17)`, `docker-lost (seq 4)`: the event, as log lines name it.
    var label: String {
        event.unit.map { "\(event.event) of \($0) (seq \(event.seq))" } ?? "\(event.event) (seq \(event.seq))"
    }
}
