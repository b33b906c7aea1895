/// How failed deliveries are tried again: exponential backoff with jitter, bounded by attempts and by age.
///
/// A delivery is attempted at most ``attempts`` times. After the n-th failed attempt the next one waits
/// `initialDelay × 2^(n-1)`, capped at ``maxDelay`` and spread by ± ``jitter`` (1 s, 2 s, 4 s, 8 s by default).
/// A delivery older than ``maxAge`` (since it was published) is not attempted again: it is failed.
public struct WebhookRetry: Sendable, Equatable {
    /// Attempts per delivery, the first one included; at least 1.
    public var attempts: Int
    /// The wait after the first failed attempt.
    public var initialDelay: Duration
    /// The longest wait between two attempts.
    public var maxDelay: Duration
    /// How long after its event a delivery may still be attempted.
    public var maxAge: Duration
    /// A fraction of each wait, 0 to 1: the wait is spread over `delay × (1 ± jitter)`.
    public var jitter: Double

    /// 5 attempts (1 s, 2 s, 4 s, 8 s apart, ± 20 %) within 10 minutes.
    public static let `default` = WebhookRetry(attempts: 5, initialDelay: .seconds(1), maxDelay: .seconds(60),
                                               maxAge: .seconds(600), jitter: 0.2)

    public init(attempts: Int, initialDelay: Duration, maxDelay: Duration, maxAge: Duration, jitter: Double) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maxDelay = max(initialDelay, maxDelay)
        self.maxAge = maxAge
        self.jitter = min(1, max(0, jitter))
    }

    /// The wait after failed attempt number `attempt` (1 for the first), with `random` in `0..<1` placing it within
    /// the jitter.
    public func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        var delay = initialDelay
        var doublings = max(0, attempt - 1)
        while doublings > 0 && delay < maxDelay {
            delay *= 2
            doublings -= 1
        }
        let base = min(delay, maxDelay)
        let factor = 1 + jitter * (2 * min(max(random, 0), 1) - 1)
        return base * factor
    }
}
