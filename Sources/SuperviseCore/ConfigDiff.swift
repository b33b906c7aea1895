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
    /// Applies a new configuration: added units start, removed ones stop and are
    /// forgotten, changed ones restart with the new spec, unchanged ones are untouched.
    mutating func onReload(_ newConfig: SupervisorConfig, now: Instant) {
        let diff = ConfigDiff(old: config, new: newConfig)
        log(.notice, nil, "reload", "configuration reloaded: \(diff.summary)")
        setConfig(newConfig)
        let newByName = Dictionary(newConfig.units.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        for name in diff.removed {
            guard let i = index(name) else { continue }
            switch units[i].phase {
            case .running where units[i].spec.drain != nil:
                // A planned stop: its live calls finish first; forgotten once it has exited.
                mutateUnits { $0[i].afterStop = .remove }
                beginDrain(i, then: .stop, by: "removed from the configuration", now: now)
            case .running:
                mutateUnits { $0[i].afterStop = .remove }
                beginStop(i, now: now, why: "removed from the configuration")
            case .stopping, .starting, .draining:
                // Removed once its process has gone (a spawn in flight is stopped when it reports).
                mutateUnits { $0[i].afterStop = .remove; $0[i].operatorStopped = true }
            default:
                mutateUnits { $0.remove(at: i) }
                reindex()
                log(.info, name, "removed", "removed from the configuration")
            }
        }
        for name in diff.changed {
            guard let i = index(name), let spec = newByName[name] else { continue }
            log(.info, name, "changed", "configuration changed; restarting with the new configuration")
            switch units[i].phase {
            case .running where units[i].spec.drain != nil || spec.drain != nil:
                // A worker that can still serve is replaced like a rolling restart: drained first,
                // within its service's max_unavailable, one after the other. The running process
                // keeps its settings; the new spec applies to the one that replaces it.
                mutateUnits { $0[i].spec = spec; $0[i].reason = "configuration changed: replaced after a drain" }
                enqueueRollingRestart(of: name)
            case .running:
                mutateUnits { $0[i].afterStop = .replace(spec) }
                beginStop(i, now: now, why: "configuration changed")
            case .stopping:
                mutateUnits { $0[i].afterStop = .replace(spec) }
            case .draining:
                // The drain goes on; whatever starts after it uses the new spec.
                mutateUnits { $0[i].spec = spec }
            case .starting:
                // Let the spawn finish, then replace it.
                mutateUnits { $0[i].spec = spec; $0[i].afterStop = .replace(spec) }
            case .inactive where units[i].operatorStopped:
                mutateUnits { $0[i].spec = spec }
            case .inactive, .waiting, .backoff, .exited, .failed:
                mutateUnits {
                    $0[i].spec = spec
                    $0[i].phase = .waiting
                    $0[i].streak = 0
                    $0[i].startHistory = []
                    $0[i].restartAt = nil
                    $0[i].automaticRestartPending = false
                    $0[i].reason = "configuration changed"
                }
            }
        }
        // Added units join in the new file's order, then the list is put in that order.
        for name in diff.added {
            guard let spec = newByName[name] else { continue }
            var runtime = UnitRuntime(spec: spec)
            runtime.phase = .waiting
            mutateUnits { $0.append(runtime) }
            reindex()
            log(.info, name, "added", "added by reload; starting")
        }
        let order = Dictionary(newConfig.units.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        mutateUnits { units in
            units.sort { (order[$0.name] ?? Int.max) < (order[$1.name] ?? Int.max) }
        }
        reindex()
        emit(.persist)
    }
}
