/// The supervision logic: a deterministic state machine.
///
/// The shell feeds it ``Event``s and operator commands with the current time
/// and carries out the ``Effect``s it returns. It never reads a clock, sleeps,
/// or touches the system, so tests drive it in virtual time.
public struct Supervisor: Sendable {
    /// Units in configuration order.
    public internal(set) var units: [UnitRuntime] = []
    /// Position of each unit in `units`, so events find their unit without a scan; see ``reindex()``.
    private var positions: [String: Int] = [:]
    public private(set) var config: SupervisorConfig
    /// ``SupervisorConfig/replicatedServices`` of ``config``, worked out when the configuration is set rather than
    /// on every event.
    private(set) var replicatedServices: [ReplicatedService]
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
    /// Replicated services' counts, autoscalers and rollouts, by service.
    public internal(set) var scaling: [String: ServiceScaling] = [:]
    /// Compose replicas asked of Docker and not seen yet, by unit name (one per service at a time).
    var creatingReplicas: [String: PendingReplica] = [:]
    /// Containers of replicas being deleted, id → unit name: not units, even if seen again meanwhile.
    var removingReplicas: [String: String] = [:]
    /// Compose services that could not have a replica made, by service: they wait before trying again.
    var replicaHolds: [String: ReplicaHold] = [:]
    /// Docker's containers have been listed since the daemon started: container units not found
    /// then are gone, not merely unseen yet.
    var containersResynced = false

