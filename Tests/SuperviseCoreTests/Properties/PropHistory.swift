import SuperviseCore

/// One random step of a history. Choices that depend on the world (which process exits, which
/// probe answers) are `pick` numbers taken modulo what exists when the step runs, so a history
/// stays meaningful when the shrinker deletes steps before it.
enum PropAction: Sendable, Equatable {
    /// Virtual time passes, firing `.tick` at every deadline on the way.
    case advance(milliseconds: Int)
    /// A live process ends on its own.
    case exit(pick: Int, status: ExitStatus)
    /// The world delivers one answer it held back (a spawn's outcome, an exit).
    case deliver(pick: Int)
    /// A liveness/readiness probe result: for a live generation, or (`stale`) for one already stopped.
    case probe(pick: Int, healthy: Bool, stale: Bool)
    /// A drain progress reading: `calls` live calls, or (nil) a failed reading.
    case drainProgress(pick: Int, calls: Int?)
    /// The HTTP drain request of a unit failed (generation 0).
    case drainRequestFailed(unit: Int)
    case command(OperatorCommand, unit: Int)
    case drain(unit: Int, then: DrainThen, timeoutSeconds: Int?, force: Bool)
    case undrain(unit: Int)
    case rolling(service: Int)
    /// A new configuration: the units of `mask` and their dependencies, each in the variant of its bit.
    case reload(mask: UInt8, variants: UInt8)
    /// The daemon is killed and a new one boots from its persisted state, adopting live processes.
    case daemonRestart
    /// SIGTERM to the daemon: everything stops. Later steps are what the world does meanwhile.
    case shutdown
    /// A running container's process exits on its own.
    case containerExit(pick: Int, code: Int32)
    /// Someone runs `docker stop` on a running container.
    case dockerStop(pick: Int)
    /// Someone runs `docker start` on a stopped container.
    case dockerStart(pick: Int)
    /// Docker's HEALTHCHECK of a running container changes its verdict.
    case containerHealth(pick: Int, healthy: Bool)
    /// The Docker API becomes unreachable, or reachable again (then the shell resyncs).
    case dockerFlap
}

struct PropStep: Sendable, Equatable {
    var action: PropAction
    /// Seeds the world's choices during this step (whether a spawn is answered at once, whether
    /// a new process ignores its stop signal, ...).
    var salt: UInt64
}

struct PropHistory: Sendable, Equatable {
    var seed: UInt64
    var initialMask: UInt8
    var initialVariants: UInt8
    var steps: [PropStep]
}

extension PropHistory {
    /// The history of `seed`: a random initial configuration and 30...90 random steps.
    static func generate(seed: UInt64) -> PropHistory {
        var rng = PropRNG(seed: seed)
        let mask = randomMask(&rng)
        let variants = UInt8(truncatingIfNeeded: rng.next())
        let length = rng.int(30...90)
        var steps: [PropStep] = []
        var shutDown = false
        for _ in 0..<length {
            let action = randomAction(&rng, afterShutdown: shutDown)
            if action == .shutdown { shutDown = true }
            steps.append(PropStep(action: action, salt: rng.next()))
        }
        return PropHistory(seed: seed, initialMask: mask, initialVariants: variants, steps: steps)
    }

    private static func randomMask(_ rng: inout PropRNG) -> UInt8 {
        var mask: UInt8 = 0
        for i in 0..<PropUniverse.count where rng.chance(0.7) { mask |= 1 << i }
        if rng.chance(0.4) { mask |= PropUniverse.containerBit }
        return mask
    }

    private enum Kind {
        case advance, exit, deliver, probe, progress, requestFailed, command, drain, undrain, rolling, reload, restart, shutdown
        case containerExit, dockerStop, dockerStart, health, flap
    }

    /// Step kinds and their weights, before and after a shutdown (then only what the world does
    /// meanwhile, and commands and reloads the daemon still gets).
    private static let before: [Kind] = [.advance, .exit, .deliver, .probe, .progress, .requestFailed, .command, .drain, .undrain,
                                         .rolling, .reload, .restart, .shutdown, .containerExit, .dockerStop, .dockerStart, .health, .flap]
    private static let beforeWeights = [72, 36, 48, 64, 24, 4, 48, 24, 8, 12, 24, 12, 1, 10, 4, 6, 12, 4]
    private static let after: [Kind] = [.advance, .exit, .probe, .progress, .requestFailed, .command, .drain, .undrain, .rolling,
                                        .reload, .containerExit, .dockerStop, .dockerStart, .health]
    private static let afterWeights = [30, 10, 10, 8, 1, 6, 2, 1, 1, 4, 2, 1, 1, 2]
    private static let exits: [ExitStatus] = [.exited(code: 0), .exited(code: 1), .exited(code: 2), .signaled(signal: 11, coreDumped: true),
                                              .signaled(signal: Signals.term, coreDumped: false), .signaled(signal: Signals.kill, coreDumped: false)]
    private static let commands: [OperatorCommand] = [.start, .stop, .restart, .reset]

