/// Draining: a planned stop or restart that lets live calls finish.
///
/// A drain sends exactly one signal (or one HTTP request), watches the live-call count when the
/// unit has a progress URL, and ends when the process (or container) exits, or, for an HTTP
/// drain, when the count reaches zero and the unit is then stopped. At `timeout` it is cut: the
/// unit is killed and the calls still live are counted and logged. A draining or drained unit is
/// never restarted automatically. A draining unit whose liveness probe fails its threshold is hung: it is
/// stopped with its stop timeout and its live calls are counted as cut. `max_unavailable` bounds how many units of a service
/// supervise takes out at once.
extension Supervisor {
    /// Starts draining `name`; `then` says whether it stays out of service or is replaced.
    public mutating func drain(_ name: String, timeout: Duration? = nil, then: DrainThen = .stop, force: Bool = false,
                               now: Instant) -> (CommandOutcome, [Effect]) {
        guard let i = index(name) else { return (.unknownUnit(name: name, known: unitNames), []) }
        guard !shuttingDown else { return (.refused("the daemon is shutting down"), []) }
        let u = units[i]
        switch u.state {
        case .running:
            break
        case .draining:
            return (.unchanged("\(name) is already draining (\(drainProgressText(u, now: now)))"), [])
        case .drained:
            return (.unchanged("\(name) is already drained; `supervise undrain \(name)` puts it back in service"), [])
        default:
            return (.refused("\(name) is \(u.phase.rawValue): only a running unit can be drained"), [])
        }
        if !force, let why = budgetRefusal(for: i) { return (.refused(why), []) }
        let limit = timeout ?? (u.activeSpec.drain ?? .default).timeout
        beginDrain(i, timeout: limit, then: then, by: force ? "operator (forced)" : "operator", now: now)
        reconcile(now: now)
        let outcome = CommandOutcome.accepted("draining \(name): \(drainStartText(u.activeSpec)), deadline in \(DurationText.format(limit)), then \(then.rawValue)")
        return (outcome, takeEffects())
    }

    /// Puts a drained unit back in service; a unit still draining starts again when its drain ends.
    public mutating func undrain(_ name: String, now: Instant) -> (CommandOutcome, [Effect]) {
        guard let i = index(name) else { return (.unknownUnit(name: name, known: unitNames), []) }
        guard !shuttingDown else { return (.refused("the daemon is shutting down"), []) }
        let outcome: CommandOutcome
        if units[i].drain != nil {
            // A drain signal cannot be taken back: let the calls finish, then start a fresh one.
            setDrainThen(i, .restart, now: now)
            units[i].operatorStopped = false
            outcome = .accepted("\(name) is draining; a drain cannot be called back, so it starts again as soon as its drain ends")
        } else if units[i].phase == .drained {
            units[i].operatorStopped = false
            units[i].reason = "undrained by operator"
            transition(i, to: .waiting(automatic: false), now: now)
            outcome = .accepted("starting \(name): back in service")
        } else {
            return (.unchanged("\(name) is not drained"), [])
        }
        log(.notice, name, "operator-undrain", outcome.message)
        reconcile(now: now)
        return (outcome, takeEffects())
    }

    /// Changes what follows the drain in progress (draining, or stopping after it).
    mutating func setDrainThen(_ i: Int, _ then: DrainThen, now: Instant) {
        switch units[i].state {
        case .draining(let instance, var run):
            run.then = then
            transition(i, to: .draining(instance, run), now: now)
        case .stopping(let instance, var stop) where stop.drain != nil:
            stop.drain?.then = then
            transition(i, to: .stopping(instance, stop), now: now)
        default:
            break
        }
    }

    /// Why draining unit `i` now would take its service below its availability, or nil.
    func budgetRefusal(for i: Int) -> String? {
        let service = units[i].spec.service
        let limit = units[i].spec.maxUnavailable
        let out = units.indices.filter { j in
            j != i && units[j].spec.service == service && isUnavailableByUs(j)
        }.map { units[$0].name }
        guard out.count >= limit else { return nil }
        return "refused: draining \(units[i].name) would take more than max_unavailable \(limit) unit\(limit == 1 ? "" : "s") "
            + "of service \(service) out of service (already out: \(out.joined(separator: ", "))); add --force to drain it anyway"
    }

    /// Out of service because of supervise: draining, drained, or the unit a rolling restart is waiting for.
    func isUnavailableByUs(_ j: Int) -> Bool {
        units[j].drain != nil || units[j].phase == .drained
            || rolling.values.contains { $0.current == units[j].name }
    }

