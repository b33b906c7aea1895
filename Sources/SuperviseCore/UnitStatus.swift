/// A unit as the operator sees it (`supervise status`, `GET /v1/units`).
public struct UnitStatus: Sendable, Codable, Equatable {
    public var name: String
    public var kind: String
    public var state: String
    public var pid: Int32?
    public var uptimeSeconds: Double?
    public var restarts: Int
    /// Short form: `0`, `1`, `SIGKILL`.
    public var lastExit: String?
    public var lastExitDescription: String?
    public var nextRestartInSeconds: Double?
    public var reason: String?
    public var backoffAttempt: Int
    public var dependsOn: [String]
    public var command: [String]
    public var restartPolicy: String
    /// Liveness verdict: `healthy`, `unhealthy`, `unknown`; nil without a liveness probe.
    public var health: String?
    /// Readiness verdict; nil without a readiness probe (or before its first verdict).
    public var ready: Bool?
    public var probes: [ProbeStatus]
    /// Container units only.
    public var container: ContainerStatus?
    /// The drain in progress.
    public var drain: DrainStatus?
    /// How the last drain ended.
    public var lastDrain: DrainOutcomeStatus?
    /// What the unit's processes use (process units; filled in by the daemon, not the core).
    public var resources: UnitResources?
    /// Live calls on a worker with a drain progress URL, read at the progress interval while it
    /// runs or drains; nil when unknown.
    public var liveCalls: Int?

    public init(name: String, kind: String, state: String, pid: Int32?, uptimeSeconds: Double?, restarts: Int,
                lastExit: String?, lastExitDescription: String?, nextRestartInSeconds: Double?, reason: String?,
                backoffAttempt: Int, dependsOn: [String], command: [String], restartPolicy: String,
                health: String? = nil, ready: Bool? = nil, probes: [ProbeStatus] = [], container: ContainerStatus? = nil) {
        self.name = name
        self.kind = kind
        self.state = state
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.restarts = restarts
        self.lastExit = lastExit
        self.lastExitDescription = lastExitDescription
        self.nextRestartInSeconds = nextRestartInSeconds
        self.reason = reason
        self.backoffAttempt = backoffAttempt
        self.dependsOn = dependsOn
        self.command = command
        self.restartPolicy = restartPolicy
        self.health = health
        self.ready = ready
        self.probes = probes
        self.container = container
    }
}

/// A drain in progress as the operator sees it.
public struct DrainStatus: Sendable, Codable, Equatable {
    public var activeCalls: Int?
    public var elapsedSeconds: Double
    public var deadlineInSeconds: Double
    public var then: String
    public var requestedBy: String
    public var progressError: String?
    /// The deadline passed and the unit is being killed.
    public var cut: Bool
}

/// How the last drain ended.
public struct DrainOutcomeStatus: Sendable, Codable, Equatable {
    public var durationSeconds: Double
    /// Calls cut by the deadline; 0 for a clean drain, nil when unknown.
    public var callsCut: Int?
    public var exit: String?

    enum CodingKeys: String, CodingKey { case durationSeconds, callsCut, exit }

    /// `calls_cut` is written as `null` when unknown, so API users can tell "unknown" from "absent".
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(callsCut, forKey: .callsCut)
        try c.encodeIfPresent(exit, forKey: .exit)
    }
}

/// A container unit's container as the operator sees it.
public struct ContainerStatus: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var image: String
    /// Docker's HEALTHCHECK verdict, nil without one.
    public var dockerHealth: String?
    /// Docker's own restart policy for the container.
    public var dockerRestartPolicy: String
    /// Whether exits are left to Docker's restart policy (supervise still heals unhealthy).
    public var exitsLeftToDocker: Bool

    public init(id: String, name: String, image: String, dockerHealth: String?, dockerRestartPolicy: String, exitsLeftToDocker: Bool) {
        self.id = id
        self.name = name
        self.image = image
        self.dockerHealth = dockerHealth
        self.dockerRestartPolicy = dockerRestartPolicy
        self.exitsLeftToDocker = exitsLeftToDocker
    }
}

/// One probe as the operator sees it.
public struct ProbeStatus: Sendable, Codable, Equatable {
    public var role: String
    /// `http GET http://127.0.0.1:8081/`, `tcp 127.0.0.1:8081`, `exec sh -c …`
    public var check: String
    public var health: String
    public var failingStreak: Int
    public var failureThreshold: Int
    public var lastLatencyMs: Double?
    public var lastFailure: String?
    public var lastCheckedSecondsAgo: Double?

    public init(role: String, check: String, health: String, failingStreak: Int, failureThreshold: Int,
                lastLatencyMs: Double?, lastFailure: String?, lastCheckedSecondsAgo: Double?) {
        self.role = role
        self.check = check
        self.health = health
        self.failingStreak = failingStreak
        self.failureThreshold = failureThreshold
        self.lastLatencyMs = lastLatencyMs
        self.lastFailure = lastFailure
        self.lastCheckedSecondsAgo = lastCheckedSecondsAgo
    }
}

