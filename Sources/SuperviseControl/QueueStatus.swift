/// A configured queue (`queues:`) as `supervise status` shows it.
public struct QueueStatus: Codable, Sendable, Equatable {
    public var name: String
    /// `127.0.0.1:6379` or `unix:/run/redis/redis.sock`.
    public var redis: String
    public var list: String
    public var service: String?
    /// The list's length at the last reading; nil when it failed.
    public var length: Int?
    /// Why the last reading failed (`redis 127.0.0.1:6379: connection refused`), or `not read yet`.
    public var error: String?
    public var readSecondsAgo: Double?

    public init(name: String, redis: String, list: String, service: String?, length: Int?, error: String?, readSecondsAgo: Double?) {
        self.name = name
        self.redis = redis
        self.list = list
        self.service = service
        self.length = length
        self.error = error
        self.readSecondsAgo = readSecondsAgo
    }
}
