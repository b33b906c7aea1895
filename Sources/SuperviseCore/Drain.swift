/// Draining: a planned stop or restart that lets live calls finish.
///
/// A drain sends exactly one signal (or one HTTP request), watches the live-call count when the
/// unit has a progress URL, and ends when the process (or container) exits, or, for an HTTP
/// drain, when the count reaches zero and the unit is then stopped. At `timeout` it is cut: the
/// unit is killed and the calls still live are counted and logged. A draining or drained unit is
/// never restarted automatically. `max_unavailable` bounds how many units of a service
/// supervise takes out at once.
extension Supervisor {
    /// Starts draining `name`; `then` says whether it stays out of service or is replaced.
    public mutating func drain(_ name: String, timeout: Duration? = nil, then: DrainThen = .stop, force: Bool = false,
                               now: Instant) -> (CommandOutcome, [Effect]) {
        guard let i = index(name) else { return (.unknownUnit(name: name, known: unitNames), []) }
        guard !shuttingDown else { return (.refused("the daemon is shutting down"), []) }
        let u = units[i]
        switch u.phase {
        case .running:
            break
        case .draining:
            return (.unchanged("\(name) is already draining (\(drainProgressText(u, now: now)))"), [])
        case .inactive where u.drained:
            return (.unchanged("\(name) is already drained; `supervise undrain \(name)` puts it back in service"), [])
        default:
            return (.refused("\(name) is \(u.phase.rawValue): only a running unit can be drained"), [])
        }
        if !force, let why = budgetRefusal(for: i) { return (.refused(why), []) }
        let limit = timeout ?? (u.spec.drain ?? .default).timeout
        beginDrain(i, timeout: limit, then: then, by: force ? "operator (forced)" : "operator", now: now)
        emit(.persist)
        reconcile(now: now)
        let outcome = CommandOutcome.accepted("draining \(name): \(drainStartText(u.spec)), deadline in \(DurationText.format(limit)), then \(then.rawValue)")
        return (outcome, drain())
    }

    /// Puts a drained unit back in service; a unit still draining starts again when its drain ends.
    public mutating func undrain(_ name: String, now: Instant) -> (CommandOutcome, [Effect]) {
        guard let i = index(name) else { return (.unknownUnit(name: name, known: unitNames), []) }
        guard !shuttingDown else { return (.refused("the daemon is shutting down"), []) }
        let u = units[i]
        let outcome: CommandOutcome
        if u.drain != nil {
            // A drain signal cannot be taken back: let the calls finish, then start a fresh one.
            mutateUnits { $0[i].drain?.then = .restart }
            outcome = .accepted("\(name) is draining; a drain cannot be called back, so it starts again as soon as its drain ends")
        } else if u.drained {
            mutateUnits {
                $0[i].drained = false
                $0[i].operatorStopped = false
                $0[i].phase = .waiting
                $0[i].reason = "undrained by operator"
            }
            outcome = .accepted("starting \(name): back in service")
        } else {
            return (.unchanged("\(name) is not drained"), [])
        }
        log(.notice, name, "operator-undrain", outcome.message)
        emit(.persist)
        reconcile(now: now)
        return (outcome, drain())
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
        units[j].phase == .draining || units[j].drain != nil || units[j].drained
            || rolling.values.contains { $0.current == units[j].name }
    }

    /// Starts draining unit `i` by its contract (the default one, a SIGTERM, when it has none),
    /// with the contract's deadline unless `timeout` overrides it.
    mutating func beginDrain(_ i: Int, timeout: Duration? = nil, then: DrainThen, by: String, now: Instant) {
        let spec = units[i].spec
        let name = spec.name
        let timeout = timeout ?? (spec.drain ?? .default).timeout
        stopProbes(i)
        mutateUnits {
            $0[i].phase = .draining
            $0[i].drain = DrainRun(startedAt: now, deadline: now + timeout, then: then, requestedBy: by)
            $0[i].reason = "draining (\(by)), then \(then.rawValue)"
        }
        let netns = drainNetworkNamespace(i)
        switch (spec.drain ?? .default).start {
        case .signal(let signal):
            if let container = units[i].container {
                // `docker stop -t DRAIN_TIMEOUT`: Docker sends the container's stop signal once and
                // waits the whole drain before SIGKILL (its 10 s default would cut calls), and marks
                // the container stopped by hand, so its own restart policy does not bring it back.
                emit(.container(unit: name, id: container.id, .stop(timeout: timeout)))
            } else if let pid = units[i].pid {
                emit(.signal(unit: name, pid: pid, signal: signal))
            }
        case .http(let url):
            emit(.drainRequest(unit: name, url: url, networkNamespacePid: netns))
        }
        startDrainProbe(i)
        log(.notice, name, "drain-start",
            "draining (\(by)): \(drainStartText(spec)); deadline in \(DurationText.format(timeout)); then \(then.rawValue)")
    }

    private func drainNetworkNamespace(_ i: Int) -> Int32? {
        units[i].isContainer && units[i].spec.drain?.network == .container ? units[i].pid : nil
    }