    /// Starts draining running unit `i` by its instance's contract (the default one, a SIGTERM,
    /// when it has none), with the contract's deadline unless `timeout` overrides it.
    mutating func beginDrain(_ i: Int, timeout: Duration? = nil, then: DrainThen, by: String, now: Instant) {
        guard case .running(let instance) = units[i].state else { return }
        let spec = instance.spec
        let name = spec.name
        let contract = spec.drain ?? .default
        let timeout = timeout ?? contract.timeout
        units[i].reason = "draining (\(by)), then \(then.rawValue)"
        log(.notice, name, "drain-start",
            "draining (\(by)): \(drainStartText(spec)); deadline in \(DurationText.format(timeout)); then \(then.rawValue)")
        switch contract.start {
        case .signal(let signal):
            if let container = units[i].container {
                // `docker stop -t DRAIN_TIMEOUT`: Docker sends the container's stop signal once and
                // waits the whole drain before SIGKILL (its 10 s default would cut calls), and marks
                // the container stopped by hand, so its own restart policy does not bring it back.
                emit(.container(unit: name, id: container.id, .stop(timeout: timeout)))
            } else {
                emit(.signal(unit: name, pid: instance.pid, signal: signal))
            }
        case .http(let url):
            emit(.drainRequest(unit: name, url: url, networkNamespacePid: drainNetworkNamespace(i, instance)))
        }
        transition(i, to: .draining(instance, DrainRun(startedAt: now, deadline: now + timeout, then: then, requestedBy: by)), now: now)
    }

    private func drainNetworkNamespace(_ i: Int, _ instance: Instance) -> Int32? {
        units[i].isContainer && instance.spec.drain?.network == .container ? instance.pid : nil
    }

    /// Starts reading the live-call count, when the instance has a progress URL: from the moment
    /// it runs (the count is a metric and tells a scale-down which worker to drain), kept across
    /// the step from running to draining.
    mutating func startDrainProbe(_ i: Int) {
        guard let instance = units[i].state.instance, let progress = instance.spec.drain?.progress,
              (units[i].probes[.drain]?.generation ?? 0) == 0 else { return }
        var probe = ProbeSpec(check: .http(HTTPCheck(url: progress.url)), interval: progress.interval,
                              timeout: .seconds(2), failureThreshold: 1)
        probe.keepsBody = true
        probe.networkNamespacePid = drainNetworkNamespace(i, instance)
        let generation = takeGeneration()
        units[i].probes[.drain] = ProbeState(generation: generation)
        emit(.startProbe(unit: units[i].name, role: .drain, generation: generation, spec: probe))
    }

    func drainStartText(_ spec: UnitSpec) -> String {
        switch (spec.drain ?? .default).start {
        case .signal(let signal): "one \(Signals.name(signal))"
        case .http(let url): "POST \(url)"
        }
    }

    func drainProgressText(_ u: UnitRuntime, now: Instant) -> String {
        guard let d = u.drain else { return "not draining" }
        let calls = d.activeCalls.map { "\($0) live call\($0 == 1 ? "" : "s")" } ?? "live calls unknown"
        return "\(calls), \(DurationText.format(now - d.startedAt)) elapsed, deadline in \(DurationText.format(max(.zero, d.deadline - now)))"
    }

    mutating func onDrainProgress(_ name: String, generation: UInt64, activeCalls: Int?, error: String?, now: Instant) {
        guard let i = index(name) else { return }
        if generation != 0, units[i].probes[.drain]?.generation == generation, units[i].phase == .running || units[i].phase == .draining {
            units[i].liveCalls = activeCalls
        }
        guard case .draining(let instance, var run) = units[i].state else {
            if generation != 0, units[i].probes[.drain]?.generation == generation { units[i].probes[.drain]?.lastResultAt = now }
            return
        }
        if generation == 0, let error {
            // The HTTP drain request itself failed: the worker may not be draining at all.
            run.progressError = error
            transition(i, to: .draining(instance, run), now: now)
            log(.error, name, "drain-request-failed", "the drain request failed: \(error); the drain deadline still applies",
                reason: error)
            return
        }
        guard units[i].probes[.drain]?.generation == generation else { return }
        if let activeCalls { run.activeCalls = activeCalls }
        run.progressError = error
        units[i].probes[.drain]?.lastResultAt = now
        units[i].updateDrainReading(run)
        // An HTTP drain does not end the process: stop it once no call is live.
        if activeCalls == 0, case .http? = instance.spec.drain?.start {
            log(.info, name, "drain-empty", "no live calls left; stopping")
            stopDrained(i, run, signal: instance.spec.stopSignal, now: now)
        }
    }

    /// Ends a drain by stopping the unit (no live calls left, the deadline, or hung): `signal` to
    /// the process group, SIGKILL after the stop timeout. What follows is the drain's `then`.
    private mutating func stopDrained(_ i: Int, _ run: DrainRun, signal: Int32, now: Instant) {
        guard case .draining(let instance, _) = units[i].state else { return }
        let name = units[i].name
        let kill = signal == Signals.kill
        if let container = units[i].container {
            // Anything short of SIGKILL goes through Docker's stop, which kills after the stop
            // timeout as any container stop does: a container deaf to the signal is not left stopping.
            let action: ContainerAction = kill ? .kill(signal: signal) : .stop(timeout: instance.spec.stopTimeout)
            emit(.container(unit: name, id: container.id, action))
            transition(i, to: .stopping(instance, StopRun(since: now, deadline: nil, killSent: kill, then: .stay, drain: run)), now: now)
        } else {
            emit(.signal(unit: name, pid: instance.pid, signal: signal))
            let stop = StopRun(since: now, deadline: now + instance.spec.stopTimeout, killSent: kill, then: .stay, drain: run)
            transition(i, to: .stopping(instance, stop), now: now)
        }
    }

