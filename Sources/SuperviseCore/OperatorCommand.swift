/// What an operator can ask of one unit.
public enum OperatorCommand: String, Sendable, Codable, CaseIterable {
    case start, stop, restart, reset
}

/// The answer to an operator command.
public enum CommandOutcome: Sendable, Equatable {
    /// Done or under way; the message says what happened.
    case accepted(String)
    /// Nothing to do; the message says why.
    case unchanged(String)
    /// No such unit; lists the names that exist.
    case unknownUnit(name: String, known: [String])
    /// Refused in this state (for example during shutdown).
    case refused(String)

    public var message: String {
        switch self {
        case .accepted(let m), .unchanged(let m), .refused(let m): m
        case .unknownUnit(let name, let known):
            "no unit named \"\(name)\"; units: " + (known.isEmpty ? "(none)" : known.joined(separator: ", "))
        }
    }
}

extension Supervisor {
    /// Applies an operator command to the unit called `name`.
    public mutating func command(_ command: OperatorCommand, unit name: String, now: Instant) -> (CommandOutcome, [Effect]) {
        guard let i = index(name) else { return (.unknownUnit(name: name, known: unitNames), []) }
        guard !shuttingDown else { return (.refused("the daemon is shutting down"), []) }
        let outcome: CommandOutcome
        switch command {
        case .start: outcome = operatorStart(i, now: now)
        case .stop: outcome = operatorStop(i, now: now)
        case .restart: outcome = operatorRestart(i, now: now)
        case .reset: outcome = operatorReset(i, now: now)
        }
        if case .accepted = outcome {
            log(.notice, name, "operator-\(command.rawValue)", outcome.message)
            emit(.persist)
        }
        reconcile(now: now)
        return (outcome, takeEffects())
    }

    private mutating func clearFailure(_ i: Int) {
        units[i].streak = 0
        units[i].startHistory = []
        units[i].operatorStopped = false
    }

    /// Sets what follows the stop in progress (the drain's `then`, after a drain).
    mutating func setStopThen(_ i: Int, _ then: AfterStop, now: Instant) {
        guard case .stopping(let instance, var stop) = units[i].state else { return }
        if stop.drain != nil { return setDrainThen(i, then == .stay ? .stop : .restart, now: now) }
        stop.then = then
        transition(i, to: .stopping(instance, stop), now: now)
    }

    private mutating func operatorStart(_ i: Int, now: Instant) -> CommandOutcome {
        let u = units[i]
        switch u.state {
        case .draining:
            units[i].operatorStopped = false
            setDrainThen(i, .restart, now: now)
            return .accepted("\(u.name) is draining; it starts again as soon as its drain ends")
        case .running:
            return .unchanged("\(u.name) is already running")
        case .starting(var run):
            guard run.then != nil else { return .unchanged("\(u.name) is already starting") }
            units[i].operatorStopped = false
            run.then = nil
            transition(i, to: .starting(run), now: now)
            return .accepted("\(u.name) is starting; the stop asked for meanwhile is called off")
        case .stopping:
            units[i].operatorStopped = false
            setStopThen(i, .start, now: now)
            return .accepted("\(u.name) is stopping; it starts again as soon as it has stopped")
        case .waiting:
            return .unchanged("\(u.name) is already starting (\(u.reason ?? "waiting"))")
        case .inactive, .exited, .failed, .backoff, .drained:
            clearFailure(i)
            units[i].reason = "started by operator"
            transition(i, to: .waiting(automatic: false), now: now)
            return .accepted("starting \(u.name)")
        }
    }

    private mutating func operatorStop(_ i: Int, now: Instant) -> CommandOutcome {
        let u = units[i]
        switch u.state {
        case .running(let instance) where instance.spec.drain != nil:
            units[i].operatorStopped = true
            beginDrain(i, then: .stop, by: "operator stop", now: now)
            return .accepted("draining \(u.name) before it stops (\(drainStartText(instance.spec)), deadline in \(DurationText.format(instance.spec.drain!.timeout)))")
        case .draining:
            units[i].operatorStopped = true
            setDrainThen(i, .stop, now: now)
            return .accepted("\(u.name) is draining; it stays stopped when its drain ends")
        case .running:
            units[i].operatorStopped = true
            units[i].reason = "stopped by operator"
            beginStop(i, then: .stay, why: "operator stop", now: now)
            return .accepted("stopping \(u.name)")
        case .starting:
            units[i].operatorStopped = true
            beginStop(i, then: .stay, why: "operator stop", now: now)
            return .accepted("\(u.name) will be stopped as soon as it has started")
        case .stopping:
            units[i].operatorStopped = true
            setStopThen(i, .stay, now: now)
            return .accepted("\(u.name) is already stopping; it will stay stopped")
        case .waiting, .backoff, .exited, .failed:
            units[i].operatorStopped = true
            units[i].reason = "stopped by operator"
            transition(i, to: .inactive, now: now)
            // A container waiting for its restart (unhealthy, or given up) may still run: stop it.
            if let container = units[i].container, container.runningPid != nil {
                emit(.container(unit: u.name, id: container.id, .stop(timeout: u.spec.stopTimeout)))
            }
            return .accepted("\(u.name) stopped (it was \(u.phase.rawValue))")
        case .inactive, .drained:
            return .unchanged("\(u.name) is already stopped")
        }
    }

    private mutating func operatorRestart(_ i: Int, now: Instant) -> CommandOutcome {
        let u = units[i]
        clearFailure(i)
        switch u.state {
        case .running(let instance) where instance.spec.drain != nil:
            beginDrain(i, then: .restart, by: "operator restart", now: now)
            return .accepted("draining \(u.name), then starting a fresh one (\(drainStartText(instance.spec)), deadline in \(DurationText.format(instance.spec.drain!.timeout)))")
        case .draining:
            setDrainThen(i, .restart, now: now)
            return .accepted("\(u.name) is draining; a fresh one starts when its drain ends")
        case .running:
            units[i].reason = "restart requested by operator"
            units[i].downCause = .operator
            beginStop(i, then: .start, why: "operator restart", now: now)
            return .accepted("restarting \(u.name)")
        case .stopping:
            setStopThen(i, .start, now: now)
            return .accepted("\(u.name) is stopping; it will start again")
        case .starting(var run):
            guard run.then != nil else { return .unchanged("\(u.name) is starting") }
            run.then = .start
            transition(i, to: .starting(run), now: now)
            return .accepted("\(u.name) is starting; it is stopped as soon as it has started, then started again")
        case .waiting, .inactive, .exited, .failed, .backoff, .drained:
            units[i].reason = "restarted by operator"
            transition(i, to: .waiting(automatic: false), now: now)
            return .accepted("starting \(u.name) (it was \(u.phase.rawValue))")
        }
    }

    private mutating func operatorReset(_ i: Int, now: Instant) -> CommandOutcome {
        let u = units[i]
        let wasStopped = u.operatorStopped
        clearFailure(i)
        units[i].restarts = 0
        units[i].operatorStopped = wasStopped
        switch u.state {
        case .failed, .backoff:
            units[i].reason = "reset by operator"
            transition(i, to: .waiting(automatic: false), now: now)
            return .accepted("reset \(u.name): counters cleared, starting it")
        default:
            return .accepted("reset \(u.name): restart counters and start limit cleared")
        }
    }
}
