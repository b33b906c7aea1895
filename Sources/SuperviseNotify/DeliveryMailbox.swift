import CCurl
import Foundation
import SuperviseCore
import Synchronization

/// What `publish` and the delivery thread share: one bounded queue of deliveries per webhook, the recovery
/// tracker, whether the notifier is stopped, and the doorbell into the thread's `curl_multi_poll`.
///
/// `publish` holds the lock only to append (and ring `curl_multi_wakeup`, a write to curl's wake-up pipe, at
/// most once per turn of the thread); the thread holds it only to take what it can work on.
final class DeliveryMailbox: Sendable {
    private struct State: ~Copyable {
        var queues: [BoundedQueue<Delivery>]
        /// Deliveries pushed out of each full queue since the thread last reported them.
        var overflowed: [Int]
        var tracker = RecoveryTracker()
        var multi: MultiRef?
        var thread: pthread_t?
        /// The doorbell has been rung since the thread last took work: no need to ring again.
        var rung = false
        var stopped = false
    }

    /// What the thread takes on one turn.
    struct Work {
        /// Stop: nothing else is set.
        var stopped = false
        /// A delivery for each webhook that was idle and had one queued.
        var deliveries: [(webhook: Int, delivery: Delivery)] = []
        /// Per webhook: deliveries pushed out of its full queue since the last turn.
        var overflowed: [(webhook: Int, count: Int)] = []
        /// Per webhook: deliveries taken from the queue too old to attempt (failed unsent).
        var expired: [(webhook: Int, count: Int)] = []
    }

    let webhooks: [WebhookSpec]
    private let counters: DeliveryCounters
    private let state: Mutex<State>

    init(webhooks: [WebhookSpec], capacity: Int, counters: DeliveryCounters) {
        self.webhooks = webhooks
        self.counters = counters
        state = Mutex(State(queues: webhooks.map { _ in BoundedQueue(capacity: capacity) },
                            overflowed: webhooks.map { _ in 0 }))
    }

    /// Queues `event` for every webhook that wants it (and the `recovered` event it shows, if any). Never waits for
    /// anything but the lock.
    func publish(_ event: SupervisionEvent) {
        let now = MonotonicClock.now()
        state.withLock { state in
            var queued = enqueue(event, now: now, into: &state)
            if let recovered = state.tracker.observe(event) {
                queued = enqueue(recovered, now: now, into: &state) || queued
            }
            if queued, !state.rung, let multi = state.multi {
                state.rung = true
                _ = csupervise_curl_multi_wakeup(multi.pointer)
            }
        }
    }

    /// Appends `event` to the queue of each webhook that wants it; whether any did. Counts what is dropped: the
    /// oldest of a full queue, or everything once stopped.
    private func enqueue(_ event: SupervisionEvent, now: UInt64, into state: inout State) -> Bool {
        var queued = false
        for index in webhooks.indices where webhooks[index].wants(event.event) {
            if state.stopped {
                counters.add(.dropped)
            } else {
                if state.queues[index].append(Delivery(event: event, published: now)) != nil {
                    counters.add(.dropped)
                    state.overflowed[index] += 1
                }
                queued = true
            }
        }
        return queued
    }

    /// For the thread: the next delivery of each webhook in `idle`, skipping (and counting as failed) those older
    /// than `maxAge` nanoseconds; or `stopped`.
    func take(idle: [Int], now: UInt64, maxAge: UInt64) -> Work {
        state.withLock { state in
            var work = Work()
            guard !state.stopped else {
                work.stopped = true
                return work
            }
            state.rung = false
            for index in idle {
                var expired = 0
                while let delivery = state.queues[index].popFirst() {
                    // Published after `now` was read (a publish between the clock and the lock): fresh.
                    if now > delivery.published && now - delivery.published > maxAge {
                        expired += 1
                        continue
                    }
                    work.deliveries.append((index, delivery))
                    break
                }
                if expired > 0 { work.expired.append((index, expired)) }
            }
            for index in state.overflowed.indices where state.overflowed[index] > 0 {
                work.overflowed.append((index, state.overflowed[index]))
                state.overflowed[index] = 0
            }
            return work
        }
    }

    /// Stops taking deliveries: everything queued is dropped (and counted), later ones too. Rings the thread so it
    /// sees it. Returns false when it was already stopped.
    @discardableResult
    func close() -> Bool {
        state.withLock { state in
            guard !state.stopped else { return false }
            state.stopped = true
            for index in state.queues.indices { counters.add(.dropped, state.queues[index].removeAll()) }
            if let multi = state.multi { _ = csupervise_curl_multi_wakeup(multi.pointer) }
            return true
        }
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Called by the thread when it starts (`multi`) and stops (nil) owning its multi handle.
    func attach(multi: UnsafeMutableRawPointer?) {
        let ref = multi.map(MultiRef.init)
        state.withLock { state in
            state.multi = ref
            state.thread = ref == nil ? nil : pthread_self()
            state.rung = false
        }
    }

    /// Whether the caller is the delivery thread (which must never wait for itself).
    var onOwningThread: Bool {
        state.withLock { state in state.thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }
}

/// The multi handle as the mailbox holds it for `curl_multi_wakeup`, the one multi call that is safe from any thread.
private struct MultiRef: @unchecked Sendable {
    // @unchecked: only `curl_multi_wakeup` is called through it, with the mailbox lock held, and only while the
    // delivery thread has it attached (it detaches before `curl_multi_cleanup`).
    let pointer: UnsafeMutableRawPointer
}
