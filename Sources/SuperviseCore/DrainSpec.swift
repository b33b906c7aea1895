/// How a drain is started.
public enum DrainStart: Sendable, Hashable, Codable {
    /// Send exactly one signal (SIGTERM by default: a second one makes a LiveKit worker exit at once).
    case signal(Int32)
    /// `POST` this URL.
    case http(url: String)
}

/// Where a drain's progress is read: `GET url` returns JSON with the active-call count in `field`.
public struct DrainProgress: Sendable, Hashable, Codable {
    public var url: String
    /// Top-level JSON field holding the number of live calls (LiveKit: `active_jobs` at `/worker`).
    public var field: String
    public var interval: Duration

    public init(url: String, field: String = "active_jobs", interval: Duration = .seconds(1)) {
        self.url = url
        self.field = field
        self.interval = interval
    }
}

/// A unit's drain contract (modelled on LiveKit Agents workers): started by one signal or an
/// HTTP request, finished when the worker exits (or reports no live calls, for HTTP drains),
/// and cut hard at `timeout`.
public struct DrainSpec: Sendable, Hashable, Codable {
    public var start: DrainStart
    public var progress: DrainProgress?
    /// LiveKit's default: an hour, so the longest calls can finish.
    public var timeout: Duration
    /// For container units: where the progress URL is fetched from.
    public var network: ProbeNetwork

    public static let defaultTimeout = Duration.seconds(3600)
    public static let `default` = DrainSpec()

    public init(start: DrainStart = .signal(Signals.term), progress: DrainProgress? = nil,
                timeout: Duration = DrainSpec.defaultTimeout, network: ProbeNetwork = .host) {
        self.start = start
        self.progress = progress
        self.timeout = timeout
        self.network = network
    }
}

/// What follows a drain.
public enum DrainThen: String, Sendable, Hashable, Codable {
    /// Stay out of service until `supervise undrain`.
    case stop
    /// Start a fresh process (or container) in its place.
    case restart
}

/// A drain in progress.
public struct DrainRun: Sendable, Hashable, Codable {
    public var startedAt: Instant
    public var deadline: Instant
    public var then: DrainThen
    /// `operator`, `rolling restart`, `restart`.
    public var requestedBy: String
    /// Live calls at the last progress reading; nil before the first one (or without a progress URL).
    public var activeCalls: Int?
    /// Why the last progress reading failed.
    public var progressError: String?
    /// The deadline passed and the unit was stopped hard, or it hung (see ``hung``).
    public var cut = false
    /// Cut because its liveness probe failed while it drained (nil in files written before).
    public var hung: Bool?

    public init(startedAt: Instant, deadline: Instant, then: DrainThen, requestedBy: String) {
        self.startedAt = startedAt
        self.deadline = deadline
        self.then = then
        self.requestedBy = requestedBy
    }
}

/// How the last drain ended, for status and logs.
public struct DrainOutcome: Sendable, Hashable, Codable {
    public var duration: Duration
    /// Calls still live when the deadline cut the drain; 0 for a clean drain; nil when unknown
    /// (deadline hit without a progress URL).
    public var callsCut: Int?
    public var exit: ExitStatus?

    public init(duration: Duration, callsCut: Int?, exit: ExitStatus?) {
        self.duration = duration
        self.callsCut = callsCut
        self.exit = exit
    }
}
