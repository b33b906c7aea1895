/// A Redis list whose length supervise reports (`queues:` in the configuration): the platform's workers take calls
/// from such a list, and its depth per ready worker is what Prometheus alerts on.
public struct QueueSpec: Sendable, Hashable, Codable {
    /// The queue's name in the configuration and in the `queue` metric label.
    public var name: String
    public var redis: RedisAddress
    /// The list's key in Redis (the queue's name unless `list` says otherwise).
    public var list: String
    /// The Redis database (`SELECT`), 0 by default.
    public var db: Int
    /// A Redis 6 ACL user: `AUTH username password`; without one, `AUTH password` (the `default` user).
    public var username: String?
    /// Where the password is read; nil: no `AUTH`.
    public var password: QueuePasswordSource?
    /// The service whose workers take from this queue (a metric label); nil when unset.
    public var service: String?
    /// Time between two readings of the list.
    public var interval: Duration
    /// The longest a reading may take, connecting included; a slower one fails as timed out.
    public var timeout: Duration

    public static let defaultInterval = Duration.seconds(5)
    public static let defaultTimeout = Duration.seconds(1)

    public init(name: String, redis: RedisAddress, list: String? = nil, db: Int = 0, username: String? = nil,
                password: QueuePasswordSource? = nil, service: String? = nil,
                interval: Duration = QueueSpec.defaultInterval, timeout: Duration = QueueSpec.defaultTimeout) {
        self.name = name
        self.redis = redis
        self.list = list ?? name
        self.db = db
        self.username = username
        self.password = password
        self.service = service
        self.interval = interval
        self.timeout = timeout
    }
}
