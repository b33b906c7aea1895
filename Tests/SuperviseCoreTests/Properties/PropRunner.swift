import Foundation
import SuperviseCore

/// An invariant that broke, where, and how.
struct PropViolation: Sendable, Equatable {
    var invariant: Int
    /// What broke, without names or numbers: failures with the same key are the same failure.
    var kind: String
    /// What happened this time, with names, pids and times.
    var detail: String
    /// The step index; -1 for the boot, `steps.count` for the final shutdown.
    var step: Int

    var key: String { "invariant \(invariant): \(kind)" }
}

/// What running one history gave.
struct PropOutcome: Sendable {
    var violations: [PropViolation]
    /// One line per step, when traced.
    var trace: [String]
}

/// A deliberate break of the world model or of a check, to show that an invariant can fail
/// (`SUPERVISE_PROPERTY_SABOTAGE=name`). Never on in a normal run.
enum PropSabotage: String, Sendable, CaseIterable {
    case none
    /// Invariant 1: every successful spawn also starts a second, unreported process of the unit.
    case twinSpawn
    /// Invariant 2: a drain with then=restart is taken for one with then=stop.
    case restartHolds
    /// Invariant 3: every drain signal or request is counted twice.
    case doubleCount
    /// Invariant 3: signals and drain requests go unseen by the check (the world still obeys them).
    case silentDrains
    /// Invariant 4: a dependency with condition `started` is checked as `completed`.
    case startedMeansCompleted
    /// Invariant 5: processes that ignore their stop signal ignore SIGKILL too.
    case deafToKill
    /// Invariant 6: the new daemon boots without the persisted state.
    case forgetState
    /// Invariant 7: the decoded state is compared with the saved one less its start history.
    case lossyState

    /// The invariant this break must make fail.
    var invariant: Int {
        switch self {
        case .none: 0
        case .twinSpawn: 1
        case .restartHolds: 2
        case .doubleCount, .silentDrains: 3
        case .startedMeansCompleted: 4
        case .deafToKill: 5
        case .forgetState: 6
        case .lossyState: 7
        }
    }
}

/// A unit stopped by an operator or removed by a reload: it must have no live process once
/// `budget` has passed since `since`.
struct PropStopWatch {
    var since: Instant
    var budget: Duration
    var why: String
    /// A daemon restart came in between.
    var acrossRestart = false
    /// The Docker API was unreachable in between (a container unit's stop is timed from its return).
    var dockerOutage = false
}

/// A signal the core sent (a tuple would cost generic metadata look-ups in a debug build).
struct PropSignal {
    var unit: String
    var pid: Int32
    var signal: Int32
}

/// A container action the core asked for, and the run of the container it met (its pid).
struct PropContainerAction {
    var unit: String
    var pid: Int32?
    var action: ContainerAction
}

enum PropStop {
    case never
    /// At the first violation.
    case first
    /// At the first violation with this key.
    case key(String)
}

/// Runs one history: the core, the world that plays its shell, and the invariants, checked
/// after every step.
struct PropRunner {
    let history: PropHistory
    let sabotage: PropSabotage
    /// When to stop early (the shrinker needs no more than the violation it looks for).
    let stop: PropStop
    var core: Supervisor
    var world = PropWorld()
    var now = Instant.zero
    /// The current configuration: unit name → variant.
    var members: [String: Int]
    var config: SupervisorConfig
    var violations: [PropViolation] = []
    var seen: Set<String> = []
    var step = -1
    var rng = PropRNG(seed: 0)
    let tracing: Bool
    var trace: [String] = []
    var notes: [String] = []
    /// Units named by an effect (log records included) since the last check: the only ones
    /// whose status can have changed.
    var touched: Set<String> = []
    /// Units whose status was read for a batch with signals or drain requests since the last check.
    var classified: Set<String> = []
    /// The core was called since the last check (if not, no unit was added or changed).
    var coreCalled = true

