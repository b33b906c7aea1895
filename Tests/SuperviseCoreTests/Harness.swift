import Testing
@testable import SuperviseCore

/// `Testing` has an `ExitStatus` of its own.
typealias Exit = SuperviseCore.ExitStatus

/// Drives a `Supervisor` in virtual time and plays the shell: spawns get pids at once.
struct Harness {
    var core: Supervisor
    var now = Instant.zero
    var nextPid: Int32 = 100
    var effects: [Effect] = []
    /// Spawn order, by unit name.
    var spawns: [String] = []
    var signals: [(unit: String, signal: Int32)] = []
    var autoSpawn = true

    init(_ units: [UnitSpec], seed: UInt64 = 1) {
        core = Supervisor(config: SupervisorConfig(units: units), seed: seed)
    }

    mutating func boot(persisted: PersistedState? = nil) { absorb(core.boot(now: now, persisted: persisted)) }

    mutating func send(_ event: Event) { absorb(core.handle(event, now: now)) }

    @discardableResult
    mutating func command(_ c: OperatorCommand, _ name: String) -> CommandOutcome {
        let (outcome, fx) = core.command(c, unit: name, now: now)
        absorb(fx)
        return outcome
    }

    /// Moves virtual time forward, firing each due timer at its own instant.
    mutating func advance(_ d: Duration) {
        let end = now + d
        while let next = core.nextDeadline, next <= end {
            now = max(now, next)
            send(.tick)
        }
        now = end
    }

    mutating func absorb(_ fx: [Effect]) {
        var queue = fx
        while !queue.isEmpty {
            let e = queue.removeFirst()
            effects.append(e)
            switch e {
            case .spawn(let spec):
                spawns.append(spec.name)
                if autoSpawn {
                    nextPid += 1
                    queue.append(contentsOf: core.handle(.spawned(unit: spec.name, pid: nextPid), now: now))
                }
            case .signal(let unit, _, let sig):
                signals.append((unit, sig))
            default: break
            }
        }
    }

    func pid(_ name: String) -> Int32? { core.unit(name)?.pid }
    func phase(_ name: String) -> UnitPhase? { core.unit(name)?.phase }

    /// The process of `name` exits with `status`.
    mutating func exit(_ name: String, _ status: Exit) {
        guard let pid = pid(name) else {
            Issue.record("\(name) has no process to exit (it is \(phase(name).map { "\($0)" } ?? "unknown"))")
            return
        }
        send(.exited(unit: name, pid: pid, status: status))
    }

    /// Reasons carried by log records, in order.
    var logReasons: [String] {
        effects.compactMap { if case .log(let r) = $0 { return r.reason } else { return nil } }
    }

    var logEvents: [String] {
        effects.compactMap { if case .log(let r) = $0 { return "\(r.unit ?? "-"):\(r.event)" } else { return nil } }
    }
}

func unit(_ name: String, policy: RestartPolicy = .always, jitter: Double = 0, burst: Int = 100,
          interval: Duration = .seconds(10), dependsOn: [DependencySpec] = [], resetAfter: Duration = .seconds(10)) -> UnitSpec {
    var restart = RestartSettings.default
    restart.policy = policy
    restart.backoff.jitter = jitter
    restart.backoff.resetAfter = resetAfter
    restart.startLimit = StartLimit(burst: burst, interval: interval)
    return UnitSpec(name: name, command: ["/bin/sleep", "1000"], restart: restart, dependsOn: dependsOn)
}
