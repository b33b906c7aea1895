/// Container units: discovered from Docker, healed through the Docker API.
///
/// The same restart policy, backoff and start limit as processes, with these differences:
/// - a restart is `POST /containers/{id}/restart?t=STOP_TIMEOUT`, issued the moment the core
///   decides it (the container is dead, or unhealthy and still running);
/// - a container stopped outside supervise (`docker stop`, `docker compose stop`: a `kill`
///   event supervise did not cause, then `die`) stays stopped, and one removed is forgotten;
/// - when the container's own Docker restart policy restarts it after an exit, supervise leaves
///   that to Docker and still heals it when unhealthy;
/// - nothing is restarted from a stale picture: while the Docker API is unreachable restarts
///   wait, and after every reconnect the shell resyncs the whole picture first;
/// - supervise's own shutdown leaves containers running.
extension Supervisor {
    mutating func onDockerConnection(connected: Bool, detail: String) {
        if connected {
            log(.info, nil, "docker-connected", "Docker API reachable (\(detail)); waiting for the resync")
            return
        }
        guard dockerConnected else { return }
        dockerConnected = false
        log(.warning, nil, "docker-lost", "Docker API unreachable: \(detail); container restarts wait until it is back and resynced",
            reason: detail)
    }

    mutating func onContainerResync(_ snapshots: [ContainerSnapshot], now: Instant) {
        var present: Set<String> = []
        // A replica's container being deleted and not listed any more is gone.
        let listed = Set(snapshots.map(\.id))
        removingReplicas = removingReplicas.filter { listed.contains($0.key) }
        for snapshot in snapshots {
            if let name = upsertContainer(snapshot, now: now) { present.insert(name) }
        }
        for name in units.filter({ $0.isContainer && !present.contains($0.name) }).map(\.name) {
            forgetContainerUnit(name, why: "its container is gone")
        }
        containersResynced = true
        retryUnsentContainerStops(now: now)
        if !dockerConnected {
            dockerConnected = true
            let count = units.filter(\.isContainer).count
            log(.notice, nil, "docker-resync", "Docker picture resynchronised: \(count) container units")
        }
    }

    /// The selector that owns `snapshot`, with the unit's name and replica number.
    func selector(for snapshot: ContainerSnapshot) -> (ContainerSelector, String, Int?)? {
        for selector in config.containers {
            if let (name, replica) = selector.unit(for: snapshot) { return (selector, name, replica) }
        }
        return nil
    }

    /// Creates or updates the unit for `snapshot`; returns its name, or nil when no selector owns it.
    @discardableResult
    mutating func upsertContainer(_ snapshot: ContainerSnapshot, now: Instant) -> String? {
        guard removingReplicas[snapshot.id] == nil, let (selector, name, replica) = self.selector(for: snapshot) else { return nil }
        creatingReplicas[name] = nil
        // A process unit of the same name wins; the container is not supervised.
        if let i = index(name), !units[i].isContainer { return nil }
        let spec = selector.spec(name: name, replica: replica)
        if let i = index(name) {
            updateContainerUnit(i, snapshot, spec: spec, replica: replica, now: now)
        } else {
            addContainerUnit(snapshot, spec: spec, replica: replica, now: now)
        }
        if let i = index(name) { units[i].container?.selectorKey = selector.key }
        return name
    }

