/// What happens when a stopping unit's process has exited.
public enum AfterStop: Sendable, Hashable {
    /// Stay down.
    case stay
    /// Start again at once (operator restart).
    case start
    /// Start again with a changed spec (config reload).
    case replace(UnitSpec)
    /// Forget the unit (removed from the config).
    case remove
    /// The unit was stopped because it is unhealthy: restart through its policy (backoff, start limit).
    case policyRestart(String)
}

/// What the core knows of a container unit's container.
public struct ContainerBinding: Sendable, Hashable {
    public var id: String
    public var containerName: String
    public var image: String
    public var replica: Int?
    /// Docker's restart policy for the container; when it restarts exits itself, supervise leaves them to it.
    public var dockerRestartPolicy: String
    /// Docker's HEALTHCHECK verdict, nil without one.
    public var health: ContainerHealth?
    /// A `kill` event came that supervise did not cause: someone is stopping the container
    /// (`docker stop`, `docker compose stop`), so its exit is not a crash.
    public var stoppedOutside = false
    /// The last `die` was an out-of-memory kill.
    public var oomKilled = false

    public init(snapshot: ContainerSnapshot, replica: Int?) {
        id = snapshot.id
        containerName = snapshot.name
        image = snapshot.image
        self.replica = replica
        dockerRestartPolicy = snapshot.dockerRestartPolicy
        health = snapshot.health
    }

    /// Whether Docker itself restarts the container after its process exits with `code`.
    public func dockerRestartsExit(code: Int32) -> Bool {
        switch dockerRestartPolicy {
        case "always", "unless-stopped": true
        case "on-failure": code != 0
        default: false
        }
    }
}

/// The core's record of one unit.
public struct UnitRuntime: Sendable, Hashable {
    public var spec: UnitSpec
    public var phase: UnitPhase = .inactive
    public var pid: Int32?
    /// Start time of `pid` from `/proc`, recorded so a restarted daemon recognises its old processes.
    public var pidStartTicks: UInt64 = 0
    /// When the current process started.
    public var startedAt: Instant?
    /// When SIGKILL is due for a stopping unit.
    public var stopDeadline: Instant?
    public var killSent = false
    public var afterStop: AfterStop = .stay
    /// When a unit in backoff starts again.
    public var restartAt: Instant?
    /// Automatic restarts since the daemon started (or the last `reset`).
    public var restarts = 0
    /// Consecutive automatic restarts without staying up for `reset_after`; the backoff attempt number.
    public var streak = 0
    /// Starts within the start-limit window (pruned as they age out).
    public var startHistory: [Instant] = []
    public var lastExit: ExitStatus?
    /// Why the unit is in its phase, in words for an operator.
    public var reason: String?
    /// An operator said stop; automatic restarts are off until an operator starts it.
    public var operatorStopped = false
    /// The next start is an automatic restart (counted, and subject to the start limit).
    public var automaticRestartPending = false
    /// Probe state by role, for the current (or last) process.
    public var probes: [ProbeRole: ProbeState] = [:]
    /// Set for container units.
    public var container: ContainerBinding?
    /// The drain in progress (phase `draining`, or `stopping` after an HTTP drain emptied it).
    public var drain: DrainRun?
    /// Drained and kept out of service until `supervise undrain`.
    public var drained = false
    public var lastDrain: DrainOutcome?

    public init(spec: UnitSpec) { self.spec = spec }

    public var name: String { spec.name }

    /// A process exists or is about to (spawn in flight).
    public var hasProcess: Bool { phase == .starting || phase == .running || phase == .draining || phase == .stopping }

    public var isContainer: Bool { spec.kind == .container }

    /// Takes the restart counters, start-limit window and last exit a previous daemon saved.
    mutating func restoreCounters(from saved: PersistedUnit) {
        restarts = saved.restarts
        streak = saved.streak
        startHistory = saved.startHistory ?? []
        lastExit = saved.lastExit
    }
}
