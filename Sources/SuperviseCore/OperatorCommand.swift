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
        return (outcome, drain())
    }

    private mutating func clearFailure(_ i: Int) {
        mutateUnits { units in
            units[i].streak = 0
            units[i].startHistory = []
            units[i].restartAt = nil
            units[i].operatorStopped = false
            units[i].automaticRestartPending = false
        }
    }

    private mutating func operatorStart(_ i: Int, now: Instant) -> CommandOutcome {
        let u = units[i]
        if u.drained {
            mutateUnits { $0[i].drained = false }
        }
        switch u.phase {
        case .draining:
            mutateUnits { $0[i].drain?.then = .restart }
            return .accepted("\(u.name) is draining; it starts again as soon as its drain ends")
        case .running, .starting: return .unchanged("\(u.name) is already running")
        case .stopping: return .refused("\(u.name) is stopping; try again when it has stopped, or use restart")
        case .waiting: return .unchanged("\(u.name) is already starting (\(u.reason ?? "waiting"))")
        case .inactive, .exited, .failed, .backoff:
            clearFailure(i)
            mutateUnits { $0[i].phase = .waiting; $0[i].reason = "started by operator" }
            return .accepted("starting \(u.name)")
        }
    }

    private mutating func operatorStop(_ i: Int, now: Instant) -> CommandOutcome {
        let u = units[i]
        mutateUnits { $0[i].operatorStopped = true }
        switch u.phase {
        case .running where u.spec.drain != nil:
            beginDrain(i, then: .stop, by: "operator stop", now: now)
            return .accepted("draining \(u.name) before it stops (\(drainStartText(u.spec)), deadline in \(DurationText.format(u.spec.drain!.timeout)))")
        case .draining:
            mutateUnits { $0[i].drain?.then = .stop }
            return .accepted("\(u.name) is draining; it stays stopped when its drain ends")
        case .running:
            mutateUnits { $0[i].afterStop = .stay; $0[i].reason = "stopped by operator" }
            beginStop(i, now: now, why: "operator stop")
            return .accepted("stopping \(u.name)")
        case .starting:
            return .accepted("\(u.name) will be stopped as soon as it has started")
        case .stopping:
            mutateUnits { $0[i].afterStop = .stay }
            return .accepted("\(u.name) is already stopping; it will stay stopped")
        case .waiting, .backoff, .exited, .failed:
            mutateUnits { $0[i].phase = .inactive; $0[i].restartAt = nil; $0[i].reason = "stopped by operator" }
            return .accepted("\(u.name) stopped (it was \(u.phase.rawValue))")
        case .inactive:
            return .unchanged("\(u.name) is already stopped")
        }
    }

    private mutating func operatorRestart(_ i: Int, now: Instant) -> CommandOutcome {
        let u = units[i]
        clearFailure(i)
        switch u.phase {
        case .running where u.spec.drain != nil:
            beginDrain(i, then: .restart, by: "operator restart", now: now)
            return .accepted("draining \(u.name), then starting a fresh one (\(drainStartText(u.spec)), deadline in \(DurationText.format(u.spec.drain!.timeout)))")
        case .draining:
            mutateUnits { $0[i].drain?.then = .restart }
            return .accepted("\(u.name) is draining; a fresh one starts when its drain ends")
        case .running:
            mutateUnits { $0[i].afterStop = .start; $0[i].reason = "restart requested by operator" }
            beginStop(i, now: now, why: "operator restart")
            return .accepted("restarting \(u.name)")
        case .stopping:
            mutateUnits { $0[i].afterStop = .start }
            return .accepted("\(u.name) is stopping; it will start again")
        case .starting:
            return .unchanged("\(u.name) is starting")
        case .waiting, .inactive, .exited, .failed, .backoff:
            mutateUnits { $0[i].phase = .waiting; $0[i].reason = "restarted by operator" }
            return .accepted("starting \(u.name) (it was \(u.phase.rawValue))")
        }
    }

    private mutating func operatorReset(_ i: Int, now: Instant) -> CommandOutcome {
        let u = units[i]
        let wasStopped = u.operatorStopped
        clearFailure(i)
        mutateUnits { $0[i].restarts = 0; $0[i].operatorStopped = wasStopped }
        if u.phase == .failed || u.phase == .backoff {
            mutateUnits { $0[i].phase = .waiting; $0[i].reason = "reset by operator" }
            return .accepted("reset \(u.name): counters cleared, starting it")
        }
        return .accepted("reset \(u.name): restart counters and start limit cleared")
    }
}
