import Synchronization

/// The running totals behind ``WebhookCounters``, updated from any thread without a lock.
final class DeliveryCounters: Sendable {
    enum Counter { case sent, failed, dropped, retried }

    private let sent = Atomic<UInt64>(0)
    private let failed = Atomic<UInt64>(0)
    private let dropped = Atomic<UInt64>(0)
    private let retried = Atomic<UInt64>(0)

    func add(_ counter: Counter, _ amount: Int = 1) {
        guard amount > 0 else { return }
        switch counter {
        case .sent: sent.add(UInt64(amount), ordering: .relaxed)
        case .failed: failed.add(UInt64(amount), ordering: .relaxed)
        case .dropped: dropped.add(UInt64(amount), ordering: .relaxed)
        case .retried: retried.add(UInt64(amount), ordering: .relaxed)
        }
    }

    var snapshot: WebhookCounters {
        WebhookCounters(sent: sent.load(ordering: .relaxed), failed: failed.load(ordering: .relaxed),
                        dropped: dropped.load(ordering: .relaxed), retried: retried.load(ordering: .relaxed))
    }
}
