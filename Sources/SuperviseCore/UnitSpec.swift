/// What kind of thing a unit supervises.
public enum UnitKind: String, Sendable, Codable {
    /// A process the daemon starts itself.
    case process
    /// A Docker container found by a `containers:` selector; Docker starts and stops it.
    case container
}

/// How a unit is restarted after it stops on its own.
public struct RestartSettings: Sendable, Hashable, Codable {
    public var policy: RestartPolicy
    /// Exit codes counted as clean (default `[0]`).
    public var successExitCodes: Set<Int32>
    /// Signals that count as a clean end besides the stop signal.
    public var successSignals: Set<Int32>
    public var backoff: BackoffPolicy
    public var startLimit: StartLimit

    public static let `default` = RestartSettings(
        policy: .onFailure, successExitCodes: [0], successSignals: [], backoff: .default, startLimit: .default)

    public init(policy: RestartPolicy, successExitCodes: Set<Int32>, successSignals: Set<Int32>,
                backoff: BackoffPolicy, startLimit: StartLimit) {
        self.policy = policy
        self.successExitCodes = successExitCodes
        self.successSignals = successSignals
        self.backoff = backoff
        self.startLimit = startLimit
    }
}

/// One supervised unit, fully resolved (defaults applied).
public struct UnitSpec: Sendable, Hashable, Codable {
    public var name: String
    public var kind: UnitKind
    /// argv; `command[0]` is looked up in the unit's `PATH` when it has no slash.
    public var command: [String]
    /// The complete environment of the process (nothing is inherited from the daemon).
    public var environment: [String: String]
    public var workingDirectory: String?
    public var user: String?
    public var group: String?
    public var stopSignal: Int32
    /// Time between `stopSignal` and SIGKILL to every process of the unit.
    public var stopTimeout: Duration
    public var restart: RestartSettings
    /// Units that must meet their condition before this one starts, and that stop after it.
    public var dependsOn: [DependencySpec]
    /// Unhealthy → restarted through the restart policy.
    public var liveness: ProbeSpec?
    /// Waited for (dependents, rolling restarts, rollouts); never restarts a unit by itself, but one with a drain
    /// contract that is alive and not ready is drained and replaced.
    public var readiness: ProbeSpec?
    /// The unit's drain contract; when set, planned stops and restarts drain it first, and
    /// supervise's own shutdown waits up to the drain timeout. `supervise drain` works without it
    /// (one SIGTERM, wait for the exit, an hour at most).
    public var drain: DrainSpec?
    /// At most this many units of the unit's service are down or draining at once because of
    /// supervise's own actions (drains, rolling restarts).
    public var maxUnavailable: Int = 1
    /// The process's nice value (-20 most CPU, 19 least); units start at it whatever thread of
    /// the daemon spawned them, with the default scheduling policy and I/O priority.
    public var nice: Int32 = 0
    /// How much of the process's output reaches the daemon's log (rate limit, longest line). Containers
    /// have none: their output is Docker's.
    public var output: OutputLimits = .default

    /// The service a unit belongs to: its name without a trailing `-N` (`worker-3` → `worker`).
    public var service: String { Self.service(of: name) }

    public static func service(of name: String) -> String {
        guard let dash = name.lastIndex(of: "-"), dash != name.startIndex,
              !name[name.index(after: dash)...].isEmpty,
              name[name.index(after: dash)...].allSatisfy(\.isNumber) else { return name }
        return String(name[..<dash])
    }

    public init(name: String, kind: UnitKind = .process, command: [String], environment: [String: String] = [:],
                workingDirectory: String? = nil, user: String? = nil, group: String? = nil,
                stopSignal: Int32 = Signals.term, stopTimeout: Duration = .seconds(10),
                restart: RestartSettings = .default, dependsOn: [DependencySpec] = [],
                liveness: ProbeSpec? = nil, readiness: ProbeSpec? = nil) {
        self.name = name
        self.kind = kind
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.user = user
        self.group = group
        self.stopSignal = stopSignal
        self.stopTimeout = stopTimeout
        self.restart = restart
        self.dependsOn = dependsOn
        self.liveness = liveness
        self.readiness = readiness
    }

    /// The unit's probe for `role`, if it has one.
    public func probe(_ role: ProbeRole) -> ProbeSpec? {
        switch role {
        case .liveness: liveness
        case .readiness: readiness
        case .drain: nil
        }
    }
}
