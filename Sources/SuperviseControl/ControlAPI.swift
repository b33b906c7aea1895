import SuperviseBuildInfo
import SuperviseCore

/// Body of `GET /v1/units`.
public struct UnitsResponse: Codable, Sendable {
    public var units: [UnitStatus]
    public var summary: String
    /// How the daemon holds each unit's processes together (cgroup or process group).
    public var containment: ContainmentStatus?
    /// The configured queues and their last readings; nil without `queues:`.
    public var queues: [QueueStatus]?
    /// Replicated process services: their counts, autoscalers and rollouts; nil when there are none.
    public var services: [ServiceStatus]?
    public init(units: [UnitStatus], summary: String, containment: ContainmentStatus? = nil, queues: [QueueStatus]? = nil,
                services: [ServiceStatus]? = nil) {
        self.units = units
        self.summary = summary
        self.containment = containment
        self.queues = queues
        self.services = services
    }
}

/// Body of a `POST /v1/units/NAME/ACTION` answer. An `accepted` answer comes once the changed
/// state is on disk, so a daemon killed right after it still knows the change.
public struct CommandResponse: Codable, Sendable {
    /// `accepted` or `unchanged`.
    public var outcome: String
    public var message: String
    /// Set when the command was carried out but the state file could not be written:
    /// `accepted, but the state could not be saved: ...`.
    public var warning: String?
    public init(outcome: String, message: String, warning: String? = nil) {
        self.outcome = outcome
        self.message = message
        self.warning = warning
    }
}

/// Body of every error answer.
public struct ErrorResponse: Codable, Sendable {
    public var error: String
    /// Unit names that exist, when the error is an unknown name.
    public var units: [String]?
    public init(error: String, units: [String]? = nil) {
        self.error = error
        self.units = units
    }
}

/// Body of `GET /v1/version`.
public struct VersionResponse: Codable, Sendable {
    public var version: String
    public var pid: Int32
    public init(version: String, pid: Int32) {
        self.version = version
        self.pid = pid
    }
}

/// The version string of this build (the repository's `VERSION` file, see ``BuildInfo``).
public let superviseVersion = BuildInfo.version

/// Body of `GET /v1/probes`: how punctually the probe engine runs probes (lateness = start − schedule).
public struct ProbeStatsResponse: Codable, Sendable {
    public var runs: Int
    public var skipped: Int
    public var lateP50Ms: Double
    public var lateP99Ms: Double
    public var lateMaxMs: Double
    public init(runs: Int, skipped: Int, lateP50Ms: Double, lateP99Ms: Double, lateMaxMs: Double) {
        self.runs = runs
        self.skipped = skipped
        self.lateP50Ms = lateP50Ms
        self.lateP99Ms = lateP99Ms
        self.lateMaxMs = lateMaxMs
    }
}