    private mutating func updateContainerUnit(_ i: Int, _ snapshot: ContainerSnapshot, spec: UnitSpec, replica: Int?, now: Instant) {
        let name = units[i].name
        var binding = units[i].container ?? ContainerBinding(snapshot: snapshot, replica: replica)
        let replaced = binding.id != snapshot.id
        if replaced {
            // `docker compose up` recreated it (new image or config): a new container, same unit.
            containerUnits[binding.id] = nil
            log(.info, name, "recreated", "container replaced: \(binding.id.prefix(12)) → \(snapshot.id.prefix(12))")
            binding = ContainerBinding(snapshot: snapshot, replica: replica)
        } else {
            binding.image = snapshot.image
            binding.dockerRestartPolicy = snapshot.dockerRestartPolicy
            binding.health = snapshot.health
        }
        containerUnits[snapshot.id] = name
        binding.runningPid = snapshot.running ? snapshot.pid : nil
        units[i].container = binding
        units[i].spec = spec
        if snapshot.running {
            switch units[i].state {
            case .running(var instance) where instance.pid != snapshot.pid:
                instance.pid = snapshot.pid
                transition(i, to: .running(instance), now: now)
            case .stopping(let instance, _) where instance.pid != snapshot.pid && instance.pid > 0,
                 .draining(let instance, _) where instance.pid != snapshot.pid && instance.pid > 0:
                // The run we were stopping ended unseen, and the container runs again (started by
                // hand, or by Docker).
                log(.info, name, "exit", "container \(snapshot.id.prefix(12)) ended unseen and runs again (pid \(snapshot.pid))")
                let wantedDown = stopsForGood(units[i].state)
                containerDied(i, exitCode: -1, now: now)
                if units[i].state.instance == nil { runAgain(i, pid: snapshot.pid, stopInProgress: wantedDown, now: now) }
            case .running, .stopping, .draining:
                break
            default:
                containerRunning(i, pid: snapshot.pid, now: now)
            }
        } else if units[i].state.instance != nil && !replaced {
            // It died (or our stop finished) while no event could tell: act on it now.
            log(.warning, name, "exit", "found not running after a gap in Docker's events", exit: snapshot.exitCode.map(ContainerSnapshot.exitStatus))
            containerDied(i, exitCode: snapshot.exitCode ?? -1, now: now)
        } else if case .starting(let run) = units[i].state, run.then == .stay {
            units[i].reason = "stopped by operator"
            transition(i, to: .inactive, now: now)
        } else if units[i].phase == .running || units[i].phase == .starting {
            units[i].reason = "recreated and not running"
            transition(i, to: .inactive, now: now)
        }
    }

