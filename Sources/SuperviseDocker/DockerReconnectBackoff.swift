/// The delay before reconnecting the event stream after it ended: immediate for the first
/// attempt (a daemon restart is usually over quickly), then doubling from ``initial`` up to
/// ``max``. Reset the attempt count once a connection has stayed up for a while (or after
/// a successful resync). Deterministic: add jitter in the caller if several supervisors share
/// a daemon.
public struct DockerReconnectBackoff: Sendable, Hashable {
    public var initial: Duration
    public var max: Duration

    /// 100 ms doubling to 10 s, like Docker's own restart backoff (100 ms doubling) with a
    /// lower cap: the stream is our eyes, so being blind for a minute is too long.
    public static let `default` = DockerReconnectBackoff(initial: .milliseconds(100), max: .seconds(10))

    public init(initial: Duration, max: Duration) {
        self.initial = initial
        self.max = max
    }

    /// The delay before reconnect attempt `attempt` (1-based): 0, initial, 2×initial, ... ≤ max.
    public func delay(attempt: Int) -> Duration {
        guard attempt > 1 else { return .zero }
        var delay = initial
        for _ in 0..<(attempt - 2) {
            delay = delay * 2
            if delay >= max { return max }
        }
        return Swift.min(delay, max)
    }
}