    /// Starts reading the live-call count, when the unit has a progress URL.
    mutating func startDrainProbe(_ i: Int) {
        guard let progress = units[i].spec.drain?.progress else { return }
        var probe = ProbeSpec(check: .http(HTTPCheck(url: progress.url)), interval: progress.interval,
                              timeout: .seconds(2), failureThreshold: 1)
        probe.keepsBody = true
        probe.networkNamespacePid = drainNetworkNamespace(i)
        let generation = takeGeneration()
        mutateUnits { $0[i].probes[.drain] = ProbeState(generation: generation) }
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
        guard let i = index(name), units[i].drain != nil else { return }
        if generation == 0, let error {
            // The HTTP drain request itself failed: the worker may not be draining at all.
            mutateUnits { $0[i].drain?.progressError = error }
            log(.error, name, "drain-request-failed", "the drain request failed: \(error); the drain deadline still applies",
                reason: error)
            return
        }
        guard units[i].probes[.drain]?.generation == generation else { return }
        mutateUnits {
            if let activeCalls { $0[i].drain?.activeCalls = activeCalls }
            $0[i].drain?.progressError = error
            $0[i].probes[.drain]?.lastResultAt = now
        }
        // An HTTP drain does not end the process: stop it once no call is live.
        if activeCalls == 0, units[i].phase == .draining, case .http? = units[i].spec.drain?.start {
            log(.info, name, "drain-empty", "no live calls left; stopping")
            stopDrained(i, signal: units[i].spec.stopSignal, now: now)
        }
    }

    /// Ends a drain by stopping the unit (no live calls left, or the deadline): `signal` to the process group.
    private mutating func stopDrained(_ i: Int, signal: Int32, now: Instant) {
        let name = units[i].name
        if let container = units[i].container {
            // Anything short of SIGKILL goes through Docker's stop, which kills after the stop
            // timeout as any container stop does: a container deaf to the signal is not left stopping.
            let action: ContainerAction = signal == Signals.kill ? .kill(signal: signal) : .stop(timeout: units[i].spec.stopTimeout)
            emit(.container(unit: name, id: container.id, action))
            mutateUnits { $0[i].phase = .stopping; $0[i].stopDeadline = nil; $0[i].killSent = signal == Signals.kill }
        } else if let pid = units[i].pid {
            emit(.signal(unit: name, pid: pid, signal: signal))
            mutateUnits {
                $0[i].phase = .stopping
                $0[i].killSent = signal == Signals.kill
                $0[i].stopDeadline = now + $0[i].spec.stopTimeout
            }
        }
    }

    /// The drain deadline passed: kill the unit, counting the calls that are cut.
    mutating func cutDrain(_ i: Int, now: Instant) {
        guard let d = units[i].drain, !d.cut else { return }
        mutateUnits { $0[i].drain?.cut = true }
        let calls = callsCutText(d)
        log(.error, units[i].name, "drain-timeout",
            "drain deadline reached after \(DurationText.format(now - d.startedAt)): killing it, \(calls)",
            reason: "drain deadline: \(calls)")
        stopDrained(i, signal: Signals.kill, now: now)
    }

    /// What a cut at the deadline drops: the live calls last read, if any were.
    private func callsCutText(_ d: DrainRun) -> String {
        d.activeCalls.map { "\($0) live call\($0 == 1 ? "" : "s") cut" } ?? "live calls unknown (no progress URL)"
    }

    /// The drained unit's process (or container) has ended.
    mutating func finishDrain(_ i: Int, exit: ExitStatus?, now: Instant) {
        guard var d = units[i].drain else { return }
        let name = units[i].name
        // A container drain is `stop?t=DRAIN_TIMEOUT`: Docker's own SIGKILL at that deadline can
        // arrive before our deadline tick. It is the same cut; count its calls as cut, not done.
        if !d.cut, now >= d.deadline, exit == .signaled(signal: Signals.kill, coreDumped: false) {
            d.cut = true
            let calls = callsCutText(d)
            log(.error, name, "drain-timeout", "drain deadline reached after \(DurationText.format(now - d.startedAt)): killed at the deadline, \(calls)",
                reason: "drain deadline: \(calls)")
        }
        stopProbes(i)
        let cut = d.cut ? d.activeCalls : 0
        let outcome = DrainOutcome(duration: now - d.startedAt, callsCut: cut, exit: exit)
        let exitText = exit.map { ", \($0)" } ?? ""
        if d.cut {
            log(.error, name, "drain-cut", "drain cut at its deadline: \(cut.map { "\($0) live calls dropped" } ?? "live calls unknown")\(exitText)",
                reason: "drain deadline", exit: exit)
        } else {
            log(.notice, name, "drain-done", "drained in \(DurationText.format(outcome.duration))\(exitText)", exit: exit)
        }
        let removed = units[i].afterStop == .remove
        mutateUnits {
            $0[i].lastDrain = outcome
            $0[i].drain = nil
            $0[i].pid = nil
            $0[i].startedAt = nil
            $0[i].stopDeadline = nil
            $0[i].killSent = false
            $0[i].afterStop = .stay
            $0[i].lastExit = exit ?? $0[i].lastExit
        }
        if removed {
            log(.info, name, "removed", "removed from the configuration")
            mutateUnits { $0.remove(at: i) }
            reindex()
            emit(.persist)
            return
        }
        switch d.then {
        case .stop:
            mutateUnits {
                $0[i].phase = .inactive
                $0[i].drained = true
                $0[i].operatorStopped = true
                $0[i].reason = "drained (\(d.requestedBy)); `supervise undrain \(name)` puts it back in service"
            }
        case .restart:
            mutateUnits { $0[i].phase = .waiting; $0[i].reason = "starting a fresh one after its drain" }
        }
        emit(.persist)
    }
}
