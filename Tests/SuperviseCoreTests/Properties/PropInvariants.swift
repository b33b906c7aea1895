import SuperviseCore

/// The invariants, numbered as in the report:
/// 1. at most one status entry per unit name, and at most one live process per unit name;
/// 2. a unit drained with then=stop is not spawned again until an operator start, restart,
///    undrain or reset of it, or a reload that removes (and re-adds) or changes it;
/// 3. a drain sends exactly one drain signal or one drain request to the process it drains
///    (SIGKILL at the deadline, and the stop signal after an HTTP drain emptied, allowed);
/// 4. no unit is spawned while one of its dependencies does not meet its condition;
/// 5. every live process can be stopped: a shutdown completes within the sum of stop and drain
///    timeouts and leaves no process alive, and a unit stopped by an operator (or removed by a
///    reload) has no live process once its stop and drain time has passed;
/// 6. a daemon restart resets no start-limit count, backoff, failure or drain;
/// 7. the persisted state round-trips through JSON.
extension PropRunner {
    /// Invariants 2 and 4, when the core asks for a spawn (in the state it asked from: the world
    /// has not answered any effect of the batch yet).
    mutating func checkSpawn(_ spec: UnitSpec) {
        checkSpawn(spec.name)
        checkDependencies(spec)
    }

    /// Invariant 2 for a spawn or a container restart of `name`.
    mutating func checkSpawn(_ name: String) {
        if held.contains(name) {
            violate(2, "a unit drained with then=stop was spawned again",
                    "\(name) spawned (or its container restarted) though drained with then=stop and not started again by anyone")
        }
    }

    /// Invariant 4.
    mutating func checkDependencies(_ spec: UnitSpec) {
        for dep in spec.dependsOn {
            let s = core.status(of: dep.name, now: now)
            var condition = dep.condition
            if sabotage == .startedMeansCompleted && condition == .started { condition = .completedSuccessfully }
            let met: Bool
            switch condition {
            case .started:
                met = s?.state == "running"
            case .healthy:
                met = s?.state == "running" && (s?.health == nil || s?.health == "healthy")
            case .completedSuccessfully:
                met = s.map { !["running", "starting", "stopping", "draining"].contains($0.state) && $0.lastExit == "0" } ?? false
            }
            if !met {
                let seen = s.map { "\($0.state)\($0.pid.map { " (pid \($0))" } ?? ""), health \($0.health ?? "-"), last exit \($0.lastExit ?? "-")" } ?? "absent"
                violate(4, "spawned while a dependency's condition \(condition.rawValue) is not met",
                        "\(spec.name) spawned while \(dep.name) is \(seen)")
            }
        }
    }

    /// Invariant 3 for one batch of effects: signals, drain requests and container actions to
    /// processes and containers under a drain.
    mutating func classifyDrains(_ signals: [PropSignal], _ requests: [String], _ actions: [PropContainerAction]) {
        var statuses: [String: UnitStatus] = [:]
        for name in Set(signals.map { $0.unit } + requests + actions.map { $0.unit }) {
            classified.insert(name)
            if let s = core.status(of: name, now: now) { statuses[name] = s }
        }
        markDrains(Array(statuses.values))
        var counted: [Int32] = []
        let times = sabotage == .doubleCount ? 2 : 1
        for s in signals {
            guard world.drains[s.pid] != nil, let p = world.processes[s.pid], s.signal != Signals.kill else { continue }
            switch PropUniverse.drainStart(p.unit) {
            case .signal(let drainSignal) where s.signal == drainSignal:
                world.drains[s.pid]?.starts += times
                counted.append(s.pid)
            case .http where s.signal == PropUniverse.stopSignal(p.unit):
                break
            default:
                violate(3, "a signal other than the drain signal, the stop signal after an HTTP drain, or SIGKILL during a drain",
                        "\(Signals.name(s.signal)) to \(p.unit)#\(s.pid) while it drains")
            }
        }
        for a in actions {
            guard let pid = a.pid, world.drains[pid] != nil else { continue }
            switch (a.action, PropUniverse.drainStart(a.unit)) {
            case (.kill(let signal), _) where signal == Signals.kill:
                break
            case (.stop, .signal):
                world.drains[pid]?.starts += times
                counted.append(pid)
            case (.stop, .http):
                break
            default:
                violate(3, "a container action other than the drain's stop, the stop after an HTTP drain, or a kill during a drain",
                        "\(a.action) for \(a.unit)#\(pid) while it drains")
            }
        }
        for unit in requests {
            guard let pid = statuses[unit]?.pid, world.drains[pid] != nil else {
                violate(3, "a drain request outside a drain", "drain request for \(unit), which is not draining a process")
                continue
            }
            world.drains[pid]?.starts += times
            counted.append(pid)
        }
        for pid in counted {
            guard let n = world.drains[pid]?.starts, n > 1 else { continue }
            violate(3, "more than one drain signal or request to one process",
                    "\(n) drain signals/requests/stops to \(world.runs[pid] ?? "?")#\(pid)")
        }
    }

