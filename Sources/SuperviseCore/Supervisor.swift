/// The supervision logic: a deterministic state machine.
///
/// The shell feeds it ``Event``s and operator commands with the current time
/// and carries out the ``Effect``s it returns. It never reads a clock, sleeps,
/// or touches the system, so tests drive it in virtual time.
public struct Supervisor: Sendable {
    /// Units in configuration order.
    public private(set) var units: [UnitRuntime] = []
    /// Position of each unit in `units`, so events find their unit without a scan; see ``reindex()``.
    private var positions: [String: Int] = [:]
    public private(set) var config: SupervisorConfig
    public private(set) var shuttingDown = false
    private var shutdownReported = false
    private var random: SplitMix64
    private var lastGeneration: UInt64 = 0
    /// Effects produced by the current step, returned and cleared at its end.
    private var pending: [Effect] = []
    /// Whether the shell has a current picture of Docker (a resync since the last connection loss).
    /// Container restarts wait while it has not: no action on a stale picture.
    public internal(set) var dockerConnected = false
    /// Container id → unit name.
    var containerUnits: [String: String] = [:]
    /// Saved state of units not (yet) present: container units before their container is seen.
    var persistedUnseen: [String: PersistedUnit] = [:]
    /// Rolling restarts in progress, by service.
    public internal(set) var rolling: [String: RollingRestart] = [:]
    /// Docker's containers have been listed since the daemon started: container units not found
    /// then are gone, not merely unseen yet.
    var containersResynced = false

    /// Creates the core for `config`. Call ``boot(now:persisted:)`` to start the units.
    public init(config: SupervisorConfig, seed: UInt64) {
        self.config = config
        self.random = SplitMix64(seed: seed)
        self.units = config.units.map { UnitRuntime(spec: $0) }
        reindex()
    }

    // MARK: - Lookup

    public func unit(_ name: String) -> UnitRuntime? { index(name).map { units[$0] } }

    func index(_ name: String) -> Int? { positions[name] }

