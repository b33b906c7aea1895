/// What became of webhook deliveries since the notifier was made (one delivery: one event for one webhook).
///
/// `sent`, `failed` and `dropped` are the values of `supervise_webhook_deliveries_total{result}`.
public struct WebhookCounters: Sendable, Equatable, CustomStringConvertible {
    /// Answered with a 2xx status.
    public var sent: UInt64
    /// Given up: every attempt failed, or the delivery grew older than ``WebhookRetry/maxAge``.
    public var failed: UInt64
    /// Never attempted to the end: pushed out of a full queue by a newer one, published after ``WebhookNotifier/stop()``,
    /// or still pending when it was called.
    public var dropped: UInt64
    /// Attempts after a failed one (not deliveries: a delivery sent on its third attempt counts 2).
    public var retried: UInt64

    public init(sent: UInt64 = 0, failed: UInt64 = 0, dropped: UInt64 = 0, retried: UInt64 = 0) {
        self.sent = sent
        self.failed = failed
        self.dropped = dropped
        self.retried = retried
    }

    public var description: String { "sent \(sent), failed \(failed), dropped \(dropped), retried \(retried)" }
}
