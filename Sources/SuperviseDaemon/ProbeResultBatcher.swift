import Dispatch
import Synchronization
import SuperviseCore

/// Hands probe results to the supervision loop in batches, at most one every ``window``.
///
/// A thousand probes a second would otherwise wake the loop a thousand times a second; the
/// wake-up, not the work, was most of the daemon's probing CPU. A verdict waits at most
/// ``window`` longer, against intervals of a second or more.
final class ProbeResultBatcher: Sendable {
    static let window = DispatchTimeInterval.milliseconds(10)
    private let pending = Mutex<[Event]>([])
    private let feed: AsyncStream<DaemonInput>.Continuation
    private let queue = DispatchQueue(label: "supervise.probe-results")

    init(feed: AsyncStream<DaemonInput>.Continuation) { self.feed = feed }

    /// Called from the probe engine's thread; never blocks it.
    func add(_ result: Event) {
        let first = pending.withLock { batch in
            batch.append(result)
            return batch.count == 1
        }
        if first { queue.asyncAfter(deadline: .now() + Self.window) { self.flush() } }
    }

    private func flush() {
        let batch = pending.withLock { batch in
            defer { batch.removeAll(keepingCapacity: true) }
            return batch
        }
        if !batch.isEmpty { feed.yield(.probeResults(batch)) }
    }
}
