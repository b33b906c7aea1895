import SuperviseCore

/// The units a history draws its configurations from: six process units, each in two variants
/// (`a` and `b`, differing in their command, so that a reload from one to the other changes the
/// unit). Drain contracts, probes, policies and dependencies are the same in both variants (the
/// progress URL of worker-2 aside), so a reload never changes how a unit drains.
///
/// - `db`: unless-stopped (an operator's stop outlives a daemon restart), liveness probe, burst 3 in 60 s.
/// - `migrate`: one-shot (policy no), depends on db.
/// - `api`: on-failure, liveness and readiness probes, depends on db (healthy) and on migrate
///   (completed successfully), burst 2 in 20 s.
/// - `worker-1`: drained by one SIGTERM, progress URL, 20 s drain; stop signal SIGINT; depends on api.
/// - `worker-2`: drained by an HTTP request, progress URL in variant a only, 10 s drain; stop
///   signal SIGINT; liveness probe; depends on cache.
/// - `cache`: restarted always, drained by one SIGTERM (also its stop signal), no progress URL, 5 s drain.
///
/// Bit 6 of a configuration mask adds a container selector: the two replicas of the Compose
/// service `agent` become units `agent-1` and `agent-2` (restarted always, Docker HEALTHCHECK,
/// drained by Docker's stop with a 15 s timeout, progress read inside the container).
enum PropUniverse {
    static let names = ["db", "migrate", "api", "worker-1", "worker-2", "cache"]
    static let count = names.count
    /// Bit of a configuration mask for the container selector.
    static let containerBit: UInt8 = 1 << 6
    static let replicas = [1, 2]
    /// Every unit name an operator command may name (container units last).
    static let allNames = names + replicas.map(containerUnit)
    static let services = ["worker", "db", "api", "cache", "migrate", "agent", "nope"]

    static func containerUnit(_ replica: Int) -> String { "agent-\(replica)" }

    /// The replica number of a container unit's name, nil for a process unit.
    static func replica(of name: String) -> Int? {
        name.hasPrefix("agent-") ? Int(name.dropFirst(6)) : nil
    }

    static let selector = ContainerSelector(key: "agent", match: .compose(project: "voice", service: "agent"), template: {
        var t = UnitSpec(name: "agent", command: [], stopTimeout: .seconds(5),
                         restart: restart(.always, burst: 3, interval: 30, initial: .seconds(1)))
        t.drain = DrainSpec(start: .signal(Signals.term), progress: DrainProgress(url: "http://127.0.0.1:8090/worker"),
                            timeout: .seconds(15), network: .container)
        return t
    }())

    /// `specs[unit][variant]`.
    static let specs: [[UnitSpec]] = names.indices.map { i in [makeSpec(i, variant: 0), makeSpec(i, variant: 1)] }

    static func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// Dependencies of unit `i`, as indices.
    static func dependencies(of i: Int) -> [Int] { specs[i][0].dependsOn.compactMap { index(of: $0.name) } }

    /// The configuration of the units in `mask` (bit i: unit i) and every unit they depend on,
    /// with the variant bit of each; returns the variant of each member by name.
    static func config(mask: UInt8, variants: UInt8) -> (config: SupervisorConfig, members: [String: Int]) {
        configs[Int(mask & 0x7F) << 6 | Int(variants & 0x3F)]
    }

    /// Every configuration, made once.
    private static let configs = (0..<8192).map { makeConfig(mask: UInt8($0 >> 6), variants: UInt8($0 & 0x3F)) }

    private static func makeConfig(mask: UInt8, variants: UInt8) -> (config: SupervisorConfig, members: [String: Int]) {
        var included = Set((0..<count).filter { mask & (1 << $0) != 0 })
        var changed = true
        while changed {
            changed = false
            for i in included { for d in dependencies(of: i) where !included.contains(d) { included.insert(d); changed = true } }
        }
        var members: [String: Int] = [:]
        var units: [UnitSpec] = []
        for i in 0..<count where included.contains(i) {
            let v = variants & (1 << i) != 0 ? 1 : 0
            members[names[i]] = v
            units.append(specs[i][v])
        }
        return (SupervisorConfig(units: units, containers: mask & containerBit != 0 ? [selector] : []), members)
    }

    static func describe(_ config: SupervisorConfig, _ members: [String: Int]) -> String {
        let parts = names.compactMap { n in members[n].map { "\(n)(\($0 == 0 ? "a" : "b"))" } }
            + (config.containers.isEmpty ? [] : ["containers agent-1 agent-2"])
        return parts.isEmpty ? "(no units)" : parts.joined(separator: " ")
    }

