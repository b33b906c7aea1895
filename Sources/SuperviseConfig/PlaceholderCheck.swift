import SuperviseCore
import Yams

/// A value holding `{replica}` or `{port}`, in a setting that replicas fill, with where it was written.
struct PlaceholderUse {
    /// The placeholders it holds, in `ReplicaPlaceholder.allCases` order.
    var placeholders: [ReplicaPlaceholder]
    var text: String
    var node: Node
    var path: String

    /// `{port} in "http://127.0.0.1:{port}/"`, or `"{port}"` for a value that is just the placeholder.
    var found: String {
        let names = placeholders.map(\.rawValue)
        return names == [text] ? quoted(text) : "\(names.joined(separator: " and ")) in \(quoted(text))"
    }
}

/// Why a placeholder cannot be filled where it is.
enum PlaceholderProblem: Hashable {
    /// In a process unit without `replicas` or `autoscale`.
    case noReplicas
    /// `{port}` in a replicated unit without `port`.
    case noPort
    /// `{port}` in a container entry, which has no port to fill it with.
    case container

    /// What `count` inheriting owners are or lack: `the unit "a", which has no replicas`.
    func owners(_ names: [String]) -> String {
        let one = names.count == 1
        let listed = Section.list(names.map(quoted), conjunction: "and")
        switch self {
        case .noReplicas: return "the unit\(one ? "" : "s") \(listed), which \(one ? "has" : "have") no replicas"
        case .noPort: return "the unit\(one ? "" : "s") \(listed), which \(one ? "has" : "have") no port"
        case .container: return "the container entr\(one ? "y" : "ies") \(listed)"
        }
    }

    /// The uses that are a problem, each naming only the placeholders that cannot be filled: all of them for a unit
    /// without replicas, `{port}` otherwise.
    func relevant(_ uses: [PlaceholderUse]) -> [PlaceholderUse] {
        guard self != .noReplicas else { return uses }
        return uses.filter { $0.placeholders.contains(.port) }.map {
            var use = $0
            use.placeholders = [.port]
            return use
        }
    }

    var expected: String {
        switch self {
        case .noReplicas: "a value without {replica} or {port} (they are filled in only for the replicas of a unit "
            + "with replicas: N or autoscale)"
        case .noPort: "port: BASE in the unit, for {port} to be BASE plus the replica's number"
        case .container: "a value without {port} (container entries fill {replica} only: {port} is for process units "
            + "with port)"
        }
    }
}

/// Finding `{replica}` and `{port}` where they cannot be filled: in units without replicas, `{port}` in units
/// without `port`, and `{port}` in container entries; written in the unit or entry itself, or inherited from
/// `defaults`.
extension Diagnostics {
    /// The settings whose values a process unit's replicas fill, in the order a unit lists them.
    static let filledKeys = ["command", "env", "working_dir", "liveness", "readiness", "drain"]
    /// Of those, what a container entry has (and inherits from `defaults`).
    static let containerFilledKeys = ["liveness", "readiness", "drain"]
    /// Keys in a probe or drain whose values are never filled.
    static let unfilledKeys: Set<String> = ["headers", "body_contains", "status", "field"]

    /// The placeholders the owner's settings (`own`, among `keys`) hold, and those of the `defaults` settings it
    /// inherits: each one `own` does not set, and for `env` each variable it does not set.
    func placeholderUses(own: [String: Entry], defaults: [String: Entry],
                         keys: [String]) -> (own: [PlaceholderUse], inherited: [PlaceholderUse]) {
        var ownUses: [PlaceholderUse] = []
        var inherited: [PlaceholderUse] = []
        for key in keys {
            if let entry = own[key] { scan(entry.value, entry.path, topKey: key, into: &ownUses) }
            guard key != "command", let entry = defaults[key] else { continue }
            if key == "env", case .mapping(let variables) = entry.value {
                let overridden = Set(own["env"].flatMap { Diagnostics.mappingKeys($0.value) } ?? [])
                for (name, value) in variables {
                    guard let name = Diagnostics.keyText(name), !overridden.contains(name) else { continue }
                    scan(value, KeyPath.join(entry.path, name), topKey: key, into: &inherited)
                }
            } else if own[key] == nil {
                scan(entry.value, entry.path, topKey: key, into: &inherited)
            }
        }
        return (ownUses, inherited)
    }

    /// Reports each of `uses`, written in the owner itself, for `problem`.
    func reportPlaceholders(_ uses: [PlaceholderUse], _ problem: PlaceholderProblem) {
        for use in problem.relevant(uses) {
            let found = problem == .container ? "\(use.found), in a container entry"
                : "\(use.found), in a unit \(problem == .noPort ? "without port" : "without replicas")"
            report(use.node, use.path, found: found, expected: problem.expected)
        }
    }

    /// Reports the placeholders of `defaults` that units or container entries inherit where they cannot be filled:
    /// once per value and problem, naming the owners.
    func reportInheritedPlaceholders(_ inherited: [(use: PlaceholderUse, problem: PlaceholderProblem, owner: String)]) {
        var owners: [String: [String]] = [:]
        var order: [(use: PlaceholderUse, problem: PlaceholderProblem, key: String)] = []
        for item in inherited {
            let key = "\(item.use.path) \(item.problem)"
            if owners[key] == nil { order.append((item.use, item.problem, key)) }
            owners[key, default: []].append(item.owner)
        }
        for (use, problem, key) in order {
            report(use.node, use.path, found: "\(use.found), inherited by \(problem.owners(owners[key] ?? []))",
                   expected: problem.expected)
        }
    }

    /// The scalars under `node` that hold placeholders, skipping mapping keys and, in probes and drains, the
    /// settings that are never filled.
    private func scan(_ node: Node, _ path: String, topKey: String, into uses: inout [PlaceholderUse]) {
        switch node {
        case .scalar:
            guard let text = node.text else { return }
            let found = ReplicaPlaceholder.allCases.filter { $0.occurs(in: text) }
            if !found.isEmpty { uses.append(PlaceholderUse(placeholders: found, text: text, node: node, path: path)) }
        case .sequence(let items):
            for (index, item) in items.enumerated() {
                scan(item, KeyPath.item(path, index), topKey: topKey, into: &uses)
            }
        case .mapping(let mapping):
            for (keyNode, value) in mapping {
                guard let key = Diagnostics.keyText(keyNode) else { continue }
                if ["liveness", "readiness", "drain"].contains(topKey), Diagnostics.unfilledKeys.contains(key) {
                    continue
                }
                scan(value, KeyPath.join(path, key), topKey: topKey, into: &uses)
            }
        case .alias:
            return
        }
    }

    /// The keys of a mapping node, as written; empty for anything else.
    static func mappingKeys(_ node: Node) -> [String] {
        guard case .mapping(let mapping) = node else { return [] }
        return mapping.keys.compactMap(keyText)
    }

    /// A mapping key as written (without the composer's duplicate marker); nil unless it is a scalar.
    static func keyText(_ node: Node) -> String? {
        node.text.map { YAMLComposer.originalKey($0).key }
    }
}
