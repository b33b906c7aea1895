import Foundation
import SuperviseCore

/// What each kind of step does to the core and the world.
extension PropRunner {
    mutating func perform(_ action: PropAction) {
        switch action {
        case .command, .drain, .undrain, .rolling, .reload, .daemonRestart, .shutdown: coreCalled = true
        default: break
        }
        switch action {
        case .advance(let ms):
            advance(to: now + .milliseconds(ms))
        case .exit(let pick, let status):
            let live = world.liveProcesses()
            guard !live.isEmpty else { return note("no live process") }
            let p = live[pick % live.count]
            let later = rng.chance(0.3)
            // A main process may leave children behind (background jobs, workers, setsid'd ones).
            let leaving: [Bool] = p.leftoverOf != nil || !rng.chance(0.3) ? [] : (0..<rng.int(1...3)).map { _ in rng.chance(0.3) }
            note("\(p.unit)#\(p.pid) ends (\(status.short))" + (later ? ", reported later" : "")
                 + (leaving.isEmpty ? "" : ", leaving \(leaving.count) process\(leaving.count == 1 ? "" : "es")"))
            world.kill(p.pid, status, later: later, leaving: leaving)
            absorb([])
        case .deliver(let pick):
            guard !world.pending.isEmpty else { return note("nothing held back") }
            deliver(pick % world.pending.count)
        case .probe(let pick, let healthy, let stale):
            let pool = (stale ? world.stoppedProbes : world.liveProbes).filter { $0.role != .drain }
            guard !pool.isEmpty else { return note("no such probe") }
            let p = pool[pick % pool.count]
            note("\(p.role.rawValue) of \(p.unit) (generation \(p.generation)) \(healthy ? "healthy" : "unhealthy")")
            let result = ProbeResult(healthy: healthy, latency: .milliseconds(3), failure: healthy ? nil : "connection refused")
            send(.probeResult(unit: p.unit, role: p.role, generation: p.generation, result: result))
        case .drainProgress(let pick, let calls):
            let live = world.liveProbes.filter { $0.role == .drain }
            let pool = live.isEmpty ? world.stoppedProbes.filter { $0.role == .drain } : live
            guard !pool.isEmpty else { return note("no drain probe") }
            let p = pool[pick % pool.count]
            note("\(p.unit) (generation \(p.generation)\(live.isEmpty ? ", stopped" : "")): " + (calls.map { "\($0) live calls" } ?? "reading failed"))
            send(.drainProgress(unit: p.unit, generation: p.generation, activeCalls: calls, error: calls == nil ? "connection refused" : nil))
        case .drainRequestFailed(let u):
            send(.drainProgress(unit: PropUniverse.allNames[u % PropUniverse.allNames.count], generation: 0, activeCalls: nil,
                                error: "connection refused"))
        case .command(let command, let u):
            let name = PropUniverse.allNames[u % PropUniverse.allNames.count]
            let (outcome, effects) = core.command(command, unit: name, now: now)
            note(Self.describe(outcome))
            if case .accepted = outcome {
                switch command {
                case .stop: watchStop(name, why: "an operator stop")
                case .start, .restart, .reset: release(name)
                }
            }
            absorb(effects)
        case .drain(let u, let then, let timeout, let force):
            let name = PropUniverse.allNames[u % PropUniverse.allNames.count]
            let (outcome, effects) = core.drain(name, timeout: timeout.map { .seconds($0) }, then: then, force: force, now: now)
            note(Self.describe(outcome))
            if case .accepted = outcome { watchStop(name, why: "a drain then stop") }
            absorb(effects)
        case .undrain(let u):
            let name = PropUniverse.allNames[u % PropUniverse.allNames.count]
            let (outcome, effects) = core.undrain(name, now: now)
            note(Self.describe(outcome))
            if case .accepted = outcome { release(name) }
            absorb(effects)
        case .rolling(let s):
            let (outcome, effects) = core.rollingRestart(service: PropUniverse.services[s % PropUniverse.services.count], now: now)
            note(Self.describe(outcome))
            absorb(effects)
        case .reload(let mask, let variants):
            reload(mask: mask, variants: variants)
        case .daemonRestart:
            guard shutdownAt == nil else { return note("not during a shutdown") }
            daemonRestart()
        case .shutdown:
            guard shutdownAt == nil else { return note("already shutting down") }
            shutDown()
        case .containerExit, .dockerStop, .dockerStart, .containerHealth, .dockerFlap:
            containerStep(action)
        }
    }