    // Invariant 2: units drained with then=stop, not to be spawned until an operator or a reload says so.
    var held: Set<String> = []
    // Invariant 5: units an operator stopped (or a reload removed): since when, and how long it may take.
    var stopWatch: [String: PropStopWatch] = [:]
    var shutdownAt: Instant?
    var shutdownBudget: Duration = .zero
    var shutdownCompleteAt: Instant?
    var restarts = 0

    static let slack = Duration.seconds(1)

    init(_ history: PropHistory, trace: Bool, sabotage: PropSabotage, stop: PropStop) {
        self.history = history
        self.sabotage = sabotage
        self.stop = stop
        tracing = trace
        let (config, members) = PropUniverse.config(mask: history.initialMask, variants: history.initialVariants)
        self.config = config
        self.members = members
        core = Supervisor(config: config, seed: history.seed)
        // Docker runs the agent replicas whatever supervise does.
        var dockerRNG = PropRNG(seed: history.seed &+ 0xD0C)
        for replica in PropUniverse.replicas {
            let pid = world.takePid()
            world.runs[pid] = PropUniverse.containerUnit(replica)
            world.containers.append(PropContainer(id: "agent\(replica)" + String(repeating: "0", count: 58), replica: replica,
                                                  pid: pid, deaf: dockerRNG.chance(0.25)))
        }
    }

    static func run(_ history: PropHistory, trace: Bool = false, sabotage: PropSabotage = .none, stop: PropStop = .never) -> PropOutcome {
        var r = PropRunner(history, trace: trace, sabotage: sabotage, stop: stop)
        r.rng = PropRNG(seed: history.seed &+ 0x5EED)
        r.absorb(bootCore(&r.core, now: r.now, persisted: nil, alive: [:]))
        r.watchDocker()
        r.absorb([])
        r.checkAfterStep()
        r.line("boot: " + PropUniverse.describe(r.config, r.members))
        for (i, s) in history.steps.enumerated() {
            if r.done { break }
            r.step = i
            r.rng = PropRNG(seed: s.salt)
            r.perform(s.action)
            r.checkAfterStep()
            r.line("\(i + 1). " + s.action.text)
        }
        if !r.done {
            r.step = history.steps.count
            r.rng = PropRNG(seed: history.seed &+ 0xF1A1)
            r.finish()
        }
        return PropOutcome(violations: r.violations, trace: r.trace)
    }

    /// The only call of `Supervisor.boot` in the property tests (its `alive` may change shape):
    /// `alive` maps each unit whose saved process still runs to that pid.
    /// `leftovers`: units whose saved process ended but left processes of the unit, by count.
    static func bootCore(_ core: inout Supervisor, now: Instant, persisted: PersistedState?,
                         alive: [String: Int32], leftovers: [String: Int] = [:]) -> [Effect] {
        core.boot(now: now, persisted: persisted, alive: Set(alive.keys), leftovers: leftovers)
    }

    var done: Bool {
        switch stop {
        case .never: false
        case .first: !violations.isEmpty
        case .key(let key): violations.contains { $0.key == key }
        }
    }

    // MARK: - Recording

    mutating func violate(_ invariant: Int, _ kind: String, _ detail: String) {
        let v = PropViolation(invariant: invariant, kind: kind, detail: "t=\(Self.time(now)): " + detail, step: step)
        guard seen.insert(v.key).inserted else { return }
        if tracing { notes.append("!! VIOLATION of invariant \(invariant): \(kind)") }
        violations.append(v)
    }

    mutating func note(_ text: @autoclosure () -> String) {
        if tracing { notes.append(text()) }
    }

    mutating func line(_ head: String) {
        guard tracing else { return }
        trace.append("t=\(Self.time(now)) \(head)" + (notes.isEmpty ? "" : " → " + notes.joined(separator: "; ")))
        notes.removeAll()
    }

    static func time(_ t: Instant) -> String {
        let ms = t.nanoseconds / 1_000_000
        return "\(ms / 1000).\(String(format: "%03d", Int(ms % 1000)))s"
    }

