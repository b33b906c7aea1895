import SuperviseCore

/// One reading of a queue's length: the length, or why it could not be read.
public struct QueueReading: Sendable, Hashable, CustomStringConvertible {
    /// The queue's name (``QueueSpec/name``).
    public var queue: String
    /// The list's length (`LLEN`); nil when the reading failed.
    public var length: Int?
    /// Why the reading failed, such as `redis 127.0.0.1:6379: connection refused`; nil when it worked.
    public var error: String?
    /// When the reading ended, on `CLOCK_MONOTONIC` (the daemon's clock).
    public var at: Instant
    /// How long the reading took, connecting included.
    public var took: Duration

    public init(queue: String, length: Int?, error: String?, at: Instant, took: Duration) {
        self.queue = queue
        self.length = length
        self.error = error
        self.at = at
        self.took = took
    }

    /// `call-queue: 12` or `call-queue: redis 127.0.0.1:6379: connection refused`.
    public var description: String {
        "\(queue): " + (length.map(String.init) ?? error ?? "no reading")
    }
}