    /// After an accepted stop or drain: a unit now draining with then=stop is held (invariant 2),
    /// and any stopped unit must have no process once its stop and drain time has passed (5).
    mutating func watchStop(_ name: String, why: String) {
        let status = core.status(of: name, now: now)
        let drainThen = status?.drain?.then
        let thenStop = drainThen == DrainThen.stop.rawValue
            || (sabotage == .restartHolds && drainThen == DrainThen.restart.rawValue)
        if thenStop { held.insert(name) }
        // A drain with then=restart is no stop.
        guard why == "an operator stop" || thenStop else { return }
        let drainLeft = Duration.milliseconds(Int64((status?.drain?.deadlineInSeconds ?? 0) * 1000))
        stopWatch[name] = PropStopWatch(since: now, budget: PropUniverse.stopTimeout(name) + max(PropUniverse.drainTimeout(name), drainLeft) + Self.slack,
                                        why: why, dockerOutage: PropUniverse.replica(of: name) != nil && !world.dockerUp)
    }

    /// An operator started the unit again (or a reload changed it): it may run.
    mutating func release(_ name: String) {
        held.remove(name)
        stopWatch[name] = nil
    }

    mutating func reload(mask: UInt8, variants: UInt8) {
        let (newConfig, newMembers) = PropUniverse.config(mask: mask, variants: variants)
        for name in PropUniverse.names {
            let old = members[name], new = newMembers[name]
            if old != nil && new == nil {
                release(name)
                // Removed: it is stopped (after a drain, when it has a contract).
                let status = core.status(of: name, now: now)
                let drainLeft = Duration.milliseconds(Int64((status?.drain?.deadlineInSeconds ?? 0) * 1000))
                stopWatch[name] = PropStopWatch(since: now, budget: PropUniverse.stopTimeout(name) + max(PropUniverse.drainTimeout(name), drainLeft) + Self.slack,
                                                why: "its removal by a reload")
            } else if new != nil && old != new {
                release(name)
            }
        }
        members = newMembers
        config = newConfig
        send(.reload(newConfig))
        watchDocker()
        absorb([])
    }

    mutating func shutDown() {
        let budget = shutdownTime()
        shutdownBudget = budget
        shutdownAt = now
        note("allowed \(DurationText.format(budget))")
        send(.shutdown)
        world.prompt = true
        deliverAll()
    }

    /// The sum over units of their stop timeout and drain timeout (or what is left of a longer
    /// drain under way), and a little.
    func shutdownTime() -> Duration {
        core.status(now: now).reduce(Self.slack) { sum, s in
            let drainLeft = Duration.milliseconds(Int64((s.drain?.deadlineInSeconds ?? 0) * 1000))
            return sum + PropUniverse.stopTimeout(s.name) + max(PropUniverse.drainTimeout(s.name), drainLeft)
        }
    }