    private static func randomAction(_ rng: inout PropRNG, afterShutdown: Bool) -> PropAction {
        let kind = afterShutdown ? after[rng.index(afterWeights)] : before[rng.index(beforeWeights)]
        let unit = rng.int(0...(PropUniverse.allNames.count - 1))
        let pick = rng.int(0...999)
        switch kind {
        case .advance:
            let ms = [rng.int(100...2_000), rng.int(2_000...15_000), rng.int(15_000...120_000)][rng.index([55, 30, 15])]
            return .advance(milliseconds: ms)
        case .exit: return .exit(pick: pick, status: exits[rng.index([30, 35, 5, 10, 10, 10])])
        case .deliver: return .deliver(pick: pick)
        case .probe: return .probe(pick: pick, healthy: rng.chance(0.6), stale: rng.chance(0.1))
        case .progress:
            let calls: Int? = [0, rng.int(1...5), nil][rng.index([40, 40, 20])]
            return .drainProgress(pick: pick, calls: calls)
        case .requestFailed: return .drainRequestFailed(unit: unit)
        case .command: return .command(commands[rng.index([3, 4, 3, 1])], unit: unit)
        case .drain:
            return .drain(unit: unit, then: rng.chance(0.5) ? .stop : .restart,
                          timeoutSeconds: rng.chance(0.6) ? nil : rng.int(1...30), force: rng.chance(0.2))
        case .undrain: return .undrain(unit: unit)
        case .rolling: return .rolling(service: rng.index([6, 1, 1, 1, 1, 3, 1]))
        case .reload: return .reload(mask: randomMask(&rng), variants: UInt8(truncatingIfNeeded: rng.next()))
        case .restart: return .daemonRestart
        case .shutdown: return .shutdown
        case .containerExit: return .containerExit(pick: pick, code: [0, 1, 137][rng.index([3, 4, 2])])
        case .dockerStop: return .dockerStop(pick: pick)
        case .dockerStart: return .dockerStart(pick: pick)
        case .health: return .containerHealth(pick: pick, healthy: rng.chance(0.6))
        case .flap: return .dockerFlap
        }
    }
}

extension PropAction {
    /// Short text for the printed history (before the step resolves its picks).
    var text: String {
        func name(_ u: Int) -> String { PropUniverse.allNames[u % PropUniverse.allNames.count] }
        switch self {
        case .advance(let ms): return "time passes \(Self.seconds(ms))"
        case .exit(_, let status): return "a process exits (\(status))"
        case .deliver: return "the world delivers a held answer"
        case .probe(_, let healthy, let stale): return "\(stale ? "stale " : "")probe result \(healthy ? "healthy" : "unhealthy")"
        case .drainProgress(_, let calls): return "drain progress " + (calls.map { "\($0) calls" } ?? "reading failed")
        case .drainRequestFailed(let u): return "drain request of \(name(u)) failed"
        case .command(let c, let u): return "operator \(c.rawValue) \(name(u))"
        case .drain(let u, let then, let t, let force):
            return "operator drain \(name(u)) then \(then.rawValue)" + (t.map { " timeout \($0)s" } ?? "") + (force ? " --force" : "")
        case .undrain(let u): return "operator undrain \(name(u))"
        case .rolling(let s): return "operator rolling restart of \(PropUniverse.services[s % PropUniverse.services.count])"
        case .reload(let mask, let variants):
            let (config, members) = PropUniverse.config(mask: mask, variants: variants)
            return "reload: " + PropUniverse.describe(config, members)
        case .daemonRestart: return "daemon restart (killed; a new one boots from the persisted state)"
        case .shutdown: return "shutdown (SIGTERM to the daemon)"
        case .containerExit(_, let code): return "a container's process exits (\(code))"
        case .dockerStop: return "docker stop of a running container, by hand"
        case .dockerStart: return "docker start of a stopped container, by hand"
        case .containerHealth(_, let healthy): return "a container's HEALTHCHECK turns \(healthy ? "healthy" : "unhealthy")"
        case .dockerFlap: return "the Docker API goes away, or comes back"
        }
    }

    static func seconds(_ ms: Int) -> String {
        ms % 1000 == 0 ? "\(ms / 1000)s" : "\(Double(ms) / 1000)s"
    }
}
