/// How many replicas a service runs and how its replicas are replaced: the `replicas`, `max_surge`,
/// `progress_deadline` and `autoscale` keys of a replicated process unit (``ProcessService``) or of a `compose:`
/// container entry (``ContainerSelector/replicas``).
///
/// The names and defaults follow a Kubernetes Deployment (`replicas`, `maxSurge`, `progressDeadlineSeconds`);
/// how many replicas may be out of service at once is the unit's own `max_unavailable` (``UnitSpec/maxUnavailable``).
public struct ReplicaSettings: Sendable, Hashable, Codable {
    /// The configured replica count. For a process service it is always set: `replicas:`, or `autoscale.min` when
    /// only `autoscale` is given. For a Compose entry, nil when `replicas:` is left out: the service runs as many
    /// replicas as Compose made. With ``autoscale``, it is the count the service starts at (within `min`…`max`).
    public var replicas: Int?
    /// During a rollout, at most this many replicas above the service's count run at once: new replicas start (and
    /// are waited for until in service) before old ones are drained, so capacity never drops below the count.
    /// At least 1.
    public var maxSurge: Int
    /// How long a new replica of a rollout may take to come into service (its readiness probe passing, or running
    /// without one) before the rollout is aborted. Kubernetes' `progressDeadlineSeconds` default: 10 minutes.
    public var progressDeadline: Duration
    /// The autoscaler, when the count follows the call queue and the live calls; nil: the count changes only by
    /// `supervise scale` (and the configuration).
    public var autoscale: AutoscaleSpec?

    /// Kubernetes' default `maxSurge` in whole replicas: one new replica at a time.
    public static let defaultMaxSurge = 1
    /// Kubernetes' default `progressDeadlineSeconds`: 600.
    public static let defaultProgressDeadline = Duration.seconds(600)

    public init(replicas: Int? = nil, maxSurge: Int = ReplicaSettings.defaultMaxSurge,
                progressDeadline: Duration = ReplicaSettings.defaultProgressDeadline, autoscale: AutoscaleSpec? = nil) {
        self.replicas = replicas
        self.maxSurge = maxSurge
        self.progressDeadline = progressDeadline
        self.autoscale = autoscale
    }

    /// The largest replica count the configuration allows: `autoscale.max` when autoscaled, else ``replicas``
    /// (nil for a Compose entry without `replicas`). `supervise scale` may go beyond it without an autoscaler.
    public var configuredMaximum: Int? { autoscale?.max ?? replicas }
}
