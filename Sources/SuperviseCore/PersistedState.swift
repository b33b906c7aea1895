/// What must survive a restart of the daemon, per unit.
public struct PersistedUnit: Sendable, Codable, Equatable {
    public var restarts: Int
    public var streak: Int
    /// Monotonic start times; only meaningful within the same boot (the shell drops them otherwise).
    public var startHistory: [Instant]?
    public var lastExit: ExitStatus?
    /// Set when the unit gave up; it stays failed after a daemon restart.
    public var failedReason: String?
    /// An operator's stop; honoured after a restart for `unless-stopped` units.
    public var operatorStopped: Bool
    /// The unit's process when the state was written, so a restarted daemon stops it rather than start a duplicate.
    public var pid: Int32?
    public var pidStartTicks: UInt64?
    /// Set for container units: their container, whose processes are Docker's and never a leftover to stop.
    public var containerID: String?
    /// A drain in progress: a restarted daemon watches it to its end and never restarts the unit.
    public var drain: DrainRun?
    /// Drained and kept out of service until `supervise undrain`.
    public var drained: Bool?
    /// A restart by the unit's policy was due (waiting out its backoff, or being started): a
    /// restarted daemon still makes it, counted against the start limit.
    public var restartPending: Bool?
    /// When that restart's backoff ends (monotonic: dropped after a reboot, and the restart is then
    /// made at once).
    public var restartAt: Instant?
    /// Why that restart is due (an exit, a failed probe), so a give-up after a daemon restart
    /// still names the real cause.
    public var restartReason: String?
    /// Whether that restart counts as an automatic one (restarts, start limit); nil means it does.
    public var restartCounted: Bool?
    /// A stop in progress (the drain that led to it, if any, is in ``drain``): a restarted daemon
    /// that adopts the process goes on stopping it, SIGKILL at the same deadline (monotonic: after
    /// a reboot there is no process left).
    public var stopping: PersistedStop?
    /// A container stop Docker did not take: the next daemon sends it after its first resync.
    public var stopUnsent: Bool?

    public init(restarts: Int = 0, streak: Int = 0, startHistory: [Instant]? = nil, lastExit: ExitStatus? = nil,
                failedReason: String? = nil, operatorStopped: Bool = false, pid: Int32? = nil, pidStartTicks: UInt64? = nil,
                containerID: String? = nil) {
        self.restarts = restarts
        self.streak = streak
        self.startHistory = startHistory
        self.lastExit = lastExit
        self.failedReason = failedReason
        self.operatorStopped = operatorStopped
        self.pid = pid
        self.pidStartTicks = pidStartTicks
        self.containerID = containerID
    }
}

/// A stop in progress, as persisted.
public struct PersistedStop: Sendable, Codable, Equatable {
    public var since: Instant
    public var deadline: Instant?
    public var then: AfterStop
    /// The main process had ended and the rest of the unit was being stopped.
    public var mainExit: MainExit?

    public init(since: Instant, deadline: Instant?, then: AfterStop, mainExit: MainExit? = nil) {
        self.since = since
        self.deadline = deadline
        self.then = then
        self.mainExit = mainExit
    }
}

/// The daemon's durable state, written atomically by the shell on every `.persist` effect.
public struct PersistedState: Sendable, Codable, Equatable {
    public static let currentVersion = 1
    public var version: Int
    /// Kernel boot id when written; monotonic instants are only valid within one boot.
    public var bootID: String
    public var units: [String: PersistedUnit]
    /// Rolling restarts under way, by service order; a restarted daemon carries them on. Absent
    /// in files written before rolling restarts were remembered.
    public var rolling: [RollingRestart]?
    /// Replicated process services' counts, members, autoscalers and rollouts, by service. Absent in
    /// files written before services could be scaled.
    public var services: [String: PersistedService]?

    public init(version: Int = PersistedState.currentVersion, bootID: String, units: [String: PersistedUnit],
                rolling: [RollingRestart]? = nil, services: [String: PersistedService]? = nil) {
        self.version = version
        self.bootID = bootID
        self.units = units
        self.rolling = rolling
        self.services = services
    }

    /// The same state with time-based fields dropped, for use after a reboot.
    public func forgettingTimes() -> PersistedState {
        var copy = self
        for key in copy.units.keys {
            copy.units[key]?.startHistory = nil
            copy.units[key]?.restartAt = nil
            copy.units[key]?.stopping = nil
        }
        for key in (copy.services ?? [:]).keys {
            copy.services?[key]?.autoscaleMemory = nil
            // Progress deadlines run again from the boot (see `restoreServices`).
            if var roll = copy.services?[key]?.rollout {
                roll.new = roll.new.mapValues { _ in Instant(nanoseconds: .max) }
                copy.services?[key]?.rollout = roll
            }
        }
        return copy
    }
}

extension Supervisor {
    /// The state to write at `now`: only units with something to remember, and only the
    /// start times still inside their start-limit window.
    public func persistedState(bootID: String, now: Instant) -> PersistedState {
        var result: [String: PersistedUnit] = [:]
        for u in units {
            if let saved = persisted(u, now: now) { result[u.name] = saved }
        }
        // Container units not seen since the daemon started keep what was known of them.
        for (name, saved) in persistedUnseen where result[name] == nil { result[name] = saved }
        let rolls = rolling.values.sorted { $0.service < $1.service }
        return PersistedState(bootID: bootID, units: result, rolling: rolls.isEmpty ? nil : rolls, services: persistedServices())
    }

    /// What unit `u` has worth keeping across a daemon restart (or a rediscovery), or nil.
    func persisted(_ u: UnitRuntime, now: Instant) -> PersistedUnit? {
        let history = u.startHistory.filter { now - $0 < u.spec.restart.startLimit.interval }
        let failed = u.phase == .failed ? u.reason : nil
        let restartAt: Instant?
        let restartPending: Bool
        switch u.state {
        case .backoff(let until): (restartPending, restartAt) = (true, until)
        case .waiting(let automatic): (restartPending, restartAt) = (automatic, nil)
        // A container being restarted counts too: the daemon may die before Docker reports it running.
        case .starting: (restartPending, restartAt) = (u.isContainer, nil)
        default: (restartPending, restartAt) = (false, nil)
        }
        let instance = u.state.instance
        let drained = u.phase == .drained
        guard u.restarts > 0 || u.streak > 0 || failed != nil || u.operatorStopped || u.lastExit != nil || instance != nil
                || u.container?.runningPid != nil || u.container?.stopUnsent == true
                || u.drain != nil || drained || restartPending
        else { return nil }
        var saved = PersistedUnit(
            restarts: u.restarts, streak: u.streak, startHistory: history.isEmpty ? nil : history, lastExit: u.lastExit,
            failedReason: failed, operatorStopped: u.operatorStopped,
            pid: instance?.pid ?? u.container?.runningPid, pidStartTicks: instance?.startTicks, containerID: u.container?.id)
        saved.drain = u.drain
        saved.drained = drained ? true : nil
        saved.restartPending = restartPending ? true : nil
        saved.restartAt = restartAt
        saved.restartReason = restartPending ? u.reason : nil
        // A container restart in flight that no policy asked for (after a drain, by an operator) is not counted again.
        if case .starting(let run) = u.state, !run.automatic { saved.restartCounted = false }
        saved.stopUnsent = u.container?.stopUnsent == true ? true : nil
        if case .stopping(_, let stop) = u.state {
            saved.stopping = PersistedStop(since: stop.since, deadline: stop.deadline, then: stop.then, mainExit: stop.mainExit)
        }
        return saved
    }
}
