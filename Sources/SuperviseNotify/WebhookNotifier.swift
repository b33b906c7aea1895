import CSuperviseSys
import Dispatch
import Foundation
import SuperviseCore
import SuperviseThreads
import Synchronization

/// Tells webhooks about events: a JSON `POST` (see ``WebhookPayload``) to each webhook of the ``NotifySpec`` that
/// subscribes to the event, retried with backoff (``WebhookRetry``) until a 2xx answer.
///
/// - ``publish(_:)`` never blocks and never waits for the network: it appends to a bounded queue per webhook
///   (``defaultCapacity`` deliveries; when it is full the oldest queued delivery is dropped and counted) and
///   rings the delivery thread. It also finds recoveries in the events and publishes `recovered` for them (see
///   ``WebhookSpec/recovered``).
/// - Deliveries run on one thread of their own, `sv-webhooks` (libcurl's multi interface; nothing runs on
///   Swift's cooperative pool), started by ``start()`` and ended by ``stop()``. Each webhook gets its events in
///   order, one at a time; webhooks do not wait for each other.
/// - Failed attempts are reported through `log` (called on the delivery thread only, one line each, with the
///   webhook's URL redacted by ``RedactedURL``), and everything is counted in ``counters``.
///
/// A spec without webhooks makes a notifier that starts no thread and whose `publish` does nothing.
public final class WebhookNotifier: Sendable {
    /// Deliveries each webhook may have queued (besides the one it is working on).
    public static let defaultCapacity = 1_000
    /// The delivery thread's name, as `top -H` and `/proc/PID/task/TID/comm` show it.
    public static let threadName = "sv-webhooks"

    public let spec: NotifySpec
    private let mailbox: DeliveryMailbox
    private let deliveryCounters = DeliveryCounters()
    private let retry: WebhookRetry
    private let host: String
    private let log: @Sendable (String) -> Void
    private let lifecycle = Lifecycle()
    private let stopped = DispatchGroup()

    /// A notifier for `spec`'s webhooks; nothing is sent before ``start()``, but events published earlier are
    /// queued. `log` gets one line per failed attempt and per batch of dropped deliveries.
    /// - Parameters:
    ///   - retry: how failed attempts are retried.
    ///   - capacity: deliveries each webhook may have queued (at least 1).
    ///   - host: the `host` field of every payload; the machine's host name by default.
    public init(spec: NotifySpec, retry: WebhookRetry = .default, capacity: Int = WebhookNotifier.defaultCapacity,
                host: String? = nil, log: @escaping @Sendable (String) -> Void) {
        self.spec = spec
        self.retry = retry
        self.host = host ?? WebhookPayload.hostName()
        self.log = log
        mailbox = DeliveryMailbox(webhooks: spec.webhooks, capacity: max(1, capacity), counters: deliveryCounters)
    }

    deinit {
        // Never waits here: a notifier dropped without stop() still ends its thread.
        mailbox.close()
    }

    /// Queues `event` for every webhook that subscribes to it. Returns at once: no I/O, no waiting but for a lock
    /// held only to append or to take from the queues. Safe from any thread and any task.
    public func publish(_ event: SupervisionEvent) {
        guard !spec.webhooks.isEmpty else { return }
        mailbox.publish(event)
    }

    /// What became of the deliveries so far; readable at any time from any thread.
    public var counters: WebhookCounters { deliveryCounters.snapshot }

    /// Starts the delivery thread. Does nothing when there are no webhooks, when it has started already, or after
    /// ``stop()`` (a stopped notifier stays stopped: make a new one).
    public func start() {
        guard !spec.webhooks.isEmpty, !mailbox.isStopped, lifecycle.markStarted() else { return }
        let (mailbox, counters, retry, host, log, stopped) = (mailbox, deliveryCounters, retry, host, log, stopped)
        stopped.enter()
        startThread(named: WebhookNotifier.threadName) {
            defer { stopped.leave() }
            guard let loop = DeliveryLoop(mailbox: mailbox, counters: counters, retry: retry, host: host, log: log)
            else {
                log("webhooks: libcurl (libcurl.so.4) could not be loaded; no notification will be sent")
                mailbox.close()
                return
            }
            loop.run()
        }
    }

    /// Ends the delivery thread and waits for it (unless called from `log`, on that thread): attempts in flight
    /// are aborted, and deliveries not yet sent are counted as dropped, as are events published afterwards.
    /// Returns within milliseconds: the thread is woken from its sleep and nothing it does blocks. Idempotent.
    public func stop() {
        mailbox.close()
        if !mailbox.onOwningThread { stopped.wait() }
    }
}

/// Whether ``WebhookNotifier/start()`` has run.
private final class Lifecycle: Sendable {
    private let started = Mutex(false)

    /// True the first time only.
    func markStarted() -> Bool {
        started.withLock { started in
            defer { started = true }
            return !started
        }
    }
}
