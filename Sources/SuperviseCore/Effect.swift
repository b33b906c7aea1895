/// How loud a log record is; maps onto syslog priorities in the shell.
public enum LogLevel: String, Sendable, Codable, Comparable {
    case debug, info, notice, warning, error

    private var rank: Int { [.debug: 0, .info: 1, .notice: 2, .warning: 3, .error: 4][self]! }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
}

/// A structured record of something the core decided or saw.
public struct LogRecord: Sendable, Equatable {
    public var level: LogLevel
    public var unit: String?
    /// Machine-readable event name: `start`, `exit`, `restart`, `backoff`, `gave-up`, `stop`, `kill`, `reload`, ...
    public var event: String
    public var message: String
    public var reason: String?
    public var exit: ExitStatus?

    public init(level: LogLevel, unit: String?, event: String, message: String, reason: String? = nil, exit: ExitStatus? = nil) {
        self.level = level
        self.unit = unit
        self.event = event
        self.message = message
        self.reason = reason
        self.exit = exit
    }
}

/// What the core asks the shell to do.
public enum Effect: Sendable, Equatable {
    /// Start a process for the unit; the shell answers with `.spawned` or `.spawnFailed`.
    case spawn(UnitSpec)
    /// Send `signal` to every process of the unit whose main process is (or was) `pid`: its
    /// cgroup, or its process group and the processes the subreaper learned. The shell follows a
    /// stop signal with SIGCONT, so a stopped process acts on it.
    case signal(unit: String, pid: Int32, signal: Int32)
    /// Report `.remaining` for the unit whose main process `pid` has ended, until it is empty.
    case watchUnit(unit: String, pid: Int32)
    case log(LogRecord)
    /// State worth keeping across a daemon restart changed; the shell writes ``Supervisor/persistedState``.
    case persist
    /// Every unit has stopped after `.shutdown`; the shell may exit.
    case shutdownComplete
    /// Begin probing the unit's new process; results come back as `.probeResult` with this generation.
    case startProbe(unit: String, role: ProbeRole, generation: UInt64, spec: ProbeSpec)
    /// Stop a probe (its process is stopping or gone).
    case stopProbe(unit: String, role: ProbeRole, generation: UInt64)
    /// Act on a container unit's container through the Docker API; failures come back as
    /// `.containerActionFailed`, success shows in Docker's events.
    case container(unit: String, id: String, ContainerAction)
    /// Start a drain over HTTP: `POST url` (inside `networkNamespacePid`'s network when set);
    /// a failure comes back as `.drainProgress` with an error.
    case drainRequest(unit: String, url: String, networkNamespacePid: Int32?)
    /// Report the exit of `pid`, a process adopted from a previous daemon (not a child, so with
    /// `.unknown` status), as `.exited`.
    case watchProcess(unit: String, pid: Int32)
    /// Count or observe something for the metrics (``Measurement``); nothing else follows from it.
    case measure(Measurement)
    /// Make a replica of a Compose service by copying a running one through the Docker API; the
    /// shell answers with `.replicaCreated` or `.replicaCreateFailed`.
    case createReplica(ReplicaCreation)
}

/// A Compose replica to make: container `source` (a running replica of the service) copied as
/// replica `number`, with `image` instead of the source's when set (a rollout's new image).
public struct ReplicaCreation: Sendable, Hashable {
    public var service: String
    /// The unit it will be: `SERVICE-NUMBER`.
    public var unit: String
    public var number: Int
    public var source: String
    public var image: String?

    public init(service: String, unit: String, number: Int, source: String, image: String?) {
        self.service = service
        self.unit = unit
        self.number = number
        self.source = source
        self.image = image
    }
}
