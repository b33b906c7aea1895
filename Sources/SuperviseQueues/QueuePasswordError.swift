import SuperviseCore

/// A queue's password could not be read: `queue call-queue: cannot read password_file /etc/supervise/redis.pass:
/// No such file or directory`.
public struct QueuePasswordError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The queue's name.
    public var queue: String
    /// Where its password was to come from.
    public var source: QueuePasswordSource
    /// Why it could not: the system's reason, or what is wrong with the file or variable.
    public var reason: String

    public init(queue: String, source: QueuePasswordSource, reason: String) {
        self.queue = queue
        self.source = source
        self.reason = reason
    }

    public var description: String { "queue \(queue): cannot read \(source): \(reason)" }
}