    /// The spec of `name` (variant a; the container template for a container unit).
    static func spec(_ name: String) -> UnitSpec? {
        if replica(of: name) != nil { return selector.template }
        return index(of: name).map { specs[$0][0] }
    }

    /// The longest stop timeout of `name` over its variants (zero for a name outside the universe).
    static func stopTimeout(_ name: String) -> Duration {
        if replica(of: name) != nil { return selector.template.stopTimeout }
        guard let i = index(of: name) else { return .zero }
        return max(specs[i][0].stopTimeout, specs[i][1].stopTimeout)
    }

    /// The drain timeout of `name`'s contract, zero without one.
    static func drainTimeout(_ name: String) -> Duration {
        if replica(of: name) != nil { return selector.template.drain?.timeout ?? .zero }
        guard let i = index(of: name) else { return .zero }
        return max(specs[i][0].drain?.timeout ?? .zero, specs[i][1].drain?.timeout ?? .zero)
    }

    /// How a drain of `name` starts: its contract, or the default (one SIGTERM).
    static func drainStart(_ name: String) -> DrainStart {
        (spec(name)?.drain ?? .default).start
    }

    static func stopSignal(_ name: String) -> Int32 {
        spec(name)?.stopSignal ?? Signals.term
    }

    static func policy(_ name: String) -> RestartPolicy? {
        spec(name)?.restart.policy
    }

    private static func restart(_ policy: RestartPolicy, burst: Int, interval: Int, initial: Duration,
                                maxDelay: Duration = .seconds(8)) -> RestartSettings {
        RestartSettings(policy: policy, successExitCodes: [0], successSignals: [],
                        backoff: BackoffPolicy(initial: initial, max: maxDelay, multiplier: 2, jitter: 0.2,
                                               resetAfter: .seconds(30)),
                        startLimit: StartLimit(burst: burst, interval: .seconds(interval)))
    }

    private static func probe(_ port: Int, failures: Int) -> ProbeSpec {
        ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:\(port)/health")), interval: .seconds(5),
                  failureThreshold: failures)
    }

    private static func makeSpec(_ i: Int, variant: Int) -> UnitSpec {
        let name = names[i]
        let command = ["/usr/local/bin/\(name)", variant == 0 ? "--v1" : "--v2"]
        switch name {
        case "db":
            var s = UnitSpec(name: name, command: command, stopTimeout: .seconds(5),
                             restart: restart(.unlessStopped, burst: 3, interval: 60, initial: .seconds(1)))
            s.liveness = probe(5432, failures: 2)
            return s
        case "migrate":
            return UnitSpec(name: name, command: command, stopTimeout: .seconds(2),
                            restart: restart(.no, burst: 3, interval: 30, initial: .milliseconds(500)),
                            dependsOn: ["db"])
        case "api":
            var s = UnitSpec(name: name, command: command, stopTimeout: .seconds(4),
                             restart: restart(.onFailure, burst: 2, interval: 20, initial: .seconds(2)),
                             dependsOn: [DependencySpec("db", condition: .healthy),
                                         DependencySpec("migrate", condition: .completedSuccessfully)])
            s.liveness = probe(8080, failures: 2)
            s.readiness = probe(8080, failures: 1)
            return s
        case "worker-1":
            var s = UnitSpec(name: name, command: command, stopSignal: Signals.int, stopTimeout: .seconds(3),
                             restart: restart(.always, burst: 3, interval: 30, initial: .seconds(1)), dependsOn: ["api"])
            s.drain = DrainSpec(start: .signal(Signals.term),
                                progress: DrainProgress(url: "http://127.0.0.1:8081/worker"), timeout: .seconds(20))
            s.readiness = probe(8081, failures: 1)
            return s
        case "worker-2":
            var s = UnitSpec(name: name, command: command, stopSignal: Signals.int, stopTimeout: .seconds(2),
                             restart: restart(.always, burst: 3, interval: 30, initial: .seconds(1)), dependsOn: ["cache"])
            s.drain = DrainSpec(start: .http(url: "http://127.0.0.1:8082/drain"),
                                progress: variant == 0 ? DrainProgress(url: "http://127.0.0.1:8082/worker") : nil,
                                timeout: .seconds(10))
            s.liveness = probe(8082, failures: 2)
            return s
        default: // cache
            var s = UnitSpec(name: name, command: command, stopTimeout: .seconds(1),
                             restart: restart(.always, burst: 4, interval: 10, initial: .milliseconds(200)))
            s.drain = DrainSpec(start: .signal(Signals.term), timeout: .seconds(5))
            return s
        }
    }
}