    static func describe(_ outcome: CommandOutcome) -> String {
        switch outcome {
        case .accepted(let m): "accepted: \(m)"
        case .unchanged(let m): "unchanged: \(m)"
        case .refused(let m): "refused: \(m)"
        case .unknownUnit(let name, _): "no unit \(name)"
        }
    }

    // MARK: - Driving the core

    mutating func send(_ event: Event) {
        coreCalled = true
        absorb(core.handle(event, now: now))
    }

    /// Carries out effects, then feeds the events the world answered with, in order, until quiet.
    mutating func absorb(_ effects: [Effect]) {
        perform(effects)
        while !world.immediate.isEmpty {
            let event = world.immediate.removeFirst()
            fed(event)
            coreCalled = true
            perform(core.handle(event, now: now))
        }
    }

    /// Bookkeeping when the world tells the core something.
    mutating func fed(_ event: Event) {
        switch event {
        case .spawned(let unit, _, _):
            // A stop asked while the spawn was in flight counts from when the process is known.
            stopWatch[unit]?.since = now
        case .spawnFailed(let unit, _): note("\(unit)'s spawn failed")
        case .exited(let unit, let pid, let status, let remaining, _):
            note("\(unit)#\(pid) exit reported (\(status.short))" + (remaining > 0 ? ", \(remaining) left" : ""))
        case .remaining(let unit, let pid, let count): note("\(unit)#\(pid): \(count) left")
        default: break
        }
    }

    /// Carries out one batch of effects (what one call of the core returned).
    mutating func perform(_ effects: [Effect]) {
        var signals: [PropSignal] = []
        var requests: [String] = []
        var actions: [PropContainerAction] = []
        var completed = false
        for effect in effects {
            switch effect {
            case .spawn(let spec): touched.insert(spec.name)
            case .signal(let unit, _, _), .drainRequest(let unit, _, _), .startProbe(let unit, _, _, _),
                 .stopProbe(let unit, _, _), .watchProcess(let unit, _), .container(let unit, _, _), .watchUnit(let unit, _):
                touched.insert(unit)
            case .log(let record): if let unit = record.unit { touched.insert(unit) }
            case .createReplica(let creation): touched.insert(creation.unit)
            case .persist, .shutdownComplete, .measure: break
            }
            switch effect {
            case .spawn(let spec):
                note("spawn \(spec.name)")
                checkSpawn(spec)
                answerSpawn(spec.name)
            case .signal(let unit, let pid, let signal):
                signals.append(PropSignal(unit: unit, pid: pid, signal: signal))
                note("\(Signals.name(signal))→\(unit)#\(pid)")
            case .drainRequest(let unit, _, _):
                requests.append(unit)
                world.drainRequests += 1
                note("drain request→\(unit)")
            case .startProbe(let unit, let role, let generation, _):
                world.startProbe(PropProbe(unit: unit, role: role, generation: generation))
            case .stopProbe(let unit, let role, let generation):
                world.stopProbe(PropProbe(unit: unit, role: role, generation: generation))
            case .watchUnit(let unit, let pid):
                note("count what \(unit)#\(pid) left")
                world.watchUnit(unit, main: pid)
            case .watchProcess(let unit, let pid):
                note("watch \(unit)#\(pid)")
                world.processes[pid]?.watched = true
                if world.processes[pid]?.alive == false { world.report(pid, .unknown, later: false) }
            case .shutdownComplete:
                note("shutdown complete")
                if shutdownCompleteAt == nil { shutdownCompleteAt = now; completed = true }
            case .container(let unit, let id, let action):
                if case .restart = action { checkSpawn(unit) }
                let pid = act(unit, id, action)
                actions.append(PropContainerAction(unit: unit, pid: pid, action: action))
            case .createReplica(let creation):
                // The universe's selector gives no replica count: the core owns none, so asks for none.
                violate(0, "asked for a replica of a service whose count it does not own", creation.unit)
            case .log, .persist, .measure:
                break
            }
        }
        if (!signals.isEmpty || !requests.isEmpty || !actions.isEmpty) && sabotage != .silentDrains {
            classifyDrains(signals, requests, actions)
        }
        for s in signals {
            // A signal goes to every process of the unit: the main process and what it left.
            for pid in [s.pid] + world.leftovers(of: s.pid) {
                guard let p = world.processes[pid], p.alive else { continue }
                let killed = s.signal == Signals.kill ? !(p.deaf && sabotage == .deafToKill) : !p.deaf
                if killed {
                    // A child deaf to the stop signal may outlive its main process.
                    let leaving = p.leftoverOf == nil && s.signal != Signals.kill && rng.chance(0.15) ? [true] : []
                    world.kill(pid, .signaled(signal: s.signal, coreDumped: false), later: rng.chance(0.35), leaving: leaving)
                    note("#\(pid) dies" + (leaving.isEmpty ? "" : ", leaving a child deaf to it"))
                } else {
                    note("#\(pid) ignores it")
                }
            }
        }
        if completed { checkNothingAlive("when the shutdown completed") }
    }