    /// Creates the core for `config`. Call ``boot(now:persisted:)`` to start the units.
    public init(config: SupervisorConfig, seed: UInt64) {
        self.config = config
        self.replicatedServices = config.replicatedServices
        self.random = SplitMix64(seed: seed)
        self.units = config.units.map { UnitRuntime(spec: $0) }
        reindex()
        for service in replicatedServices { scaling[service.name] = Self.initialScaling(service) }
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
    /// predecessor that was killed; `startedAt`: when those processes started, where the shell could
    /// read it (their uptime counts from then, not from the adoption). They are adopted, not
    /// started again: a running unit stays running, a draining one goes on draining and a stopping
    /// one goes on stopping to the end; the shell reports the exit of an adopted process (not its
    /// child) with an unknown status.
    ///
    /// `leftovers`: units whose saved main process is gone but whose other processes are not (by
    /// count): the main process ended while the daemon was down. They are stopped and counted as
    /// stopping until they are empty, then what their state said follows (their restart policy).
    public mutating func boot(now: Instant, persisted: PersistedState?, alive: Set<String> = [],
                              startedAt: [String: Instant] = [:], leftovers: [String: Int] = [:]) -> [Effect] {
        restoreServices(persisted?.services, alive: alive, now: now)
        let names = Set(units.map(\.name))
        persistedUnseen = persisted?.units.filter { !names.contains($0.key) && $0.value.containerID != nil } ?? [:]
        for i in units.indices {
            let name = units[i].name
            guard let saved = persisted?.units[name] else {
                transition(i, to: .waiting(automatic: false), now: now)
                continue
            }
            units[i].restoreCounters(from: saved)
            let live: Instance? = saved.pid.flatMap { pid in
                guard alive.contains(name) else { return nil }
                return Instance(pid: pid, startTicks: saved.pidStartTicks ?? 0, startedAt: min(startedAt[name] ?? now, now), spec: units[i].spec)
            }
            if live == nil, let pid = saved.pid, saved.containerID == nil, let count = leftovers[name], count > 0 {
                resumeLeftovers(i, saved, pid: pid, count: count, now: now)
            } else if let live, let stop = saved.stopping {
                // Killed while stopping it (after a drain, too): the stop goes on, SIGKILL at the
                // same deadline, then what was to follow.
                let deadline = stop.deadline.map { max($0, now) } ?? now + live.spec.stopTimeout
                units[i].reason = "stopping from before the daemon restart"
                units[i].operatorStopped = saved.operatorStopped
                log(.notice, name, "stop-resume", "still stopping from before the daemon restart (pid \(live.pid)); SIGKILL at its deadline")
                adopt(i, live, as: .stopping(live, StopRun(since: stop.since, deadline: deadline, then: stop.then, drain: saved.drain)), now: now)
            } else if let run = saved.drain {
                if let live {
                    units[i].reason = "draining (\(run.requestedBy)), then \(run.then.rawValue); resumed after a daemon restart"
                    log(.notice, name, "drain-resume", "still draining from before the restart (pid \(live.pid)); watching it to the end")
                    adopt(i, live, as: .draining(live, run), now: now)
                } else {
                    log(.notice, name, "drain-resume", "its drain ended while the daemon was down")
                    finishDrain(i, run, exit: nil, now: now)
                }
            } else if let live, saved.failedReason == nil {
                units[i].reason = "adopted from the previous daemon (pid \(live.pid)); its output is no longer captured"
                log(.notice, name, "adopted", "still running from before the daemon restart (pid \(live.pid)): adopted, not restarted")
                adopt(i, live, as: .running(live), now: now)
            } else if saved.drained == true {
                units[i].operatorStopped = true
                units[i].reason = "drained (remembered across a daemon restart); `supervise undrain \(name)` puts it back in service"
                transition(i, to: .drained, now: now)
            } else if let failure = saved.failedReason {
                units[i].reason = failure
                log(.warning, name, "gave-up", "stays failed from before the restart: \(failure); run `supervise restart \(name)` to retry", reason: failure)
                transition(i, to: .failed, now: now)
            } else if saved.operatorStopped && units[i].spec.restart.policy == .unlessStopped {
                units[i].operatorStopped = true
                units[i].reason = "stopped by operator (remembered: restart policy unless-stopped)"
                transition(i, to: .inactive, now: now)
            } else if saved.restartPending == true {
                resumePendingRestart(i, at: saved.restartAt, reason: saved.restartReason, counted: saved.restartCounted ?? true, now: now)
            } else {
                transition(i, to: .waiting(automatic: false), now: now)
            }
        }
        resumeRollingRestarts(persisted?.rolling ?? [])
        reconcile(now: now)
        return takeEffects()
    }

    /// Unit `i`'s main process `pid` ended while the daemon was down, and `count` processes of
    /// the unit remain: they get the stop signal (again, for a stop in progress) and SIGKILL at
    /// the deadline; what the unit was doing follows once it is empty.
    private mutating func resumeLeftovers(_ i: Int, _ saved: PersistedUnit, pid: Int32, count: Int, now: Instant) {
        let spec = units[i].spec, name = spec.name
        let instance = Instance(pid: pid, startTicks: saved.pidStartTicks ?? 0, startedAt: now, spec: spec)
        var exit = saved.stopping?.mainExit ?? MainExit(status: .unknown, at: now, remaining: count)
        exit.remaining = count
        let then: AfterStop = saved.stopping?.then ?? (saved.operatorStopped ? .stay : .exitPolicy)
        let deadline = saved.stopping?.deadline.map { max($0, now) } ?? now + spec.stopTimeout
        let stop = StopRun(since: saved.stopping?.since ?? now, deadline: deadline, then: then, drain: saved.drain, mainExit: exit)
        units[i].operatorStopped = saved.operatorStopped
        units[i].reason = "main process exited (\(exit.status)), \(count) process\(count == 1 ? "" : "es") left (found after a daemon restart)"
        // Under a drain they had its signal (or, after an HTTP drain, the stop signal) already:
        // a second one is what the drain contract forbids.
        let signalled: Bool
        if saved.drain == nil { signalled = false } else if case .http = spec.drain?.start { signalled = saved.stopping != nil } else { signalled = true }
        let next = signalled ? "SIGKILL at the deadline" : "\(Signals.name(spec.stopSignal)) to them, SIGKILL at the deadline"
        log(.notice, name, "leftovers", "its main process \(pid) ended while the daemon was down, \(count) process\(count == 1 ? "" : "es") of the unit left: \(next)")
        if !signalled { emit(.signal(unit: name, pid: pid, signal: spec.stopSignal)) }
        transition(i, to: .stopping(instance, stop), now: now)
        emit(.watchUnit(unit: name, pid: pid))
    }

    /// Takes over the live process a killed predecessor left for unit `i`: not our child, so the
    /// shell watches it by pid and reports its end with an unknown status.
    private mutating func adopt(_ i: Int, _ instance: Instance, as state: UnitState, now: Instant) {
        transition(i, to: state, now: now)
        emit(.watchProcess(unit: units[i].name, pid: instance.pid))
    }

    /// A restart by policy that the previous daemon had due: made when its backoff ends (at once
    /// when that has passed or is unknown), and counted against the start limit like any
    /// automatic restart, so a crash loop does not escape its limits through daemon restarts.
    mutating func resumePendingRestart(_ i: Int, at: Instant?, reason: String?, counted: Bool, now: Instant) {
        let name = units[i].name, attempt = units[i].streak
        // The reason is the real cause (an exit, a failed probe), so a later give-up still names it.
        units[i].reason = reason ?? units[i].lastExit.map(\.description) ?? "restart due from before the daemon restart"
        if let at, at > now {
            log(.notice, name, "backoff", "restarting in \(DurationText.format(at - now)) (attempt \(attempt), a backoff from before the daemon restart)")
            transition(i, to: .backoff(until: at), now: now)
        } else {
            log(.notice, name, "restart", "restarting now (attempt \(attempt), due from before the daemon restart)")
            transition(i, to: .waiting(automatic: counted), now: now)
        }
    }

    /// Applies one event.
    public mutating func handle(_ event: Event, now: Instant) -> [Effect] {
        switch event {
        case .spawned(let name, let pid, let ticks): onSpawned(name, pid: pid, startTicks: ticks, now: now)
        case .spawnFailed(let name, let reason): onSpawnFailed(name, reason: reason, now: now)
        case .exited(let name, let pid, let status, let remaining, let oomKilled):
            onExited(name, pid: pid, status: status, remaining: remaining, oomKilled: oomKilled, now: now)
        case .remaining(let name, let pid, let count): onRemaining(name, pid: pid, count: count, now: now)
        case .tick: onTick(now: now)
        case .reload(let newConfig): onReload(newConfig, now: now)
        case .shutdown: onShutdown(now: now)
        case .probeResult(let name, let role, let generation, let result):
            onProbeResult(name, role: role, generation: generation, result: result, now: now)
            // Most results only move counters; a verdict that changes (which a `service_healthy`
            // dependent may wait for) always logs, so it is never skipped here.
            if pending.isEmpty { return [] }
        case .dockerConnection(let connected, let detail): onDockerConnection(connected: connected, detail: detail)
        case .containerResync(let snapshots): onContainerResync(snapshots, now: now)
        case .containerSeen(let snapshot): _ = upsertContainer(snapshot, now: now)
        case .container(let id, let event): onContainerEvent(id: id, event, now: now)
        case .containerActionFailed(let name, let id, let reason): onContainerActionFailed(name, id: id, reason: reason, now: now)
        case .drainProgress(let name, let generation, let active, let error):
            onDrainProgress(name, generation: generation, activeCalls: active, error: error, now: now)
        case .autoscaleReading(let service, let reading): onAutoscaleReading(service, reading, now: now)
        case .replicaCreated(let unit, let snapshot): onReplicaCreated(unit, snapshot, now: now)
        case .replicaCreateFailed(let unit, let reason): onReplicaCreateFailed(unit, reason: reason, now: now)
        }
        reconcile(now: now)
        return takeEffects()
    }

    /// The earliest time at which a timer is due, if any; the shell sends `.tick` then.
    public var nextDeadline: Instant? {
        [units.lazy.compactMap(\.state.deadline).min(), nextRolloutDeadline, nextReplicaRetry].compactMap { $0 }.min()
    }

    /// Returns the effects of the current step and clears them.
    mutating func takeEffects() -> [Effect] {
        // Not `removeAll(keepingCapacity:)`: the caller holds the buffer, so that would allocate a new one as
        // large as the largest step so far (a boot of 1,000 units) for every event after it.
        defer { pending = [] }
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
        guard let i = index(name), case .starting(let run) = units[i].state else { return }
        let then = run.then
        let instance = Instance(pid: pid, startTicks: startTicks, startedAt: now, spec: units[i].spec)
        units[i].reason = nil
        log(.info, name, "start", "started, pid \(pid)")
        // A stop (operator, reload, shutdown) was asked for while the spawn was in flight.
        if shuttingDown || then != nil || units[i].retired {
            let why = shuttingDown ? "shutdown" : units[i].retired ? "removed from the configuration"
                : then == .stay ? "operator stop" : "configuration changed"
            sendStop(i, instance, then: shuttingDown ? .stay : then ?? .stay, why: why, now: now)
        } else {
            transition(i, to: .running(instance), now: now)
        }
    }

    private mutating func onSpawnFailed(_ name: String, reason: String, now: Instant) {
        guard let i = index(name), case .starting(let run) = units[i].state else { return }
        let then = run.then
        let why = "spawn failed: \(reason)"
        log(.error, name, "spawn-failed", "could not start: \(reason)", reason: why)
        if forgetIfRetired(i) { return }
        switch then {
        case .stay?:
            units[i].reason = "stopped by operator"
            transition(i, to: .inactive, now: now)
        case .start?:
            // The configuration changed meanwhile: try the new spec.
            units[i].reason = "restarting with changed configuration"
            transition(i, to: .waiting(automatic: false), now: now)
        case .policyRestart?, .exitPolicy?, nil:
            afterProcessEnded(i, clean: false, why: why, cause: .crash, uptime: .zero, now: now)
        }
    }

    private mutating func onExited(_ name: String, pid: Int32, status: ExitStatus, remaining: Int, oomKilled: Bool, now: Instant) {
        guard let i = index(name), let instance = units[i].state.instance, instance.pid == pid else { return }
        units[i].lastExit = status
        if oomKilled {
            log(.warning, name, "oom", "the kernel's OOM killer killed a process of the unit (memory.events oom_kill)")
        }
        let exit = MainExit(status: status, at: now, remaining: remaining, oomKilled: oomKilled)
        if remaining > 0 && !units[i].isContainer {
            return mainExitedLeavingProcesses(i, instance, exit, now: now)
        }
        unitEnded(i, instance, exit, now: now)
    }

    /// The unit's last process is gone (its main process, or the last one it left): what its
    /// state said should follow, follows.
    private mutating func unitEnded(_ i: Int, _ instance: Instance, _ exit: MainExit, now: Instant) {
        let status = exit.status, why = exit.why
        switch units[i].state {
        case .draining(_, let run):
            finishDrain(i, run, exit: status, now: now)
        case .stopping(_, let stop):
            if let run = stop.drain { return finishDrain(i, run, exit: status, now: now) }
            let uptime = (stop.mainExit?.at ?? now) - instance.startedAt
            if stop.then == .exitPolicy {
                log(.info, units[i].name, "empty", "the processes its main process left are gone")
                return decideAfterExit(i, status: status, why: why, uptime: uptime, oomKilled: exit.oomKilled == true, now: now)
            }
            stoppedByUs(i, status: status, then: stop.then, uptime: uptime, now: now)
        default:
            endedOnItsOwn(i, status: status, why: why, uptime: now - instance.startedAt, oomKilled: exit.oomKilled == true, now: now)
        }
    }

    /// The main process ended but the unit is not empty: the rest of it gets the stop signal (a
    /// stop in progress already sent it) and SIGKILL at the deadline, and the unit counts as
    /// stopping until the shell reports it empty. Nothing of it starts again before that, so a
    /// leftover child cannot hold the port or the shared memory the next instance needs.
    private mutating func mainExitedLeavingProcesses(_ i: Int, _ instance: Instance, _ exit: MainExit, now: Instant) {
        let name = units[i].name, spec = instance.spec
        let left = "\(exit.remaining) process\(exit.remaining == 1 ? "" : "es") left"
        var stop: StopRun
        switch units[i].state {
        case .stopping(_, let current):
            stop = current
            log(.info, name, "main-exit", "main process ended (\(exit.status)), \(left); waiting for them to stop", exit: exit.status)
        case .draining(_, let run):
            // A drain signal went to every process of the unit already; a second one is what the
            // drain contract forbids (a LiveKit worker exits at once on it). After an HTTP drain
            // the leftovers get the stop signal, as the drained main process would have.
            if case .http = spec.drain?.start {
                log(.notice, name, "main-exit", "main process ended while draining (\(exit.status)), \(left): \(Signals.name(spec.stopSignal)) to them, SIGKILL after \(DurationText.format(spec.stopTimeout))", exit: exit.status)
                emit(.signal(unit: name, pid: instance.pid, signal: spec.stopSignal))
            } else {
                log(.notice, name, "main-exit", "main process ended while draining (\(exit.status)), \(left): they had the drain signal; SIGKILL after \(DurationText.format(spec.stopTimeout))", exit: exit.status)
            }
            stop = StopRun(since: now, deadline: now + spec.stopTimeout, then: .stay, drain: run)
        default:
            let clean = exit.status.isClean(successCodes: spec.restart.successExitCodes,
                                            successSignals: spec.restart.successSignals, stopSignal: spec.stopSignal)
            log(clean ? .info : .warning, name, "exit", "exited: \(exit.why) after \(DurationText.format(now - instance.startedAt)) up, \(left): \(Signals.name(spec.stopSignal)) to them, SIGKILL after \(DurationText.format(spec.stopTimeout))", exit: exit.status)
            emit(.signal(unit: name, pid: instance.pid, signal: spec.stopSignal))
            stop = StopRun(since: now, deadline: now + spec.stopTimeout, then: shuttingDown ? .stay : .exitPolicy)
        }
        stop.mainExit = exit
        units[i].reason = "main process exited (\(exit.why)), \(left)"
        transition(i, to: .stopping(instance, stop), now: now)
        emit(.watchUnit(unit: name, pid: instance.pid))
    }

    /// A count of what is left of a unit whose main process ended; 0: the unit is empty.
    private mutating func onRemaining(_ name: String, pid: Int32, count: Int, now: Instant) {
        guard let i = index(name), case .stopping(let instance, var stop) = units[i].state, instance.pid == pid,
              var exit = stop.mainExit else { return }
        guard count <= 0 else {
            guard count != exit.remaining else { return }
            exit.remaining = count
            stop.mainExit = exit
            units[i].reason = "main process exited (\(exit.why)), \(count) process\(count == 1 ? "" : "es") left"
            units[i].updateStop(stop)
            return
        }
        unitEnded(i, instance, exit, now: now)
    }

    /// Forgets unit `i` when it was removed from the configuration and its instance has ended.
    mutating func forgetIfRetired(_ i: Int) -> Bool {
        guard units[i].retired else { return false }
        let name = units[i].name
        stopProbes(i, roles: ProbeRole.allCases)
        if let id = units[i].container?.id {
            containerUnits[id] = nil
            removeReplicaContainer(i)
            log(.info, name, "removed", "replica removed from \(units[i].spec.service); its container is deleted")
        } else {
            log(.info, name, "removed", "removed from the configuration")
        }
        units.remove(at: i)
        reindex()
        emit(.persist)
        return true
    }

    /// An instance supervise stopped has ended: what the stop asked for follows.
    mutating func stoppedByUs(_ i: Int, status: ExitStatus, then: AfterStop, uptime: Duration, now: Instant) {
        let name = units[i].name
        log(.info, name, "exit", "stopped (\(status)) after \(DurationText.format(uptime)) up", exit: status)
        if forgetIfRetired(i) { return }
        switch then {
        case .stay:
            units[i].reason = shuttingDown ? "stopped for shutdown" : (units[i].operatorStopped ? "stopped by operator" : units[i].reason)
            transition(i, to: .inactive, now: now)
        case .start where shuttingDown:
            units[i].reason = "stopped for shutdown"
            transition(i, to: .inactive, now: now)
        case .start:
            units[i].downCause = units[i].downCause ?? .operator
            units[i].reason = "restarting (\(units[i].reason ?? "operator or configuration"))"
            transition(i, to: .waiting(automatic: false), now: now)
        case .policyRestart(let reason):
            afterProcessEnded(i, clean: false, why: reason, cause: .unhealthy, uptime: uptime, now: now)
        case .exitPolicy:
            decideAfterExit(i, status: status, why: "\(status)", uptime: uptime, now: now)
        }
    }

    /// An instance ended on its own: logged, then its restart policy decides.
    mutating func endedOnItsOwn(_ i: Int, status: ExitStatus, why: String, uptime: Duration, oomKilled: Bool = false, now: Instant) {
        let spec = units[i].activeSpec
        let clean = status.isClean(successCodes: spec.restart.successExitCodes,
                                   successSignals: spec.restart.successSignals, stopSignal: spec.stopSignal)
        log(clean ? .info : .warning, spec.name, "exit", "exited: \(why) after \(DurationText.format(uptime)) up", exit: status)
        decideAfterExit(i, status: status, why: why, uptime: uptime, oomKilled: oomKilled, now: now)
    }

    /// After an instance ended on its own (and the unit is empty): its restart policy decides.
    mutating func decideAfterExit(_ i: Int, status: ExitStatus, why: String, uptime: Duration, oomKilled: Bool = false, now: Instant) {
        let spec = units[i].activeSpec
        let clean = status.isClean(successCodes: spec.restart.successExitCodes,
                                   successSignals: spec.restart.successSignals, stopSignal: spec.stopSignal)
        if forgetIfRetired(i) { return }
        afterProcessEnded(i, clean: clean, why: why, cause: oomKilled ? .oom : clean ? .exit : .crash, uptime: uptime, now: now)
    }

    /// An instance ended on its own (or never started): restart by policy, with backoff.
    mutating func afterProcessEnded(_ i: Int, clean: Bool, why: String, cause: RestartCause, uptime: Duration, now: Instant) {
        let spec = units[i].spec
        let name = spec.name
        if uptime >= spec.restart.backoff.resetAfter { units[i].streak = 0 }
        guard !shuttingDown, !units[i].operatorStopped else {
            transition(i, to: .inactive, now: now)
            return
        }
        guard spec.restart.policy.restarts(afterCleanExit: clean) else {
            units[i].reason = "\(why); not restarted (restart policy \(spec.restart.policy.rawValue))"
            log(.notice, name, "exited", units[i].reason!)
            transition(i, to: .exited, now: now)
            return
        }
        scheduleRestart(i, why: why, cause: cause, now: now)
    }

    /// Restarts unit `i` by its policy: at once on the first attempt of a streak when the backoff
    /// allows, else after the backoff; counted against the start limit when it starts.
    mutating func scheduleRestart(_ i: Int, why: String, cause: RestartCause, now: Instant) {
        let spec = units[i].spec
        units[i].downCause = cause
        units[i].streak += 1
        units[i].reason = why
        let delay = spec.restart.backoff.delay(attempt: units[i].streak, unitRandom: random.unit())
        if delay <= .zero {
            log(.notice, spec.name, "restart", "restarting now (\(why))", reason: why)
            transition(i, to: .waiting(automatic: true), now: now)
        } else {
            log(.notice, spec.name, "backoff", "restarting in \(DurationText.format(delay)) (attempt \(units[i].streak), \(why))", reason: why)
            transition(i, to: .backoff(until: now + delay), now: now)
        }
    }

    private mutating func onTick(now: Instant) {
        for i in units.indices {
            guard let due = units[i].state.deadline, due <= now else { continue }
            switch units[i].state {
            case .backoff:
                log(.notice, units[i].name, "restart", "restarting after backoff (attempt \(units[i].streak))", reason: units[i].reason)
                transition(i, to: .waiting(automatic: true), now: now)
            case .draining:
                cutDrain(i, now: now)
            case .stopping(let instance, var stop):
                stop.killSent = true
                if let container = units[i].container {
                    log(.warning, units[i].name, "kill", "did not stop within \(DurationText.format(now - stop.since)); sending SIGKILL to the container")
                    emit(.container(unit: units[i].name, id: container.id, .kill(signal: Signals.kill)))
                } else {
                    log(.warning, units[i].name, "kill", "did not stop within \(DurationText.format(now - stop.since)); sending SIGKILL to every process of the unit")
                    emit(.signal(unit: units[i].name, pid: instance.pid, signal: Signals.kill))
                }
                transition(i, to: .stopping(instance, stop), now: now)
            default:
                break
            }
        }
    }

    // MARK: - Starting and stopping

    /// Stops a running unit: its stop signal (Docker's stop for a container), SIGKILL at the
    /// deadline, then `then`. A unit whose spawn is in flight is stopped as soon as it reports.
    mutating func beginStop(_ i: Int, then: AfterStop, why: String, now: Instant) {
        switch units[i].state {
        case .running(let instance):
            sendStop(i, instance, then: then, why: why, now: now)
        case .starting(var run):
            run.then = then
            transition(i, to: .starting(run), now: now)
            // Docker applies a stop after the restart in flight: sent now, it holds even if
            // supervise exits before Docker reports the start.
            if let container = units[i].container {
                log(.info, units[i].name, "stop", "stopping container \(container.id.prefix(12)) (\(why)) once its restart in flight is done")
                emit(.container(unit: units[i].name, id: container.id, .stop(timeout: units[i].spec.stopTimeout)))
            }
        default:
            break
        }
    }

    /// Sends the stop to `instance` and enters `stopping`.
    private mutating func sendStop(_ i: Int, _ instance: Instance, then: AfterStop, why: String, now: Instant) {
        let spec = instance.spec
        if let container = units[i].container {
            log(.info, spec.name, "stop", "stopping container \(container.id.prefix(12)) (\(why)), SIGKILL by Docker after \(DurationText.format(spec.stopTimeout))")
            emit(.container(unit: spec.name, id: container.id, .stop(timeout: spec.stopTimeout)))
            transition(i, to: .stopping(instance, StopRun(since: now, deadline: nil, then: then)), now: now)
            return
        }
        // supervise's own shutdown never cuts a unit's drain short.
        let timeout = shuttingDown ? max(spec.stopTimeout, spec.drain?.timeout ?? .zero) : spec.stopTimeout
        log(.info, spec.name, "stop", "stopping (\(why)): \(Signals.name(spec.stopSignal)) to the unit (main process \(instance.pid)), SIGKILL after \(DurationText.format(timeout))")
        emit(.signal(unit: spec.name, pid: instance.pid, signal: spec.stopSignal))
        transition(i, to: .stopping(instance, StopRun(since: now, deadline: now + timeout, then: then)), now: now)
    }

    /// Issues a spawn for a waiting unit whose dependencies are met, enforcing the start limit.
    private mutating func beginStart(_ i: Int, automatic: Bool, now: Instant) {
        let spec = units[i].spec
        let limit = spec.restart.startLimit
        units[i].startHistory.removeAll { now - $0 >= limit.interval }
        if automatic && units[i].startHistory.count >= limit.burst {
            let why = "start limit hit: \(units[i].startHistory.count) starts within \(DurationText.format(limit.interval)) (burst \(limit.burst)); last: \(units[i].reason ?? "unknown")"
            units[i].reason = why
            log(.error, spec.name, "gave-up", "gave up: \(why); run `supervise restart \(spec.name)` to retry", reason: why)
            emit(.measure(.startLimitHit(unit: spec.name)))
            transition(i, to: .failed, now: now)
            return
        }
        if let cause = units[i].downCause {
            emit(.measure(.restarted(unit: spec.name, cause: cause)))
            units[i].downCause = nil
        }
        units[i].startHistory.append(now)
        if automatic { units[i].restarts += 1 }
        transition(i, to: .starting(StartRun(since: now, automatic: automatic)), now: now)
        if let container = units[i].container {
            log(.info, spec.name, "restart-issued", "restarting container \(container.id.prefix(12)) through the Docker API")
            emit(.container(unit: spec.name, id: container.id, .restart(timeout: spec.stopTimeout)))
        } else {
            emit(.spawn(spec))
        }
    }

    /// Moves units forward: starts waiting units whose dependencies meet their conditions, and
    /// during shutdown stops units in reverse dependency order.
    mutating func reconcile(now: Instant) {
        if shuttingDown {
            // Containers are Docker's: they keep running when supervise stops.
            for i in units.indices where units[i].phase == .running && !units[i].isContainer {
                let name = units[i].name
                let dependentsActive = units.contains { $0.spec.dependsOn.contains { $0.name == name } && $0.hasProcess }
                if !dependentsActive { beginStop(i, then: .stay, why: "shutdown", now: now) }
            }
            if !shutdownReported && !units.contains(where: { $0.hasProcess && !$0.isContainer }) {
                shutdownReported = true
                log(.info, nil, "shutdown", "all units stopped")
                emit(.shutdownComplete)
            }
            return
        }
        advanceRollingRestarts(now: now)
        reconcileReplicas(now: now)
        // Each pass only starts units whose dependencies are already met, so it terminates.
        for i in units.indices {
            guard case .waiting(let automatic) = units[i].state else { continue }
            // Held until the shell has a fresh picture of Docker (see `dockerConnected`).
            if units[i].isContainer && !dockerConnected { continue }
            if units[i].spec.dependsOn.allSatisfy({ unmetCondition($0) == nil }) { beginStart(i, automatic: automatic, now: now) }
        }
        // What each unit still waiting waits for, as it stands after this pass.
        for i in units.indices where units[i].phase == .waiting && !(units[i].isContainer && !dockerConnected) {
            let unmet = units[i].spec.dependsOn.compactMap(unmetCondition)
            if !unmet.isEmpty { units[i].reason = "waiting for " + unmet.joined(separator: ", ") }
        }
    }

    private mutating func onShutdown(now: Instant) {
        guard !shuttingDown else { return }
        shuttingDown = true
        log(.info, nil, "shutdown", "stopping all units in reverse dependency order")
        // Containers keep running, and a pending container restart simply never happens.
        for i in units.indices where !units[i].isContainer {
            switch units[i].state {
            case .waiting, .backoff:
                units[i].reason = "stopped for shutdown"
                transition(i, to: .inactive, now: now)
            case .stopping(let instance, var stop) where stop.drain == nil:
                stop.then = .stay
                transition(i, to: .stopping(instance, stop), now: now)
            case .starting(var run):
                run.then = .stay
                transition(i, to: .starting(run), now: now)
            default:
                break
            }
        }
    }

    /// Replaces the configuration (used by reload).
    mutating func setConfig(_ newConfig: SupervisorConfig) {
        config = newConfig
        replicatedServices = newConfig.replicatedServices
    }
}
