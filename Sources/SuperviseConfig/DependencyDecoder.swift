import SuperviseCore
import Yams

/// One unit under a unit's `depends_on`, with what it is waited for and where both were written.
struct Dependency {
    var name: String
    /// Where the name was written: an item of the short form, or a key of the long form.
    var node: Node
    var path: String
    var condition: DependencyCondition = .started
    /// The `condition` entry of the long form; nil when none was written (or it was unusable).
    var conditionEntry: Entry?
}

/// Reading `depends_on`, in either of Compose's forms:
///
/// - short: a list of unit names, or one name, each waited for until it runs (`service_started`);
/// - long: a mapping of unit names to `{condition: ...}`, the condition being `service_started` (the default),
///   `service_healthy` or `service_completed_successfully`.
///
/// Compose's long form also has `required` and `restart`. Only their Compose defaults are accepted
/// (`required: true`, `restart: false`), as no-ops, so that a Compose `depends_on` can be pasted as it is. Their
/// other values would ask for something supervise does not do: `required: false` for a dependency that may be
/// missing or fail to start (every dependency here is a unit of this file that must be met), `restart: true` for
/// restarting the dependent when its dependency is restarted (a dependency's restart leaves its dependents alone).
/// Accepting them silently would promise that behaviour, so they are errors that say what is supported.
extension Diagnostics {
    static let conditionNames = DependencyCondition.allCases.map(\.rawValue)
    static let conditionExpected = "one of \(Section.list(conditionNames))"
    static let dependsOnExpected = "a list of unit names, one name, or a mapping of unit names to conditions, "
        + "such as {db: {condition: service_healthy}}"

    /// `depends_on`, short or long form; dependencies with unusable settings are kept (with the default condition)
    /// so that their names are still checked.
    func dependencies(_ entry: Entry) -> [Dependency] {
        if case .mapping = entry.value { return longDependencies(entry) }
        guard let items = items(entry.value, entry.path, singleAllowed: true,
                                expected: Diagnostics.dependsOnExpected) else { return [] }
        return items.compactMap { item in
            if case .mapping = item.node {
                // `- db: {condition: service_healthy}`: a list of one-entry mappings, which Compose rejects too.
                report(item.node, item.path, expected: "a unit name (with conditions, depends_on is a mapping, "
                       + "without \"-\": depends_on: {db: {condition: service_healthy}})")
                return nil
            }
            return text(item.node, item.path, expected: "a unit name").map {
                Dependency(name: $0, node: item.node, path: item.path)
            }
        }
    }

    /// The long form: each unit name mapped to `{condition: ..., required: true, restart: false}`, every key
    /// optional; an empty value is `{}`.
    private func longDependencies(_ entry: Entry) -> [Dependency] {
        guard let entries = entries(of: entry.value, at: entry.path, expected: Diagnostics.dependsOnExpected) else {
            return []
        }
        return entries.compactMap(longDependency)
    }

    private func longDependency(_ entry: Entry) -> Dependency? {
        var dependency = Dependency(name: entry.key, node: entry.keyNode, path: entry.path)
        let node = entry.value
        if node.isNull { return dependency }
        guard case .mapping = node else {
            if Schema.dependency.keys.contains(entry.key) {
                // `depends_on: {db: null, condition: service_healthy}`: the condition was indented as a name.
                report(entry.keyNode, entry.path, found: "\(quoted(entry.key)) as a unit name",
                       expected: "a unit name (\(entry.key) goes inside the unit's entry: "
                           + "depends_on: {db: {\(entry.key): ...}})")
                return nil
            }
            // `db: service_healthy`: the condition written without its key.
            let written = node.text.flatMap(DependencyCondition.init(rawValue:))
            report(node, entry.path, expected: written.map { "a mapping: {condition: \($0.rawValue)}" }
                   ?? "a mapping such as {condition: service_healthy} (or an empty one, for service_started)")
            return dependency
        }
        guard let fields = fields(of: node, at: entry.path, section: Schema.dependency,
                                  expected: Schema.dependency.mappingPhrase) else { return dependency }
        if let conditionEntry = fields["condition"], let condition = condition(conditionEntry) {
            dependency.condition = condition
            dependency.conditionEntry = conditionEntry
        }
        if let required = fields["required"], boolean(required.value) != true {
            report(required.value, required.path, expected: "true, or no required (every dependency is required: "
                   + "a unit waits for each of its dependencies, and they must be units of this file)")
        }
        if let restart = fields["restart"], boolean(restart.value) != false {
            report(restart.value, restart.path, expected: "false, or no restart (a dependency's restart does not "
                   + "restart the units that depend on it)")
        }
        return dependency
    }

    /// `condition`: `service_started`, `service_healthy` or `service_completed_successfully`.
    private func condition(_ entry: Entry) -> DependencyCondition? {
        guard let text = text(entry.value, entry.path, expected: Diagnostics.conditionExpected) else { return nil }
        if let condition = DependencyCondition(rawValue: text) { return condition }
        report(entry.value, entry.path, expected: Diagnostics.conditionExpected + Diagnostics.conditionHint(text))
        return nil
    }

    /// ` (did you mean "service_healthy"?)` for a misspelt condition, or for one without its `service_` prefix
    /// (`healthy`); nothing when none is close, or when all three are (the message lists them already).
    static func conditionHint(_ text: String) -> String {
        for word in [text, "service_" + text] {
            let found = KeySuggestion.suggestions(for: word, among: conditionNames)
            if !found.isEmpty && found.count < conditionNames.count {
                return " (did you mean \(Section.list(found.map(quoted)))?)"
            }
        }
        return ""
    }

    /// A YAML boolean (`true`, `false`, and YAML 1.1's `yes`, `no`, `on`, `off`); nil for anything else.
    private func boolean(_ node: Node) -> Bool? {
        guard case .scalar(let scalar) = node, scalar.style == .plain,
              node.tag.rawValue == Tag.Name.bool.rawValue else { return nil }
        return node.bool
    }
}