    /// Marks the process or container runs the core says are draining.
    mutating func markDrains(_ statuses: [UnitStatus]) {
        for s in statuses where s.drain != nil {
            guard let pid = s.pid, world.drains[pid] == nil, world.runs[pid] == s.name else { continue }
            world.drains[pid] = PropDrainTally()
        }
    }

    /// Invariants 1, 3 (a drain without its signal), and 5 (time limits), after every step.
    mutating func checkAfterStep() {
        defer {
            touched.removeAll(keepingCapacity: true)
            classified.removeAll(keepingCapacity: true)
            coreCalled = false
        }
        let unitNames = coreCalled ? core.unitNames : []
        if Set(unitNames).count != unitNames.count {
            let statuses = core.status(now: now)
            var names: [String: Int] = [:]
            for s in statuses { names[s.name, default: 0] += 1 }
            for (name, n) in names where n > 1 {
                violate(1, "two status entries for one unit", "\(n) status entries for \(name): "
                        + statuses.filter { $0.name == name }.map { "\($0.state)\($0.pid.map { " #\($0)" } ?? "")" }.joined(separator: ", "))
            }
        }
        // What a main process left is checked when the next one starts (``startProcess``): the
        // rest of the unit may outlive its main process, never the start of a new one.
        let live = world.liveProcesses().filter { $0.leftoverOf == nil }
        if Set(live.map { $0.unit }).count != live.count {
            var byUnit: [String: [Int32]] = [:]
            for p in live { byUnit[p.unit, default: []].append(p.pid) }
            for (unit, pids) in byUnit where pids.count > 1 {
                violate(1, "two live processes of one unit", "\(unit) has live processes \(pids.map { "#\($0)" }.joined(separator: ", "))")
            }
        }
        // A drain under way in a unit the step touched (a unit none of the step's effects names
        // has not changed).
        for name in touched where !classified.contains(name) {
            // Only a unit with a live process not yet known to drain can have begun a drain unseen.
            guard world.livePids(of: name).contains(where: { world.drains[$0] == nil }),
                  let s = core.status(of: name, now: now), s.drain != nil,
                  let pid = s.pid, world.liveUnit(of: pid) == name else { continue }
            let tally = world.drains[pid] ?? PropDrainTally()
            world.drains[pid] = tally
            guard tally.starts == 0, !tally.reported else { continue }
            world.drains[pid]?.reported = true
            violate(3, "a drain without its drain signal or request", "\(name)#\(pid) is draining but was sent no drain signal or request")
        }
        for (name, w) in stopWatch where now > w.since + w.budget {
            let container = PropUniverse.replica(of: name) != nil
            if container && !world.dockerUp { continue }
            let pids = world.livePids(of: name)
            guard !pids.isEmpty else { continue }
            violate(5, "a process still alive long after \(w.why)" + (w.acrossRestart ? " and a daemon restart" : "")
                    + (container ? " (a container\(w.dockerOutage ? ", and Docker was unreachable meanwhile" : ""))" : ""),
                    "\(name) has live process \(pids.map { "#\($0)" }.joined(separator: ", ")) \(DurationText.format(now - w.since)) after \(w.why) at t=\(Self.time(w.since)) (allowed \(DurationText.format(w.budget)))")
        }
        if let at = shutdownAt, shutdownCompleteAt == nil, now > at + shutdownBudget {
            violate(5, "the shutdown did not complete within the sum of stop and drain timeouts",
                    "no shutdownComplete \(DurationText.format(now - at)) after the shutdown (allowed \(DurationText.format(shutdownBudget)))")
        }
    }

    /// Invariant 5: nothing the world runs for a unit outlives the shutdown.
    mutating func checkNothingAlive(_ when: String) {
        let live = world.liveProcesses()
        guard !live.isEmpty else { return }
        violate(5, "a process left alive after the shutdown",
                "live \(when): " + live.map { "\($0.unit)#\($0.pid)\($0.deaf ? " (deaf)" : "")" }.joined(separator: ", "))
    }

    /// Invariant 6: each unit's status just before and just after a daemon restart (at the same instant).
    /// Container units are compared after the new daemon's Docker resync; their restart in
    /// flight (`starting`) is made again, and counted again.
    mutating func compareAcrossRestart(before: [UnitStatus], after: [UnitStatus], containers: Bool = false) {
        for b in before where members[b.name] != nil || containers {
            guard let a = after.first(where: { $0.name == b.name }) else {
                violate(6, "a configured unit is missing after the restart", "\(b.name) (\(b.state)) is gone")
                continue
            }
            let started = (b.state == "waiting" || (containers && b.state == "starting")) && a.restarts == b.restarts + 1
            if a.restarts != b.restarts && !started {
                violate(6, "the restart count changed", "\(b.name): \(b.restarts) restarts before, \(a.restarts) after (\(b.state) → \(a.state))")
            }
            if a.backoffAttempt != b.backoffAttempt {
                violate(6, "the backoff attempt changed", "\(b.name): attempt \(b.backoffAttempt) before, \(a.backoffAttempt) after (\(b.state) → \(a.state))")
            }
            if b.state == "failed" && a.state != "failed" {
                violate(6, "a failed unit is no longer failed", "\(b.name): failed → \(a.state)")
            }
            // (A unit with a process is not drained, whatever its status says.)
            if b.state == "drained" && b.pid == nil && a.state != "drained" {
                violate(6, "a drained unit is no longer drained", "\(b.name): drained → \(a.state)")
            }
            if b.state == "backoff" {
                let kept = a.state == "backoff" && abs((a.nextRestartInSeconds ?? -1) - (b.nextRestartInSeconds ?? -2)) < 0.001
                if !kept {
                    violate(6, "a backoff was lost or changed",
                            "\(b.name): backoff with \(b.nextRestartInSeconds ?? -1)s left → \(a.state)\(a.nextRestartInSeconds.map { " with \($0)s left" } ?? "")")
                }
            }
            if let d = b.drain, let pid = b.pid, world.processes[pid]?.alive == true {
                let kept = a.drain.map { abs($0.deadlineInSeconds - d.deadlineInSeconds) < 0.001 && $0.then == d.then } ?? false
                if !kept || a.pid != pid {
                    violate(6, "a drain of a live process was lost or changed",
                            "\(b.name)#\(pid): draining (then \(d.then), deadline in \(d.deadlineInSeconds)s) → \(a.state)"
                            + (a.drain.map { " (then \($0.then), deadline in \($0.deadlineInSeconds)s)" } ?? "") + (a.pid.map { " #\($0)" } ?? ""))
                }
            }
        }
    }
}