    private mutating func addContainerUnit(_ snapshot: ContainerSnapshot, spec: UnitSpec, replica: Int?, now: Instant) {
        let name = spec.name
        var runtime = UnitRuntime(spec: spec)
        runtime.container = ContainerBinding(snapshot: snapshot, replica: replica)
        runtime.container?.runningPid = snapshot.running ? snapshot.pid : nil
        let saved = persistedUnseen.removeValue(forKey: name)
        if let saved {
            runtime.restoreCounters(from: saved)
            runtime.operatorStopped = saved.operatorStopped
            if saved.containerID == snapshot.id { runtime.container?.stopUnsent = saved.stopUnsent == true }
        }
        units.append(runtime)
        // Processes first, in configuration order; then containers by service and replica.
        let keyed = units.enumerated().map { offset, u in
            (u.isContainer ? 1 : 0, u.isContainer ? u.spec.service : "", u.container?.replica ?? 0,
             u.isContainer ? u.name : "", offset, u)
        }
        units = keyed.sorted { ($0.0, $0.1, $0.2, $0.3, $0.4) < ($1.0, $1.1, $1.2, $1.3, $1.4) }.map(\.5)
        reindex()
        containerUnits[snapshot.id] = name
        guard let i = index(name) else { return }
        let exit = snapshot.exitCode.map(ContainerSnapshot.exitStatus)
        let sameContainer = saved?.containerID == snapshot.id
        // The same run of it: a container started again by hand has a new main process.
        let sameRun = sameContainer && snapshot.running && saved?.pid == snapshot.pid
        if let run = saved?.drain, sameContainer {
            if sameRun {
                log(.notice, name, "drain-resume", "still draining from before the restart; watching it to the end")
                units[i].reason = "draining (\(run.requestedBy)); resumed after a daemon restart"
                let instance = Instance(pid: snapshot.pid, startedAt: now, spec: spec)
                if let stop = saved?.stopping {
                    // Being stopped after its drain (cut, or hung): that stop goes on.
                    transition(i, to: .stopping(instance, StopRun(since: stop.since, deadline: stop.deadline.map { max($0, now) },
                                                                  then: stop.then, drain: run)), now: now)
                } else {
                    transition(i, to: .draining(instance, run), now: now)
                }
            } else {
                finishDrain(i, run, exit: exit, now: now)
                if snapshot.running { runAgain(i, pid: snapshot.pid, stopInProgress: run.then == .stop, now: now) }
            }
        } else if saved?.restartPending == true, saved?.operatorStopped != true, sameRun || (sameContainer && !snapshot.running) {
            // Due for a restart when the previous daemon stopped (dead, or unhealthy and still
            // running the same process): it still gets it.
            if let exit, !snapshot.running { units[i].lastExit = exit }
            resumePendingRestart(i, at: saved?.restartAt, reason: saved?.restartReason, counted: saved?.restartCounted ?? true, now: now)
        } else if saved?.drained == true {
            units[i].operatorStopped = true
            units[i].reason = "drained (remembered across a daemon restart)"
            transition(i, to: .drained, now: now)
        } else if let failure = saved?.failedReason, !snapshot.running || sameRun {
            // Gave up (its container may still run, unhealthy): it stays given up. One started
            // again since, by hand, is supervised afresh (below).
            units[i].reason = failure
            log(.warning, name, "gave-up", "stays failed from before the restart: \(failure); run `supervise restart \(name)` to retry", reason: failure)
            transition(i, to: .failed, now: now)
        } else if snapshot.running {
            log(.info, name, "discovered", "container \(snapshot.id.prefix(12)) (\(snapshot.name), \(snapshot.image)) running")
            containerRunning(i, pid: snapshot.pid, now: now)
        } else if let failure = saved?.failedReason {
            units[i].reason = failure
            log(.warning, name, "gave-up", "stays failed from before the restart: \(failure); run `supervise restart \(name)` to retry", reason: failure)
            transition(i, to: .failed, now: now)
        } else if saved?.pid != nil, saved?.operatorStopped != true, sameContainer {
            // Running when the previous daemon last wrote its state, dead now: it died unseen.
            log(.warning, name, "exit", "container \(snapshot.id.prefix(12)) died while supervise was not running", exit: exit)
            let status = ContainerSnapshot.exitStatus(code: snapshot.exitCode ?? -1)
            units[i].lastExit = status
            containerExited(i, status: status, exitCode: snapshot.exitCode ?? -1, why: "\(status)", uptime: .zero, now: now)
        } else {
            let why = "not running when discovered" + (exit.map { " (\($0))" } ?? "") + "; `supervise start \(name)` starts it"
            units[i].reason = why
            if let exit { units[i].lastExit = exit }
            log(.info, name, "discovered", "container \(snapshot.id.prefix(12)) (\(snapshot.name)) \(why)")
            transition(i, to: .inactive, now: now)
        }
        emit(.persist)
    }

    private mutating func containerRunning(_ i: Int, pid: Int32, now: Instant) {
        let name = units[i].name
        var then: AfterStop?
        switch units[i].state {
        case .starting(let run):
            then = run.then
            log(.info, name, "start", "container running, pid \(pid)")
        case .inactive, .exited, .failed, .drained:
            // Started by hand (after a drain or a stop too): supervised, and back in service.
            if units[i].operatorStopped { log(.notice, name, "start", "started outside supervise; supervising it again") }
        default:
            // Docker (or someone) restarted it while a restart of ours was pending.
            log(.info, name, "start", "started outside supervise; pending restart cancelled")
        }
        units[i].operatorStopped = false
        units[i].reason = nil
        units[i].container?.stoppedOutside = false
        units[i].container?.runningPid = pid
        transition(i, to: .running(Instance(pid: pid, startedAt: now, spec: units[i].spec)), now: now)
        if let then { beginStop(i, then: then, why: then == .stay ? "operator stop" : "configuration changed", now: now) }
    }

