/// A probe's verdict so far.
public enum ProbeHealth: String, Sendable, Codable {
    /// Not enough results yet to decide.
    case unknown
    case healthy
    case unhealthy
}

/// The core's record of one probe of a running unit.
public struct ProbeState: Sendable, Hashable {
    /// Results for any other generation (an earlier process) are ignored.
    public var generation: UInt64
    public var health: ProbeHealth = .unknown
    public var failingStreak = 0
    public var successStreak = 0
    public var lastLatency: Duration?
    public var lastFailure: String?
    public var lastResultAt: Instant?
    /// A success was seen since the process started (ends the start period early).
    public var seenSuccess = false

    public init(generation: UInt64) { self.generation = generation }
}

extension Supervisor {
    /// Starts the probes in `roles` for the unit's live instance, with the instance's own settings.
    mutating func startProbes(_ i: Int, roles: [ProbeRole] = [.liveness, .readiness]) {
        guard let instance = units[i].state.instance else { return }
        for role in roles {
            guard var spec = instance.spec.probe(role) else { continue }
            if units[i].isContainer && spec.network == .container {
                // Connections are made inside the container's network namespace, through its main process.
                guard instance.pid > 0 else { continue }
                spec.networkNamespacePid = instance.pid
            }
            let generation = takeGeneration()
            units[i].probes[role] = ProbeState(generation: generation)
            emit(.startProbe(unit: units[i].name, role: role, generation: generation, spec: spec))
        }
    }

    /// Stops the unit's probes in `roles`; their last verdicts are kept (status shows them as
    /// unknown once the probe no longer runs).
    mutating func stopProbes(_ i: Int, roles: [ProbeRole]) {
        for role in roles {
            guard let state = units[i].probes[role], state.generation != 0 else { continue }
            emit(.stopProbe(unit: units[i].name, role: role, generation: state.generation))
            units[i].probes[role]?.generation = 0
        }
    }

    /// Applies one probe result: thresholds, start period, and for liveness a restart through
    /// the policy (a hung drain, for a draining unit).
    mutating func onProbeResult(_ name: String, role: ProbeRole, generation: UInt64, result: ProbeResult, now: Instant) {
        guard let i = index(name), let instance = units[i].state.instance,
              units[i].phase == .running || units[i].phase == .draining,
              var state = units[i].probes[role], state.generation == generation, generation != 0,
              let spec = instance.spec.probe(role) else { return }
        state.lastLatency = result.latency
        state.lastResultAt = now
        let previous = state.health
        if result.healthy {
            state.seenSuccess = true
            state.failingStreak = 0
            state.successStreak += 1
            if previous != .healthy && state.successStreak >= spec.successThreshold {
                state.health = .healthy
                log(previous == .unhealthy ? .notice : .info, name, "healthy", "\(role.rawValue) probe healthy")
            }
            units[i].probes[role] = state
            return
        }
        let failure = result.failure ?? "probe failed"
        state.lastFailure = failure
        let inStartPeriod = !state.seenSuccess && now - instance.startedAt < spec.startPeriod
        if inStartPeriod {
            units[i].probes[role] = state
            return
        }
        state.successStreak = 0
        state.failingStreak += 1
        let turnsUnhealthy = previous != .unhealthy && state.failingStreak >= spec.failureThreshold
        if turnsUnhealthy { state.health = .unhealthy }
        units[i].probes[role] = state
        guard turnsUnhealthy else { return }
        let reason = "unhealthy: \(failure)"
        log(.warning, name, "unhealthy",
            "\(role.rawValue) probe failed \(state.failingStreak) times in a row (\(failure))", reason: reason)
        switch (role, units[i].state) {
        case (.liveness, .draining):
            hungDrain(i, reason: reason, now: now)
        case (.liveness, _) where units[i].isContainer:
            containerUnhealthy(i, reason: reason, now: now)
        case (.liveness, _):
            units[i].reason = reason
            beginStop(i, then: .policyRestart(reason), why: "liveness probe: \(failure)", now: now)
        case (.readiness, _) where instance.spec.drain != nil && units[i].probes[.liveness]?.health != .unhealthy:
            // Not ready but still alive, so it may hold calls: replace it through a drain, within
            // its service's max_unavailable (like a rolling restart), never by cutting it off.
            log(.notice, name, "heal-drain", "not ready but alive: draining it, then starting a fresh one", reason: reason)
            units[i].reason = "not ready (\(failure)): replaced after a drain"
            units[i].downCause = .unready
            enqueueRollingRestart(of: name)
        default:
            break
        }
    }
}