    /// The end of every history: shutdown (unless under way), every held answer delivered, the
    /// world obeys, and the allowed time passes.
    mutating func finish() {
        // Invariant 7 at least once per history (daemon restarts check it too).
        if restarts == 0 { roundTrip(core.persistedState(bootID: "boot-1", now: now)) }
        if shutdownAt == nil {
            shutDown()
            checkAfterStep()
            line("end: shutdown (SIGTERM to the daemon), then every held answer delivered")
        } else {
            deliverAll()
            checkAfterStep()
            line("end: every held answer delivered")
        }
        advance(to: shutdownAt! + shutdownBudget)
        checkAfterStep()
        if shutdownCompleteAt == nil {
            let left = core.status(now: now).filter { ["running", "starting", "stopping", "draining"].contains($0.state) }
                .map { "\($0.name) \($0.state)" }
            violate(5, "the shutdown did not complete within the sum of stop and drain timeouts",
                    "no shutdownComplete \(DurationText.format(shutdownBudget)) after the shutdown; still: \(left.joined(separator: ", "))")
        }
        checkNothingAlive("after the shutdown")
        line("end: time passes until \(DurationText.format(shutdownBudget)) after the shutdown")
    }

    mutating func daemonRestart() {
        restarts += 1
        let before = core.status(now: now)
        let saved = core.persistedState(bootID: "boot-1", now: now)
        guard let decoded = roundTrip(saved) else { return }
        // The old daemon's picture of Docker was current: no event of Docker's held back.
        let dockerInSync = world.dockerWatched && world.dockerUp
            && !world.pending.contains { if case .docker = $0 { true } else { false } }
        world.daemonKilled()
        // The shell stops what the old daemon left of units no longer configured, and hands the
        // rest to the new core.
        var alive: [String: Int32] = [:]
        var leftovers: [String: Int] = [:]
        for (name, unit) in saved.units {
            guard unit.containerID == nil, let pid = unit.pid else { continue }
            let left = world.leftovers(ofUnit: name)
            if members[name] == nil {
                // The shell stops everything of a unit no longer configured.
                for pid in [pid] + left where world.processes[pid]?.alive == true && world.processes[pid]?.unit == name {
                    world.vanish(pid)
                    note("leftover \(name)#\(pid) stopped by the shell")
                }
            } else if let p = world.processes[pid], p.alive, p.unit == name {
                alive[name] = pid
            } else if !left.isEmpty {
                leftovers[name] = left.count
            }
        }
        core = Supervisor(config: config, seed: rng.next())
        let effects = Self.bootCore(&core, now: now, persisted: sabotage == .forgetState ? nil : decoded, alive: alive,
                                    leftovers: leftovers)
        note("adopted: " + (alive.isEmpty ? "none" : alive.sorted { $0.key < $1.key }.map { "\($0.key)#\($0.value)" }.joined(separator: " ")))
        compareAcrossRestart(before: before.filter { PropUniverse.replica(of: $0.name) == nil }, after: core.status(now: now))
        // Stops are remembered across a daemon restart for unless-stopped units and drained ones only.
        for name in stopWatch.keys where members[name] != nil || PropUniverse.replica(of: name) != nil {
            if PropUniverse.policy(name) != .unlessStopped && !held.contains(name) { stopWatch[name] = nil }
            stopWatch[name]?.acrossRestart = true
        }
        absorb(effects)
        // The new shell connects to Docker and resyncs: then container units are known again.
        if world.dockerWatched && world.dockerUp {
            dockerResync()
            absorb([])
            if dockerInSync {
                compareAcrossRestart(before: before.filter { PropUniverse.replica(of: $0.name) != nil }, after: core.status(now: now),
                                     containers: true)
            }
        }
    }

    /// Invariant 7: the persisted state comes back equal through JSON; returns the decoded state.
    @discardableResult
    mutating func roundTrip(_ saved: PersistedState) -> PersistedState? {
        do {
            let data = try JSONEncoder().encode(saved)
            let decoded = try JSONDecoder().decode(PersistedState.self, from: data)
            var expected = saved
            if sabotage == .lossyState { expected = saved.forgettingTimes() }
            if decoded != expected {
                violate(7, "the persisted state does not round-trip through JSON",
                        "decoded \(decoded) differs from saved \(expected)")
            }
            return decoded
        } catch {
            violate(7, "the persisted state does not round-trip through JSON", "\(error)")
            return nil
        }
    }
}