    mutating func onContainerEvent(id: String, _ event: ContainerEvent, now: Instant) {
        if case .destroyed = event { removingReplicas[id] = nil }
        guard let name = containerUnits[id], let i = index(name), units[i].container?.id == id else { return }
        switch event {
        case .started:
            // The shell follows a start with `.containerSeen` (it needs the new pid); nothing to do here.
            break
        case .killed(let signal):
            // Our own stop or restart sends kills too; any other is someone stopping the container.
            guard units[i].phase != .stopping && units[i].phase != .starting && units[i].phase != .draining else { return }
            units[i].container?.stoppedOutside = true
            log(.info, name, "kill", "\(Signals.name(signal)) sent to the container outside supervise")
        case .oom:
            units[i].container?.oomKilled = true
            log(.warning, name, "oom", "container ran out of memory (OOM kill)")
        case .died(let code):
            containerDied(i, exitCode: code, now: now)
        case .stopped:
            // `docker stop` finished; a restart scheduled from its `die` is cancelled.
            guard units[i].phase == .waiting || units[i].phase == .backoff || units[i].phase == .running else { return }
            units[i].operatorStopped = true
            units[i].reason = "stopped outside supervise (docker stop); `supervise start \(name)` starts it"
            transition(i, to: .inactive, now: now)
        case .destroyed:
            forgetContainerUnit(name, why: "container removed")
        case .health(let health, let detail):
            let previous = units[i].container?.health
            units[i].container?.health = health
            guard health != previous else { return }
            if health == .unhealthy, units[i].phase == .running {
                let reason = "unhealthy: Docker HEALTHCHECK failed" + (detail.map { ": \($0)" } ?? "")
                log(.warning, name, "unhealthy", reason, reason: reason)
                containerUnhealthy(i, reason: reason, now: now)
            } else if health == .healthy {
                log(.info, name, "healthy", "Docker HEALTHCHECK healthy")
            }
        }
    }

    /// Whether `state` is a stop (or a drain) that leaves the unit down when it ends.
    func stopsForGood(_ state: UnitState) -> Bool {
        switch state {
        case .draining(_, let run): run.then == .stop
        case .stopping(_, let stop): stop.drain.map { $0.then == .stop } ?? (stop.then == .stay)
        default: false
        }
    }

    /// A container runs again after the run we knew ended unseen. Started outside supervise, it
    /// is supervised again; but a stop of ours that was still under way when it was started is
    /// carried out on the new run too (the operator's stop came after that start, as far as
    /// anyone can tell), so an operator's stop is never undone by a race with `docker start`.
    private mutating func runAgain(_ i: Int, pid: Int32, stopInProgress: Bool, now: Instant) {
        containerRunning(i, pid: pid, now: now)
        guard stopInProgress else { return }
        units[i].operatorStopped = true
        units[i].reason = "stopped by operator"
        beginStop(i, then: .stay, why: "its stop was under way when it was started again", now: now)
    }

    /// The container's process ended (a `die` event, or found dead by a resync).
    private mutating func containerDied(_ i: Int, exitCode: Int32, now: Instant) {
        guard units[i].container != nil else { return }
        units[i].container?.runningPid = nil
        let status = ContainerSnapshot.exitStatus(code: exitCode)
        let oom = units[i].container?.oomKilled == true
        let why = oom ? "out of memory (OOM killed, \(status))" : "\(status)"
        units[i].container?.oomKilled = false
        switch units[i].state {
        case .starting:
            // Docker's restart stops the old process first: expected.
            return
        case .draining(_, let run):
            units[i].lastExit = status
            finishDrain(i, run, exit: status, now: now)
        case .stopping(let instance, let stop):
            units[i].lastExit = status
            if let run = stop.drain { return finishDrain(i, run, exit: status, now: now) }
            stoppedByUs(i, status: status, then: stop.then, uptime: now - instance.startedAt, now: now)
        case .running(let instance):
            units[i].lastExit = status
            containerExited(i, status: status, exitCode: exitCode, why: why, uptime: now - instance.startedAt, now: now)
        default:
            units[i].lastExit = status
        }
    }

    /// A running container ended on its own: stopped by someone outside supervise, left to
    /// Docker's own restart policy, or restarted by ours.
    private mutating func containerExited(_ i: Int, status: ExitStatus, exitCode: Int32, why: String, uptime: Duration, now: Instant) {
        guard let binding = units[i].container else { return }
        let name = units[i].name
        if binding.stoppedOutside {
            units[i].operatorStopped = true
            units[i].reason = "stopped outside supervise (\(status)); `supervise start \(name)` starts it"
            log(.notice, name, "exit", "stopped outside supervise (\(status)); not restarted", exit: status)
            transition(i, to: .inactive, now: now)
        } else if binding.dockerRestartsExit(code: exitCode) {
            units[i].reason = "\(why); Docker restarts it (its restart policy \(binding.dockerRestartPolicy))"
            log(.notice, name, "exit", "exited: \(why); left to Docker's restart policy \(binding.dockerRestartPolicy)", exit: status)
            transition(i, to: .exited, now: now)
        } else {
            endedOnItsOwn(i, status: status, why: why, uptime: uptime, now: now)
        }
    }

