/// Who set a service's desired replica count last.
public enum ScaleSource: String, Sendable, Hashable, Codable {
    /// The configuration file (`replicas:`).
    case configuration
    /// `supervise scale`.
    case scaleCommand = "operator"
    /// The service's autoscaler.
    case autoscaler
}

/// A replicated process service's count and what is changing it: the core's record, saved across
/// daemon restarts.
public struct ServiceScaling: Sendable, Hashable, Codable {
    public var service: String
    /// The replicas the service should run.
    public var desired: Int
    public var source: ScaleSource
    /// Why `desired` is what it is, in words for `status` and the log.
    public var reason: String
    /// The file's `replicas:` when last applied: a reload changes ``desired`` only when the file's count changes.
    public var configured: Int
    /// `supervise autoscale pause`: the autoscaler leaves ``desired`` alone until resumed.
    public var autoscalePaused = false
    /// The autoscaler's recent recommendations and scale-ups.
    public var autoscaleMemory = AutoscaleMemory()
    /// What the last reading could not use (Redis unreachable), shown by `status`; nil when all was read.
    public var autoscaleProblem: String?
    /// The rollout under way, if any.
    public var rollout: Rollout?
    /// How the last rollout ended (since the daemon started): what `supervise rollout` reports when the rollout
    /// ended before it looked.
    public var lastRollout: RolloutEnd?

    public init(service: String, desired: Int, source: ScaleSource, reason: String, configured: Int) {
        self.service = service
        self.desired = desired
        self.source = source
        self.reason = reason
        self.configured = configured
    }
}

/// A rollout of a service: new replicas first (at most `max_surge` above the count), each waited for
/// until in service, then old ones drained and removed, so capacity never drops below the count.
public struct Rollout: Sendable, Hashable, Codable {
    public var service: String
    public var startedAt: Instant
    /// The image new replicas run (Compose services); nil for a process service.
    public var image: String?
    /// Replicas from before the rollout that still serve or drain, by name.
    public var old: [String]
    /// Replicas the rollout added, with when each was added: its `progress_deadline` runs from then.
    public var new: [String: Instant] = [:]
    /// Old replicas drained away so far.
    public var replaced: [String] = []
    /// Why the rollout is being called off: its new replicas drain away and the old ones keep serving.
    public var abort: String?

    public init(service: String, startedAt: Instant, image: String? = nil, old: [String]) {
        self.service = service
        self.startedAt = startedAt
        self.image = image
        self.old = old
    }
}

/// How a rollout ended: done, or called off and why.
public struct RolloutEnd: Sendable, Hashable, Codable {
    public var startedAt: Instant
    public var endedAt: Instant
    public var image: String?
    /// Why it was called off; nil when it was done.
    public var abort: String?
    public var replaced: [String]

    public init(_ roll: Rollout, endedAt: Instant) {
        startedAt = roll.startedAt
        self.endedAt = endedAt
        image = roll.image
        abort = roll.abort
        replaced = roll.replaced
    }
}
