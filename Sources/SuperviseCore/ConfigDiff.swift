/// What a reload changes: computed by name, comparing fully resolved specs.
public struct ConfigDiff: Sendable, Equatable {
    public var added: [String]
    public var removed: [String]
    public var changed: [String]
    public var unchanged: [String]

    /// Compares two configurations unit by unit.
    public init(old: SupervisorConfig, new: SupervisorConfig) {
        let oldByName = Dictionary(old.units.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newNames = Set(new.units.map(\.name))
        added = new.units.filter { oldByName[$0.name] == nil }.map(\.name)
        removed = old.units.filter { !newNames.contains($0.name) }.map(\.name)
        changed = new.units.filter { spec in oldByName[spec.name].map { $0 != spec } ?? false }.map(\.name)
        unchanged = new.units.filter { oldByName[$0.name] == $0 }.map(\.name)
    }

    public var summary: String {
        "\(added.count) added, \(removed.count) removed, \(changed.count) changed, \(unchanged.count) unchanged"
    }
}

extension Supervisor {
    /// Applies a new configuration: added units start, removed ones stop and are forgotten once
    /// their instance has ended, changed ones restart with the new spec, unchanged ones are
    /// untouched. A name keeps one entry whatever the order of reloads: a unit removed and added
    /// back while its old instance still stops or drains gets its new instance once the old one
    /// has ended (or, for a spawn still in flight with the same spec, the removal is called off).
    mutating func onReload(_ newConfig: SupervisorConfig, now: Instant) {
        // Replicas of process services follow their service's count, not the file's list.
        let diff = ConfigDiff(old: config.withoutReplicas, new: newConfig.withoutReplicas)
        log(.notice, nil, "reload", "configuration reloaded: \(diff.summary)")
        let old = config
        setConfig(newConfig)
        reloadServices(from: old, now: now)
        let newByName = Dictionary(newConfig.units.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in diff.removed { retire(name, now: now) }
        forgetUnselectedContainers(now: now)
        for name in diff.changed {
            guard let i = index(name), let spec = newByName[name] else { continue }
            log(.info, name, "changed", "configuration changed; restarting with the new configuration")
            replaceSpec(i, with: spec, now: now)
        }
        // Added units join in the new file's order, then the list is put in that order.
        for name in diff.added {
            guard let spec = newByName[name] else { continue }
            if let i = index(name) {
                readd(i, spec: spec, now: now)
                continue
            }
            units.append(UnitRuntime(spec: spec))
            reindex()
            log(.info, name, "added", "added by reload; starting")
            transition(units.count - 1, to: .waiting(automatic: false), now: now)
        }
        let order = Dictionary(newConfig.units.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Replicas sort by number at their service's place, those beyond the file's count included.
        let services = Set(newConfig.services.map(\.name))
        func key(_ u: UnitRuntime) -> (Int, Int) {
            let service = u.spec.service
            if services.contains(service), let n = Self.replicaNumber(u.name, of: service) {
                return (order[service + "-1"] ?? Int.max, n)
            }
            return (order[u.name] ?? Int.max, 0)
        }
        var sorted = units
        sorted.sort { key($0) < key($1) }
        units = sorted
        reindex()
        emit(.persist)
    }

    /// A unit gone from the configuration: stopped (drained first, under a drain contract) and
    /// forgotten when its instance has ended; forgotten at once when it has none.
    /// A Compose replica (a container unit with a replica number) is retired the same way, and its
    /// container deleted once stopped.
    mutating func retire(_ name: String, why: String = "removed from the configuration", now: Instant) {
        guard let i = index(name), !units[i].isContainer || units[i].container?.replica != nil else { return }
        units[i].retired = true
        switch units[i].state {
        case .running(let instance) where instance.spec.drain != nil:
            // A planned stop: its live calls finish first.
            beginDrain(i, then: .stop, by: why, now: now)
        case .running, .starting:
            beginStop(i, then: .stay, why: why, now: now)
        case .draining, .stopping:
            // Forgotten once its instance has ended.
            units[i].reason = why
        case .inactive, .waiting, .backoff, .drained, .exited, .failed:
            _ = forgetIfRetired(i)
        }
    }

    /// A unit removed by an earlier reload, whose instance has not ended yet, is back: the same
    /// entry goes on, with the new spec, and a new instance follows the old one.
    private mutating func readd(_ i: Int, spec: UnitSpec, now: Instant) {
        let name = spec.name
        units[i].retired = false
        units[i].operatorStopped = false
        units[i].spec = spec
        switch units[i].state {
        case .starting(var run) where units[i].activeSpec == spec:
            // The spawn in flight is of the same spec: the removal is simply called off.
            run.then = nil
            transition(i, to: .starting(run), now: now)
            log(.info, name, "added", "added back by reload while starting: its removal is called off")
        case .starting(var run):
            run.then = .start
            transition(i, to: .starting(run), now: now)
            log(.info, name, "added", "added back by reload while starting: replaced once it has started")
        case .stopping(let instance, var stop) where stop.drain == nil:
            stop.then = .start
            transition(i, to: .stopping(instance, stop), now: now)
            units[i].reason = "added back by reload: starts once its old instance has stopped"
            log(.info, name, "added", "added back by reload while its old instance stops: starts once it has stopped")
        case .draining, .stopping:
            // A drain signal cannot be taken back: its calls finish, then a fresh one starts.
            setDrainThen(i, .restart, now: now)
            units[i].reason = "added back by reload: starts once its drain has ended"
            log(.info, name, "added", "added back by reload while draining: starts once its drain has ended")
        default:
            transition(i, to: .waiting(automatic: false), now: now)
            log(.info, name, "added", "added by reload; starting")
        }
    }

    /// A unit whose spec changed: its instance keeps its own settings until it ends; the next
    /// one uses `spec`.
    mutating func replaceSpec(_ i: Int, with spec: UnitSpec, now: Instant) {
        let name = spec.name
        let hadDrain = units[i].activeSpec.drain != nil
        units[i].spec = spec
        switch units[i].state {
        case .running where hadDrain || spec.drain != nil:
            // A worker that can still serve is replaced like a rolling restart: drained first,
            // within its service's max_unavailable, one after the other.
            units[i].reason = "configuration changed: replaced after a drain"
            enqueueRollingRestart(of: name)
        case .running:
            units[i].reason = "configuration changed"
            units[i].downCause = .reload
            beginStop(i, then: .start, why: "configuration changed", now: now)
        case .starting(var run):
            // Let the spawn finish, then replace it (unless an operator asked for a stop).
            if run.then != .stay {
                run.then = .start
                transition(i, to: .starting(run), now: now)
            }
        case .stopping(_, let stop):
            if stop.drain == nil, stop.then == .stay, !units[i].operatorStopped { setStopThen(i, .start, now: now) }
        case .draining:
            // The drain goes on with its own contract; whatever starts after it uses the new spec.
            break
        case .inactive where units[i].operatorStopped, .drained:
            break
        case .inactive, .waiting, .backoff, .exited, .failed:
            units[i].streak = 0
            units[i].startHistory = []
            units[i].reason = "configuration changed"
            transition(i, to: .waiting(automatic: false), now: now)
        }
    }
}
