/// A service's autoscaler (`autoscale:`), with the semantics of KEDA and the Kubernetes Horizontal Pod Autoscaler
/// (HPA) where they apply.
///
/// Every ``interval`` each trigger proposes a replica count (``QueueTrigger/desiredReplicas(length:)``,
/// ``ActiveCallsTrigger/desiredReplicas(liveCalls:)``); the desired count is the largest proposal, clamped to
/// ``min``…``max`` (the HPA's rule for several metrics). Scale-up is bounded per period by ``scaleUp`` (the HPA's
/// default policy); scale-down waits for ``scaleDown``'s stabilization window and removes replicas only by drain,
/// one at a time within the service's `max_unavailable`.
public struct AutoscaleSpec: Sendable, Hashable, Codable {
    /// The fewest replicas (KEDA's `minReplicaCount`); at least 1, so a queued call always has a worker to wait for.
    public var min: Int
    /// The most replicas (KEDA's `maxReplicaCount`); at least ``min``.
    public var max: Int
    /// Follows the length of a Redis list (KEDA's Redis list scaler); nil when not used.
    public var queue: QueueTrigger?
    /// Follows the live calls of the service's replicas, read from their drain progress URL; nil when not used.
    public var activeCalls: ActiveCallsTrigger?
    /// How often the triggers are read and the desired count is worked out. Default 15 s, the HPA's sync period
    /// (`--horizontal-pod-autoscaler-sync-period`); KEDA polls its scalers every 30 s (`pollingInterval`) on top.
    public var interval: Duration
    /// How fast the count may grow.
    public var scaleUp: ScaleUpPolicy
    /// How long a lower count must persist before replicas are drained away.
    public var scaleDown: ScaleDownPolicy

    /// The HPA's sync period: 15 s.
    public static let defaultInterval = Duration.seconds(15)
    /// The default `min`: one replica.
    public static let defaultMin = 1

    public init(min: Int = AutoscaleSpec.defaultMin, max: Int, queue: QueueTrigger? = nil,
                activeCalls: ActiveCallsTrigger? = nil, interval: Duration = AutoscaleSpec.defaultInterval,
                scaleUp: ScaleUpPolicy = ScaleUpPolicy(), scaleDown: ScaleDownPolicy = ScaleDownPolicy()) {
        self.min = min
        self.max = max
        self.queue = queue
        self.activeCalls = activeCalls
        self.interval = interval
        self.scaleUp = scaleUp
        self.scaleDown = scaleDown
    }

    /// `count` within ``min``…``max``.
    public func clamped(_ count: Int) -> Int {
        Swift.min(Swift.max(count, min), max)
    }
}