extension ProbeCheck {
    /// Short text for status output.
    public var summary: String {
        switch self {
        case .http(let h): "http GET \(h.url)"
        case .tcp(let host, let port): "tcp \(host):\(port)"
        case .exec(let command): "exec " + command.joined(separator: " ")
        }
    }
}

/// Counts by state, for systemd's `STATUS=` line and the status footer.
public struct StatusSummary: Sendable, Codable, Equatable, CustomStringConvertible {
    public var running = 0, draining = 0, starting = 0, stopping = 0, backingOff = 0, failed = 0, stopped = 0

    public var description: String {
        var parts = ["\(running) running"]
        if draining > 0 { parts.append("\(draining) draining") }
        if starting > 0 { parts.append("\(starting) starting") }
        if stopping > 0 { parts.append("\(stopping) stopping") }
        parts.append("\(backingOff) backing off")
        parts.append("\(failed) failed")
        if stopped > 0 { parts.append("\(stopped) stopped") }
        return parts.joined(separator: ", ")
    }
}

extension Supervisor {
    /// Status of every unit at `now`.
    public func status(now: Instant) -> [UnitStatus] {
        units.map { Self.status(of: $0, now: now) }
    }

    /// Status of one unit, or nil when there is no such unit.
    public func status(of name: String, now: Instant) -> UnitStatus? {
        unit(name).map { Self.status(of: $0, now: now) }
    }

    static func status(of u: UnitRuntime, now: Instant) -> UnitStatus {
        let container = u.container.map { c in
            ContainerStatus(id: c.id, name: c.containerName, image: c.image, dockerHealth: c.health?.rawValue,
                            dockerRestartPolicy: c.dockerRestartPolicy, exitsLeftToDocker: c.dockerRestartPolicy != "no")
        }
        let instance = u.state.instance
        // Verdicts are of the live instance: a unit without one (stopped, drained, failed) shows
        // none, however its last probe ended. Docker's HEALTHCHECK counts as the health of a
        // container unit without a liveness probe.
        let probing = u.phase == .running || u.phase == .draining
        let dockerHealth = u.activeSpec.liveness == nil ? u.container?.health.map { h in
            !probing || h == .starting ? ProbeHealth.unknown.rawValue : h.rawValue
        } : nil
        let drain = u.drain.map { d in
            DrainStatus(activeCalls: d.activeCalls, elapsedSeconds: (now - d.startedAt).seconds,
                        deadlineInSeconds: max(0, (d.deadline - now).seconds), then: d.then.rawValue,
                        requestedBy: d.requestedBy, progressError: d.progressError, cut: d.cut)
        }
        let lastDrain = u.lastDrain.map {
            DrainOutcomeStatus(durationSeconds: $0.duration.seconds, callsCut: $0.callsCut, exit: $0.exit?.description)
        }
        let nextRestart: Double? = if case .backoff(let until) = u.state { max(0, (until - now).seconds) } else { nil }
        let spec = u.activeSpec
        func verdict(_ role: ProbeRole) -> ProbeHealth {
            guard let state = u.probes[role], state.generation != 0 else { return .unknown }
            return state.health
        }
        var status = UnitStatus(
            name: u.name, kind: u.spec.kind.rawValue, state: u.phase.rawValue, pid: instance?.pid,
            uptimeSeconds: instance.map { (now - $0.startedAt).seconds },
            restarts: u.restarts, lastExit: u.lastExit?.short, lastExitDescription: u.lastExit?.description,
            nextRestartInSeconds: nextRestart,
            reason: u.reason, backoffAttempt: u.streak, dependsOn: u.spec.dependsOn.map(\.description), command: u.spec.command,
            restartPolicy: u.spec.restart.policy.rawValue,
            health: spec.liveness == nil ? dockerHealth : verdict(.liveness).rawValue,
            ready: spec.readiness == nil ? nil
                : u.phase != .running ? false
                : { let v = verdict(.readiness); return v == .unknown ? nil : v == .healthy }(),
            probes: ProbeRole.allCases.compactMap { role in
                guard let probeSpec = spec.probe(role) else { return nil }
                let state = u.probes[role]
                return ProbeStatus(
                    role: role.rawValue, check: probeSpec.check.summary, health: verdict(role).rawValue,
                    failingStreak: state?.failingStreak ?? 0, failureThreshold: probeSpec.failureThreshold,
                    lastLatencyMs: state?.lastLatency?.milliseconds, lastFailure: state?.lastFailure,
                    lastCheckedSecondsAgo: state?.lastResultAt.map { (now - $0).seconds })
            },
            container: container)
        status.drain = drain
        status.lastDrain = lastDrain
        status.liveCalls = u.liveCalls
        return status
    }

    public var summary: StatusSummary {
        var s = StatusSummary()
        for u in units {
            switch u.phase {
            case .running: s.running += 1
            case .draining: s.draining += 1
            case .starting, .waiting: s.starting += 1
            case .stopping: s.stopping += 1
            case .backoff: s.backingOff += 1
            case .failed: s.failed += 1
            case .inactive, .exited, .drained: s.stopped += 1
            }
        }
        return s
    }
}
