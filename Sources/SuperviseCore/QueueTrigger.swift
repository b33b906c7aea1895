/// An autoscaler trigger on the length of a Redis list (`autoscale.queue`), as KEDA's Redis list scaler: the
/// service wants one replica per ``target`` queued calls.
///
/// The connection keys are those of a `queues:` entry (``QueueSpec``): address, database, ACL user and where the
/// password is read, and the reading's timeout.
public struct QueueTrigger: Sendable, Hashable, Codable {
    public var redis: RedisAddress
    /// The list's key in Redis.
    public var list: String
    /// The Redis database (`SELECT`), 0 by default.
    public var db: Int
    /// A Redis 6 ACL user: `AUTH username password`; without one, `AUTH password` (the `default` user).
    public var username: String?
    /// Where the password is read; nil: no `AUTH`.
    public var password: QueuePasswordSource?
    /// Queued calls per replica (KEDA's `listLength`, whose default is 5): desired = ⌈length / target⌉. At least 1.
    public var target: Int
    /// A list of at most this length proposes no replicas, leaving the count to `min` and the other trigger (KEDA's
    /// `activationListLength`, default 0). KEDA ignores its activation when `minReplicaCount` is 1 or more, as it is
    /// here; supervise uses it as a threshold below which a backlog does not scale the service up.
    public var activation: Int
    /// The longest one reading may take, connecting included (as a queue's `timeout`).
    public var timeout: Duration

    /// KEDA's default `listLength`.
    public static let defaultTarget = 5

    public init(redis: RedisAddress, list: String, db: Int = 0, username: String? = nil,
                password: QueuePasswordSource? = nil, target: Int = QueueTrigger.defaultTarget, activation: Int = 0,
                timeout: Duration = QueueSpec.defaultTimeout) {
        self.redis = redis
        self.list = list
        self.db = db
        self.username = username
        self.password = password
        self.target = target
        self.activation = activation
        self.timeout = timeout
    }

    /// The replicas this trigger proposes for a list of `length`: 0 at or below ``activation``, else
    /// ⌈length / target⌉.
    public func desiredReplicas(length: Int) -> Int {
        guard length > activation else { return 0 }
        return ceilingDivision(length, target)
    }

    /// The same list as a `queues:` entry called `name`, read every `interval`: what the queue reader takes.
    public func queueSpec(name: String, interval: Duration) -> QueueSpec {
        QueueSpec(name: name, redis: redis, list: list, db: db, username: username, password: password,
                  interval: interval, timeout: timeout)
    }
}

/// ⌈a / b⌉ for a ≥ 0 and b ≥ 1.
func ceilingDivision(_ a: Int, _ b: Int) -> Int {
    a / b + (a % b == 0 ? 0 : 1)
}