    /// The world's answer to a spawn: at once or held back, a process or a failure.
    mutating func answerSpawn(_ unit: String) {
        let deaf = rng.chance(0.25)
        let success = rng.chance(0.9)
        if world.prompt || rng.chance(0.6) {
            if success {
                let pid = startProcess(unit, deaf: deaf)
                world.immediate.append(.spawned(unit: unit, pid: pid, startTicks: UInt64(pid) * 1000))
                note("process #\(pid)\(deaf ? " (deaf to its stop signal)" : "")")
            } else {
                world.immediate.append(.spawnFailed(unit: unit, reason: "exec: no such file or directory"))
                note("the spawn fails")
            }
        } else {
            world.pending.append(.spawnAnswer(unit: unit, success: success, deaf: deaf))
            note("its answer held back")
        }
    }

    mutating func startProcess(_ unit: String, deaf: Bool) -> Int32 {
        let other = world.liveProcesses().first { $0.unit == unit }
        let pid = world.newProcess(unit: unit, deaf: deaf)
        if let other {
            violate(1, "two live processes of one unit", "\(unit) started a new process #\(pid) while #\(other.pid) still runs")
        }
        if sabotage == .twinSpawn { _ = world.newProcess(unit: unit, deaf: false) }
        return pid
    }

    /// Delivers the held answer at `index`.
    mutating func deliver(_ index: Int) {
        let answer = world.pending[index]
        let events = world.takePending(index)
        if case .spawned(let unit, let pid, _)? = events.first, case .spawnAnswer(_, _, let deaf) = answer {
            note("\(unit)'s held spawn answer: process #\(pid)\(deaf ? " (deaf to its stop signal)" : "")")
            if let other = world.liveProcesses().first(where: { $0.unit == unit && $0.pid != pid }) {
                violate(1, "two live processes of one unit", "\(unit) started a new process #\(pid) while #\(other.pid) still runs")
            }
            if sabotage == .twinSpawn { _ = world.newProcess(unit: unit, deaf: false) }
        }
        world.immediate += events
        absorb([])
    }

    mutating func deliverAll() {
        while !world.pending.isEmpty { deliver(0) }
    }

    /// Moves virtual time to `end`, firing `.tick` at each deadline on the way.
    /// Docker stops that end on the way end when they are due.
    mutating func advance(to end: Instant) {
        var ticksHere = 0
        while true {
            let deadline = core.nextDeadline, timer = nextTimer
            guard let next = [deadline, timer].compactMap({ $0 }).min(), next <= end else { break }
            if let timer, timer == next {
                now = max(now, timer)
                fireTimers()
                continue
            }
            if next <= now { ticksHere += 1 } else { ticksHere = 0 }
            if ticksHere > 100 {
                violate(5, "a deadline that ticks do not clear (the shell would spin)", "nextDeadline stays at t=\(Self.time(next))")
                break
            }
            now = max(now, next)
            send(.tick)
        }
        now = max(now, end)
    }
}