    /// Rebuilds ``positions``; call after every change to the membership or order of `units`.
    mutating func reindex() {
        positions = Dictionary(units.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Unit names, for error messages.
    public var unitNames: [String] { units.map(\.name) }

    // MARK: - Stepping

    /// Starts every unit that should run, honouring persisted give-ups and operator stops.
    /// `alive`: units whose saved process is still running (same pid and start time), left by a
    /// predecessor that was killed. They are adopted, not started again: a running unit stays
    /// running and a draining one goes on draining to the end; the shell reports the exit of an
    /// adopted process (not its child) with an unknown status.
    public mutating func boot(now: Instant, persisted: PersistedState?, alive: Set<String> = []) -> [Effect] {
        let names = Set(units.map(\.name))
        persistedUnseen = persisted?.units.filter { !names.contains($0.key) && $0.value.containerID != nil } ?? [:]
        for i in units.indices {
            let saved = persisted?.units[units[i].name]
            if let saved { units[i].restoreCounters(from: saved) }
            if let saved, let run = saved.drain {
                units[i].drain = run
                if alive.contains(units[i].name), let pid = saved.pid {
                    adopt(i, pid: pid, startTicks: saved.pidStartTicks, as: .draining, now: now)
                    units[i].reason = "draining (\(run.requestedBy)), then \(run.then.rawValue); resumed after a daemon restart"
                    log(.notice, units[i].name, "drain-resume", "still draining from before the restart (pid \(pid)); watching it to the end")
                    startDrainProbe(i)
                } else {
                    log(.notice, units[i].name, "drain-resume", "its drain ended while the daemon was down")
                    units[i].phase = .draining
                    finishDrain(i, exit: nil, now: now)
                }
                continue
            }
            if let saved, alive.contains(units[i].name), let pid = saved.pid, saved.failedReason == nil {
                adopt(i, pid: pid, startTicks: saved.pidStartTicks, as: .running, now: now)
                units[i].reason = "adopted from the previous daemon (pid \(pid)); its output is no longer captured"
                log(.notice, units[i].name, "adopted", "still running from before the daemon restart (pid \(pid)): adopted, not restarted")
                startProbes(i)
                continue
            }
            if saved?.drained == true {
                units[i].phase = .inactive
                units[i].drained = true
                units[i].operatorStopped = true
                units[i].reason = "drained (remembered across a daemon restart); `supervise undrain \(units[i].name)` puts it back in service"
                continue
            }
            if let failure = saved?.failedReason {
                units[i].phase = .failed
                units[i].reason = failure
                log(.warning, units[i].name, "gave-up", "stays failed from before the restart: \(failure); run `supervise restart \(units[i].name)` to retry", reason: failure)
            } else if saved?.operatorStopped == true && units[i].spec.restart.policy == .unlessStopped {
                units[i].phase = .inactive
                units[i].operatorStopped = true
                units[i].reason = "stopped by operator (remembered: restart policy unless-stopped)"
            } else if saved?.restartPending == true {
                resumePendingRestart(i, at: saved?.restartAt, now: now)
            } else {
                units[i].phase = .waiting
            }
        }
        resumeRollingRestarts(persisted?.rolling ?? [])
        reconcile(now: now)
        return drain()
    }

    /// Takes over the live process a killed predecessor left for unit `i`: not our child, so the
    /// shell watches it by pid and reports its end with an unknown status.
    private mutating func adopt(_ i: Int, pid: Int32, startTicks: UInt64?, as phase: UnitPhase, now: Instant) {
        units[i].phase = phase
        units[i].pid = pid
        units[i].pidStartTicks = startTicks ?? 0
        units[i].startedAt = now
        emit(.watchProcess(unit: units[i].name, pid: pid))
    }

    /// A restart by policy that the previous daemon had due: made when its backoff ends (at once
    /// when that has passed or is unknown), and counted against the start limit like any
    /// automatic restart, so a crash loop does not escape its limits through daemon restarts.
    mutating func resumePendingRestart(_ i: Int, at: Instant?, now: Instant) {
        let name = units[i].name, attempt = units[i].streak
        units[i].automaticRestartPending = true
        if let at, at > now {
            units[i].phase = .backoff
            units[i].restartAt = at
            units[i].reason = "restart backoff from before the daemon restart"
            log(.notice, name, "backoff", "restarting in \(DurationText.format(at - now)) (attempt \(attempt), a backoff from before the daemon restart)")
        } else {
            units[i].phase = .waiting
            units[i].reason = "restart due from before the daemon restart"
            log(.notice, name, "restart", "restarting now (attempt \(attempt), due from before the daemon restart)")
        }
    }

    /// Applies one event.
    public mutating func handle(_ event: Event, now: Instant) -> [Effect] {
        switch event {
        case .spawned(let name, let pid, let ticks): onSpawned(name, pid: pid, startTicks: ticks, now: now)
        case .spawnFailed(let name, let reason): onSpawnFailed(name, reason: reason, now: now)
        case .exited(let name, let pid, let status): onExited(name, pid: pid, status: status, now: now)
        case .tick: onTick(now: now)
        case .reload(let newConfig): onReload(newConfig, now: now)
        case .shutdown: onShutdown(now: now)
        case .probeResult(let name, let role, let generation, let result):
            onProbeResult(name, role: role, generation: generation, result: result, now: now)
            // Most results only move counters; only a verdict that acts can let other units move.
            if pending.isEmpty { return [] }
        case .dockerConnection(let connected, let detail): onDockerConnection(connected: connected, detail: detail)
        case .containerResync(let snapshots): onContainerResync(snapshots, now: now)
        case .containerSeen(let snapshot): _ = upsertContainer(snapshot, now: now)
        case .container(let id, let event): onContainerEvent(id: id, event, now: now)
        case .containerActionFailed(let name, let id, let reason): onContainerActionFailed(name, id: id, reason: reason, now: now)
        case .drainProgress(let name, let generation, let active, let error):
            onDrainProgress(name, generation: generation, activeCalls: active, error: error, now: now)
        }
        reconcile(now: now)
        return drain()
    }

    /// The earliest time at which a timer is due, if any; the shell sends `.tick` then.
    public var nextDeadline: Instant? {
        var earliest: Instant?
        for u in units {
            let due: Instant? = switch u.phase {
            case .backoff: u.restartAt
            case .stopping: u.killSent ? nil : u.stopDeadline
            case .draining: u.drain?.cut == false ? u.drain?.deadline : nil
            default: nil
            }
            if let due, earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }

    mutating func drain() -> [Effect] {
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }

    mutating func emit(_ effect: Effect) { pending.append(effect) }

    /// A value in `0..<1` from the seeded generator (backoff jitter).
    mutating func nextRandom() -> Double { random.unit() }

    /// A new probe generation number (never 0).
    mutating func takeGeneration() -> UInt64 {
        lastGeneration += 1
        return lastGeneration
    }

    mutating func log(_ level: LogLevel, _ unit: String?, _ event: String, _ message: String,
                      reason: String? = nil, exit: ExitStatus? = nil) {
        pending.append(.log(LogRecord(level: level, unit: unit, event: event, message: message, reason: reason, exit: exit)))
    }

    // MARK: - Process events

    private mutating func onSpawned(_ name: String, pid: Int32, startTicks: UInt64, now: Instant) {
        guard let i = index(name), units[i].phase == .starting else { return }
        units[i].phase = .running
        units[i].pid = pid
        units[i].pidStartTicks = startTicks
        emit(.persist)
        units[i].startedAt = now
        units[i].reason = nil
        log(.info, name, "start", "started, pid \(pid)")
        // An operator or the shutdown asked for a stop while the spawn was in flight.
        if shuttingDown || units[i].operatorStopped || units[i].afterStop != .stay {
            let why = shuttingDown ? "shutdown" : units[i].afterStop == .stay ? "operator stop" : "configuration changed"
            beginStop(i, now: now, why: why)
        } else {
            startProbes(i)
        }
    }

    private mutating func onSpawnFailed(_ name: String, reason: String, now: Instant) {
        guard let i = index(name), units[i].phase == .starting else { return }
        units[i].pid = nil
        units[i].startedAt = nil
        let why = "spawn failed: \(reason)"
        switch units[i].afterStop {
        case .remove:
            log(.info, name, "removed", "removed from the configuration")
            units.remove(at: i)
            reindex()
            return
        case .replace(let spec):
            units[i].spec = spec
            units[i].afterStop = .stay
        case .stay, .start, .policyRestart:
            units[i].afterStop = .stay
        }
        log(.error, name, "spawn-failed", "could not start: \(reason)", reason: why)
        afterProcessEnded(i, clean: false, why: why, uptime: .zero, now: now)
    }

    private mutating func onExited(_ name: String, pid: Int32, status: ExitStatus, now: Instant) {
        guard let i = index(name), units[i].pid == pid,
              units[i].phase == .running || units[i].phase == .stopping || units[i].phase == .draining else { return }
        if units[i].drain != nil { return finishDrain(i, exit: status, now: now) }
        let uptime = units[i].startedAt.map { now - $0 } ?? .zero
        stopProbes(i)
        units[i].lastExit = status
        units[i].pid = nil
        units[i].startedAt = nil
        if units[i].phase == .stopping {
            units[i].stopDeadline = nil
            units[i].killSent = false
            return stoppedByUs(i, status: status, uptime: uptime, now: now)
        }
        endedOnItsOwn(i, status: status, why: "\(status)", uptime: uptime, now: now)
    }

    /// A process (or container) supervise stopped has ended: what `afterStop` asked for follows.
    mutating func stoppedByUs(_ i: Int, status: ExitStatus, uptime: Duration, now: Instant) {
        let name = units[i].name
        log(.info, name, "exit", "stopped (\(status)) after \(DurationText.format(uptime)) up", exit: status)
        let after = units[i].afterStop
        units[i].afterStop = .stay
        switch after {
        case .stay:
            units[i].phase = .inactive
            units[i].reason = shuttingDown ? "stopped for shutdown" : (units[i].operatorStopped ? "stopped by operator" : units[i].reason)
        case .start:
            units[i].phase = .waiting
            units[i].reason = "restarting on operator request"
        case .replace(let newSpec):
            units[i].spec = newSpec
            units[i].phase = .waiting
            units[i].reason = "restarting with changed configuration"
        case .remove:
            log(.info, name, "removed", "removed from the configuration")
            units.remove(at: i)
            reindex()
        case .policyRestart(let reason):
            afterProcessEnded(i, clean: false, why: reason, uptime: uptime, now: now)
            return
        }
        emit(.persist)
    }

    /// A process (or container) ended on its own: logged, then its restart policy decides.
    mutating func endedOnItsOwn(_ i: Int, status: ExitStatus, why: String, uptime: Duration, now: Instant) {
        let spec = units[i].spec
        let clean = status.isClean(successCodes: spec.restart.successExitCodes,
                                   successSignals: spec.restart.successSignals, stopSignal: spec.stopSignal)
        log(clean ? .info : .warning, spec.name, "exit", "exited: \(why) after \(DurationText.format(uptime)) up", exit: status)
        afterProcessEnded(i, clean: clean, why: why, uptime: uptime, now: now)
    }

    /// A process ended on its own (or never started): restart by policy, with backoff.
    mutating func afterProcessEnded(_ i: Int, clean: Bool, why: String, uptime: Duration, now: Instant) {
        let spec = units[i].spec
        let name = spec.name
        if uptime >= spec.restart.backoff.resetAfter { units[i].streak = 0 }
        guard !shuttingDown, !units[i].operatorStopped else {
            units[i].phase = .inactive
            return
        }
        guard spec.restart.policy.restarts(afterCleanExit: clean) else {
            units[i].phase = .exited
            units[i].reason = "\(why); not restarted (restart policy \(spec.restart.policy.rawValue))"
            log(.notice, name, "exited", units[i].reason!)
            emit(.persist)
            return
        }
        units[i].streak += 1
        let delay = spec.restart.backoff.delay(attempt: units[i].streak, unitRandom: random.unit())
        units[i].reason = why
        units[i].automaticRestartPending = true
        if delay <= .zero {
            units[i].phase = .waiting
            log(.notice, name, "restart", "restarting now (\(why))", reason: why)
        } else {
            units[i].phase = .backoff
            units[i].restartAt = now + delay
            log(.notice, name, "backoff", "restarting in \(DurationText.format(delay)) (attempt \(units[i].streak), \(why))", reason: why)
        }
        emit(.persist)
    }

    private mutating func onTick(now: Instant) {
        for i in units.indices {
            switch units[i].phase {
            case .backoff:
                if let at = units[i].restartAt, at <= now {
                    units[i].restartAt = nil
                    units[i].phase = .waiting
                    log(.notice, units[i].name, "restart", "restarting after backoff (attempt \(units[i].streak))", reason: units[i].reason)
                }
            case .draining:
                if let deadline = units[i].drain?.deadline, deadline <= now { cutDrain(i, now: now) }
            case .stopping:
                if !units[i].killSent, let deadline = units[i].stopDeadline, deadline <= now, let pid = units[i].pid {
                    units[i].killSent = true
                    log(.warning, units[i].name, "kill", "did not stop within \(DurationText.format(units[i].spec.stopTimeout)); sending SIGKILL to its process group")
                    emit(.signal(unit: units[i].name, pid: pid, signal: Signals.kill))
                }
            default:
                break
            }
        }
    }

    // MARK: - Starting and stopping

    /// Sends the stop signal to a running unit's process group and arms the SIGKILL deadline.
    mutating func beginStop(_ i: Int, now: Instant, why: String) {
        if units[i].isContainer { return beginContainerStop(i, why: why) }
        guard units[i].phase == .running, let pid = units[i].pid else { return }
        let spec = units[i].spec
        stopProbes(i)
        // supervise's own shutdown never cuts a unit's drain short.
        let timeout = shuttingDown ? max(spec.stopTimeout, spec.drain?.timeout ?? .zero) : spec.stopTimeout
        units[i].phase = .stopping
        units[i].stopDeadline = now + timeout
        units[i].killSent = false
        log(.info, spec.name, "stop", "stopping (\(why)): \(Signals.name(spec.stopSignal)) to process group \(pid), SIGKILL after \(DurationText.format(timeout))")
        emit(.signal(unit: spec.name, pid: pid, signal: spec.stopSignal))
    }

    /// Issues a spawn for a waiting unit whose dependencies run, enforcing the start limit.
    private mutating func beginStart(_ i: Int, now: Instant) {
        let spec = units[i].spec
        let limit = spec.restart.startLimit
        units[i].startHistory.removeAll { now - $0 >= limit.interval }
        let automatic = units[i].automaticRestartPending
        units[i].automaticRestartPending = false
        if automatic && units[i].startHistory.count >= limit.burst {
            let why = "start limit hit: \(units[i].startHistory.count) starts within \(DurationText.format(limit.interval)) (burst \(limit.burst)); last: \(units[i].reason ?? "unknown")"
            units[i].phase = .failed
            units[i].reason = why
            log(.error, spec.name, "gave-up", "gave up: \(why); run `supervise restart \(spec.name)` to retry", reason: why)
            emit(.persist)
            return
        }
        units[i].startHistory.append(now)
        if automatic { units[i].restarts += 1 }
        units[i].phase = .starting
        if let container = units[i].container {
            log(.info, spec.name, "restart-issued", "restarting container \(container.id.prefix(12)) through the Docker API")
            emit(.container(unit: spec.name, id: container.id, .restart(timeout: spec.stopTimeout)))
        } else {
            emit(.spawn(spec))
        }
    }

    /// Moves units forward: starts waiting units whose dependencies run, and during
    /// shutdown stops units in reverse dependency order.
    mutating func reconcile(now: Instant) {
        if shuttingDown {
            // Containers are Docker's: they keep running when supervise stops.
            for i in units.indices where units[i].phase == .running && !units[i].isContainer {
                let name = units[i].name
                let dependentsActive = units.contains { $0.spec.dependsOn.contains { $0.name == name } && $0.hasProcess }
                if !dependentsActive { beginStop(i, now: now, why: "shutdown") }
            }
            if !shutdownReported && !units.contains(where: { $0.hasProcess && !$0.isContainer }) {
                shutdownReported = true
                log(.info, nil, "shutdown", "all units stopped")
                emit(.shutdownComplete)
            }
            return
        }
        advanceRollingRestarts(now: now)
        // Repeat so a chain of waiting units is examined in one step; each pass only
        // starts units whose dependencies are already running, so it terminates.
        for i in units.indices where units[i].phase == .waiting {
            // Held until the shell has a fresh picture of Docker (see `dockerConnected`).
            if units[i].isContainer && !dockerConnected { continue }
            let missing = units[i].spec.dependsOn.map(\.name).filter { dep in unit(dep)?.phase != .running }
            if missing.isEmpty {
                beginStart(i, now: now)
            } else {
                let detail = missing.map { "\($0) (\(unit($0)?.phase.rawValue ?? "unknown"))" }.joined(separator: ", ")
                units[i].reason = "waiting for \(detail)"
            }
        }
    }

    private mutating func onShutdown(now: Instant) {
        guard !shuttingDown else { return }
        shuttingDown = true
        log(.info, nil, "shutdown", "stopping all units in reverse dependency order")
        // Containers keep running, and a pending container restart simply never happens.
        for i in units.indices where !units[i].isContainer {
            switch units[i].phase {
            case .waiting, .backoff:
                units[i].phase = .inactive
                units[i].restartAt = nil
                units[i].reason = "stopped for shutdown"
            case .stopping:
                units[i].afterStop = .stay
            default:
                break
            }
        }
    }

    /// Replaces the runtime list (used by reload).
    mutating func setConfig(_ newConfig: SupervisorConfig) { config = newConfig }

    mutating func mutateUnits(_ body: (inout [UnitRuntime]) -> Void) { body(&units) }
}