    /// The drain deadline passed: kill the unit, counting the calls that are cut.
    mutating func cutDrain(_ i: Int, now: Instant) {
        guard case .draining(_, var run) = units[i].state else { return }
        run.cut = true
        let calls = callsCutText(run, i)
        log(.error, units[i].name, "drain-timeout",
            "drain deadline reached after \(DurationText.format(now - run.startedAt)): killing it, \(calls)",
            reason: "drain deadline: \(calls)")
        stopDrained(i, run, signal: Signals.kill, now: now)
    }

    /// A draining unit failed its liveness probe: it will not finish its calls, so it is stopped
    /// with its stop signal and stop timeout rather than left to hold a shutdown for the whole
    /// drain deadline; the calls it still had count as cut.
    mutating func hungDrain(_ i: Int, reason: String, now: Instant) {
        guard case .draining(let instance, var run) = units[i].state else { return }
        run.cut = true
        run.hung = true
        let calls = callsCutText(run, i)
        log(.error, units[i].name, "drain-hung",
            "hung while draining (\(reason)): SIGKILL after its stop timeout, \(DurationText.format(instance.spec.stopTimeout)); \(calls)",
            reason: "hung drain: \(calls)")
        // The drain's own signal already went out: when it is the stop signal, it is not sent again
        // (a drain sends exactly one); only the SIGKILL after the stop timeout follows.
        let signal = instance.spec.stopSignal
        if case .signal(signal) = (instance.spec.drain ?? .default).start {
            let stop = StopRun(since: now, deadline: now + instance.spec.stopTimeout, then: .stay, drain: run)
            transition(i, to: .stopping(instance, stop), now: now)
        } else {
            stopDrained(i, run, signal: signal, now: now)
        }
    }

    /// What a cut drops: the live calls last read; unknown only when nothing was read.
    private func callsCutText(_ d: DrainRun, _ i: Int) -> String {
        if let calls = d.activeCalls { return "\(calls) live call\(calls == 1 ? "" : "s") cut" }
        return units[i].activeSpec.drain?.progress == nil ? "live calls unknown (no progress URL)"
            : "live calls unknown (no progress reading\(d.progressError.map { ": \($0)" } ?? " yet"))"
    }

    /// The drained unit's instance has ended (or ended while the daemon was down: `exit` nil).
    mutating func finishDrain(_ i: Int, _ run: DrainRun, exit: ExitStatus?, now: Instant) {
        var d = run
        let name = units[i].name
        // A container drain is `stop?t=DRAIN_TIMEOUT`: Docker's own SIGKILL at that deadline can
        // arrive before our deadline tick. It is the same cut; count its calls as cut, not done.
        if !d.cut, now >= d.deadline, exit == .signaled(signal: Signals.kill, coreDumped: false) {
            d.cut = true
            let calls = callsCutText(d, i)
            log(.error, name, "drain-timeout", "drain deadline reached after \(DurationText.format(now - d.startedAt)): killed at the deadline, \(calls)",
                reason: "drain deadline: \(calls)")
        }
        let cut = d.cut ? d.activeCalls : 0
        let outcome = DrainOutcome(duration: now - d.startedAt, callsCut: cut, exit: exit)
        let exitText = exit.map { ", \($0)" } ?? ""
        if d.cut {
            let how = d.hung == true ? "drain cut, hung" : "drain cut at its deadline"
            log(.error, name, "drain-cut", "\(how): \(cut.map { "\($0) live call\($0 == 1 ? "" : "s") dropped" } ?? "live calls unknown")\(exitText)",
                reason: d.hung == true ? "hung drain" : "drain deadline", exit: exit)
        } else {
            log(.notice, name, "drain-done", "drained in \(DurationText.format(outcome.duration))\(exitText)", exit: exit)
        }
        units[i].lastDrain = outcome
        emit(.measure(.drainEnded(unit: name, end: !d.cut ? .done : d.hung == true ? .hung : .cut, duration: outcome.duration, callsCut: cut)))
        if let exit { units[i].lastExit = exit }
        if forgetIfRetired(i) { return }
        switch d.then {
        case .stop:
            units[i].operatorStopped = true
            units[i].reason = "drained (\(d.requestedBy)); `supervise undrain \(name)` puts it back in service"
            transition(i, to: .drained, now: now)
        case .restart where shuttingDown:
            units[i].reason = "stopped for shutdown after its drain"
            transition(i, to: .inactive, now: now)
        case .restart:
            units[i].downCause = units[i].downCause ?? (d.requestedBy == "rolling restart" ? .rolling : .operator)
            units[i].reason = "starting a fresh one after its drain"
            transition(i, to: .waiting(automatic: false), now: now)
        }
    }
}
