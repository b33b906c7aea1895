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
    /// Starts the unit's probes for its new process.
    mutating func startProbes(_ i: Int) {
        for role in ProbeRole.allCases {
            guard var spec = units[i].spec.probe(role) else { continue }
            if units[i].isContainer && spec.network == .container {
                // Connections are made inside the container's network namespace, through its main process.
                guard let pid = units[i].pid, pid > 0 else { continue }
                spec.networkNamespacePid = pid
            }
            let generation = takeGeneration()
            mutateUnits { $0[i].probes[role] = ProbeState(generation: generation) }
            emit(.startProbe(unit: units[i].name, role: role, generation: generation, spec: spec))
        }
    }

    /// Stops the unit's probes (its process is stopping or gone); their verdicts are kept for status.
    mutating func stopProbes(_ i: Int) {
        for (role, state) in units[i].probes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where state.generation != 0 {
            emit(.stopProbe(unit: units[i].name, role: role, generation: state.generation))
            mutateUnits { $0[i].probes[role]?.generation = 0 }
        }
    }

    /// Applies one probe result: thresholds, start period, and for liveness a restart through the policy.
    mutating func onProbeResult(_ name: String, role: ProbeRole, generation: UInt64, result: ProbeResult, now: Instant) {
        guard let i = index(name), units[i].phase == .running, var state = units[i].probes[role],
              state.generation == generation, generation != 0, let spec = units[i].spec.probe(role) else { return }
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
            mutateUnits { $0[i].probes[role] = state }
            return
        }
        let failure = result.failure ?? "probe failed"
        state.lastFailure = failure
        let inStartPeriod = !state.seenSuccess && (units[i].startedAt.map { now - $0 < spec.startPeriod } ?? false)
        if inStartPeriod {
            mutateUnits { $0[i].probes[role] = state }
            return
        }
        state.successStreak = 0
        state.failingStreak += 1
        let turnsUnhealthy = previous != .unhealthy && state.failingStreak >= spec.failureThreshold
        if turnsUnhealthy { state.health = .unhealthy }
        mutateUnits { $0[i].probes[role] = state }
        guard turnsUnhealthy else { return }
        let reason = "unhealthy: \(failure)"
        log(.warning, name, "unhealthy",
            "\(role.rawValue) probe failed \(state.failingStreak) times in a row (\(failure))", reason: reason)
        if role == .liveness && units[i].isContainer {
            containerUnhealthy(i, reason: reason, now: now)
        } else if role == .liveness {
            mutateUnits { $0[i].afterStop = .policyRestart(reason); $0[i].reason = reason }
            beginStop(i, now: now, why: "liveness probe: \(failure)")
        } else if role == .readiness, units[i].spec.drain != nil,
                  units[i].spec.liveness == nil || units[i].probes[.liveness]?.health != .unhealthy {
            // Not ready but still alive, so it may hold calls: replace it through a drain, within
            // its service's max_unavailable (like a rolling restart), never by cutting it off.
            log(.notice, name, "heal-drain", "not ready but alive: draining it, then starting a fresh one", reason: reason)
            mutateUnits { $0[i].reason = "not ready (\(failure)): replaced after a drain" }
            enqueueRollingRestart(of: name)
        }
    }
}
