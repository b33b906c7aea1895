/// The core's record of one unit: its lifecycle state and what outlives one instance of it.
public struct UnitRuntime: Sendable, Hashable {
    /// The unit's spec from the current configuration (a running instance keeps its own, see ``Instance/spec``).
    public internal(set) var spec: UnitSpec
    /// Where the unit is in its life; changed only by ``Supervisor/transition(_:to:now:)``.
    public fileprivate(set) var state: UnitState = .inactive
    /// Automatic restarts since the daemon started (or the last `reset`).
    public internal(set) var restarts = 0
    /// Consecutive automatic restarts without staying up for `reset_after`; the backoff attempt number.
    public internal(set) var streak = 0
    /// Starts within the start-limit window (pruned as they age out).
    public internal(set) var startHistory: [Instant] = []
    public internal(set) var lastExit: ExitStatus?
    /// Why the unit is in its state, in words for an operator.
    public internal(set) var reason: String?
    /// An operator (or someone outside supervise, for a container) stopped it: remembered across a
    /// daemon restart for `unless-stopped` units.
    public internal(set) var operatorStopped = false
    /// Removed from the configuration: forgotten as soon as its instance has ended.
    public internal(set) var retired = false
    /// Probe state by role, for the current (or last) instance.
    public internal(set) var probes: [ProbeRole: ProbeState] = [:]
    /// Set for container units.
    public internal(set) var container: ContainerBinding?
    public internal(set) var lastDrain: DrainOutcome?
    /// Why the unit went down, while it is on its way back up: counted (``Measurement/restarted``)
    /// when it starts again, forgotten when it settles down instead (stopped, failed, drained).
    public internal(set) var downCause: RestartCause?
    /// Live calls last read from the drain progress URL, which is read all the time a worker with
    /// one runs, not only while it drains; nil when unknown (no URL, no reading, or a failed one).
    public internal(set) var liveCalls: Int?

    public init(spec: UnitSpec) { self.spec = spec }

    public var name: String { spec.name }
    public var phase: UnitPhase { state.phase }
    public var pid: Int32? { state.instance?.pid }
    public var startedAt: Instant? { state.instance?.startedAt }
    public var drain: DrainRun? { state.drain }
    /// The spec of the live instance, else the configured one.
    public var activeSpec: UnitSpec { state.instance?.spec ?? spec }
    /// A process exists or is about to (spawn in flight).
    public var hasProcess: Bool { state.hasProcess }
    public var isContainer: Bool { spec.kind == .container }

    /// Records a progress reading in the drain in progress. Not a change of state: no probe or
    /// deadline moves and nothing is persisted (a restarted daemon reads the count again).
    mutating func updateDrainReading(_ run: DrainRun) {
        guard case .draining(let instance, let old) = state, old.startedAt == run.startedAt, old.deadline == run.deadline,
              old.then == run.then, old.cut == run.cut else { return }
        state = .draining(instance, run)
    }

    /// Records a new count of what a stopping unit's main process left. Not a change of state:
    /// nothing is armed or persisted (a restarted daemon counts again).
    mutating func updateStop(_ run: StopRun) {
        guard case .stopping(let instance, let old) = state, old.since == run.since, old.then == run.then,
              old.killSent == run.killSent, old.deadline == run.deadline else { return }
        state = .stopping(instance, run)
    }

    /// Takes the restart counters, start-limit window and last exit a previous daemon saved.
    mutating func restoreCounters(from saved: PersistedUnit) {
        restarts = saved.restarts
        streak = saved.streak
        startHistory = saved.startHistory ?? []
        lastExit = saved.lastExit
    }
}

extension Supervisor {
    /// The one place a unit's state changes. Leaving a state disarms what it had (its probes);
    /// entering one arms what it needs (probes for a running instance; liveness and the progress
    /// probe for a draining one); deadlines live in the states themselves, so ``nextDeadline``
    /// follows. Every change asks the shell to persist.
    mutating func transition(_ i: Int, to new: UnitState, now: Instant) {
        let old = units[i].state
        let sameInstance = old.instance != nil && old.instance?.pid == new.instance?.pid
        switch (old, new) {
        case (.running, .draining) where sameInstance:
            // Readiness no longer matters; liveness goes on, so a hung drain is found.
            stopProbes(i, roles: [.readiness])
        case (.draining, .draining):
            break
        default:
            stopProbes(i, roles: ProbeRole.allCases)
        }
        units[i].state = new
        switch new {
        case .inactive, .failed, .exited, .drained: units[i].downCause = nil
        default: break
        }
        if new.instance?.pid != old.instance?.pid || new.instance == nil { units[i].liveCalls = nil }
        switch (old, new) {
        case (.running, .running), (.draining, .draining):
            break
        case (_, .running):
            startProbes(i)
            startDrainProbe(i)
        case (_, .draining):
            if !sameInstance { startProbes(i, roles: [.liveness]) }
            startDrainProbe(i)
        default:
            break
        }
        emit(.persist)
    }
}