    /// Unhealthy (Docker's HEALTHCHECK or the unit's liveness probe): restart through the policy;
    /// the first restart of a streak is issued at once, later ones after the backoff while the
    /// container keeps running.
    mutating func containerUnhealthy(_ i: Int, reason: String, now: Instant) {
        let spec = units[i].spec
        guard spec.restart.policy.restarts(afterCleanExit: false) else {
            units[i].reason = "\(reason); not restarted (restart policy \(spec.restart.policy.rawValue))"
            return
        }
        let uptime = units[i].startedAt.map { now - $0 } ?? .zero
        if uptime >= spec.restart.backoff.resetAfter { units[i].streak = 0 }
        scheduleRestart(i, why: reason, cause: .unhealthy, now: now)
    }

    mutating func onContainerActionFailed(_ name: String, id: String, reason: String, now: Instant) {
        if removingReplicas[id] != nil { return onReplicaRemoveFailed(id: id, reason: reason) }
        guard let i = index(name), units[i].container?.id == id else { return }
        switch units[i].state {
        case .starting:
            log(.error, name, "restart-failed", "Docker refused the restart: \(reason)", reason: reason)
            afterProcessEnded(i, clean: false, why: "restart failed: \(reason)", cause: .crash, uptime: .zero, now: now)
        case .stopping, .draining:
            // The stop (or the drain's stop) did not reach Docker: it stays asked for, and is sent
            // again once Docker's picture has been resynchronised.
            log(.error, name, "stop-failed", "Docker refused the stop: \(reason); sent again after the next resync", reason: reason)
            units[i].container?.stopUnsent = true
        default:
            log(.error, name, "action-failed", reason, reason: reason)
        }
    }

    /// Sends again the stops Docker did not take (see ``onContainerActionFailed``), once a fresh
    /// picture shows the container still there.
    mutating func retryUnsentContainerStops(now: Instant) {
        for i in units.indices {
            guard let container = units[i].container, container.stopUnsent else { continue }
            units[i].container?.stopUnsent = false
            let action: ContainerAction
            switch units[i].state {
            case .draining(_, let run):
                // A drain's `docker stop`: the time left of the drain, not the whole drain again.
                action = .stop(timeout: max(.seconds(1), run.deadline - now))
            case .stopping(let instance, let stop):
                action = stop.killSent ? .kill(signal: Signals.kill) : .stop(timeout: instance.spec.stopTimeout)
            default:
                continue
            }
            log(.notice, units[i].name, "stop-retry", "sending the stop to Docker again")
            emit(.container(unit: units[i].name, id: container.id, action))
        }
    }

    /// After a reload: container units whose `containers:` entry is gone are no longer
    /// supervised; what was asked of them is out of supervise's hands (their containers run on).
    mutating func forgetUnselectedContainers(now: Instant) {
        let keys = Set(config.containers.map(\.key))
        for u in units where u.isContainer && !keys.contains(u.container?.selectorKey ?? "") {
            // Remembered as a restarted daemon would remember it: should the entry come back, a
            // drain or stop under way is watched to its end, not started a second time.
            if let saved = persisted(u, now: now) { persistedUnseen[u.name] = saved }
            forgetContainerUnit(u.name, why: "its containers entry was removed from the configuration")
        }
    }

    mutating func forgetContainerUnit(_ name: String, why: String) {
        guard let i = index(name) else { return }
        stopProbes(i, roles: ProbeRole.allCases)
        if let id = units[i].container?.id { containerUnits[id] = nil }
        units.remove(at: i)
        reindex()
        log(.info, name, "removed", "forgotten: \(why)")
        emit(.persist)
    }
}
