import SuperviseCore
import Yams

/// A unit as read from `units`, before its dependencies are checked against the other units.
struct DecodedUnit {
    var name: String
    var keyNode: Node
    /// The resolved unit; nil when its command is missing or unusable.
    var spec: UnitSpec?
    var dependencies: [Dependency]
    /// The restart policy the unit ends up with, with where it was written (its own `restart` or `defaults`'); nil
    /// for the default, `on-failure`.
    var restartPolicy: Sourced<RestartPolicy>?
    /// The `network: container` entries of the `defaults` probes and drain this unit inherits (an error for a process).
    var inheritedContainerNetworks: [Entry] = []
    /// The service this unit is when it has `replicas` or `autoscale` (``spec`` is then its template); nil otherwise.
    var service: ProcessService?
    /// Whether the unit has `replicas` or `autoscale`, usable or not.
    var isReplicated = false
    /// Placeholders of `defaults` this unit inherits and cannot fill.
    var inheritedPlaceholders: [(use: PlaceholderUse, problem: PlaceholderProblem)] = []

    /// The units the configuration starts with: the configured replicas of a service, or the unit itself.
    var units: [UnitSpec] { service?.units ?? [spec].compactMap { $0 } }
}

/// Reading one entry of `units`.
extension Diagnostics {
    static let unitNameExpected =
        "a unit name of at most 64 letters, digits, _ . @ and -, starting with a letter or digit"

    /// The unit `entry` describes, laid over `defaults` (read from `defaultFields`).
    func unit(_ entry: Entry, defaults: UnitLayer, defaultFields: [String: Entry]) -> DecodedUnit {
        var decoded = DecodedUnit(name: entry.key, keyNode: entry.keyNode, spec: nil, dependencies: [])
        if !Diagnostics.isUnitName(entry.key) {
            report(entry.keyNode, entry.path, found: quoted(entry.key), expected: Diagnostics.unitNameExpected)
        }
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.unit,
                                  expected: "a mapping with at least \"command\"") else { return decoded }
        let layer = layer(from: fields, owner: .process)
        checkBackoffBounds(layer.restart.backoff, over: defaults.restart.backoff)
        let merged = layer.overriding(defaults)
        decoded.restartPolicy = merged.restart.policy
        decoded.inheritedContainerNetworks = [merged.liveness, merged.readiness].compactMap { $0?.containerNetwork }
            + [merged.drain?.containerNetwork].compactMap { $0 }
        if let dependsOn = fields["depends_on"] { decoded.dependencies = dependencies(dependsOn) }
        var replicas = self.replicas(from: fields)
        checkProcessReplicas(&replicas, unit: entry)
        decoded.isReplicated = replicas.isReplicated
        checkActiveCalls(replicas, drain: merged.drain?.spec)
        let problem: PlaceholderProblem? = !replicas.isReplicated ? .noReplicas
            : replicas.basePort == nil ? .noPort : nil
        if let problem {
            let uses = placeholderUses(own: fields, defaults: defaultFields, keys: Diagnostics.filledKeys)
            reportPlaceholders(uses.own, problem)
            decoded.inheritedPlaceholders = problem.relevant(uses.inherited).map { ($0, problem) }
        }
        guard let commandEntry = fields["command"] else {
            report(entry.keyNode, KeyPath.join(entry.path, "command"), found: "no \"command\"",
                   expected: Schema.commandExpected)
            return decoded
        }
        guard let command = command(commandEntry) else { return decoded }
        let spec = merged.unit(named: entry.key, command: command, dependsOn: decoded.dependencies.map {
            DependencySpec($0.name, condition: $0.condition)
        })
        decoded.spec = spec
        if replicas.isReplicated {
            decoded.service = ProcessService(name: entry.key, template: spec, basePort: replicas.basePort,
                                             settings: replicas.settings)
        }
        return decoded
    }

    /// `command`: a non-empty list of scalars, the first one not empty.
    func command(_ entry: Entry) -> [String]? {
        guard let items = items(entry.value, entry.path, singleAllowed: false, expected: Schema.commandExpected) else {
            return nil
        }
        guard !items.isEmpty else {
            report(entry.value, entry.path, found: "an empty list", expected: Schema.commandExpected)
            return nil
        }
        var argv: [String] = []
        for item in items {
            guard let argument = text(item.node, item.path, expected: "a string (quote an argument that "
                                      + "contains \": \" or starts with \"{\", \"[\" or \"*\")") else { continue }
            argv.append(argument)
        }
        guard argv.count == items.count else { return nil }
        guard !argv[0].isEmpty else {
            report(items[0].node, items[0].path, found: "an empty string", expected: "a program path or name")
            return nil
        }
        return argv
    }

    /// `^[A-Za-z0-9][A-Za-z0-9_.@-]*$`, at most 64 characters.
    static func isUnitName(_ name: String) -> Bool {
        func alphanumeric(_ s: Unicode.Scalar) -> Bool {
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s))
        }
        let scalars = name.unicodeScalars
        guard let first = scalars.first, alphanumeric(first), scalars.count <= 64 else { return false }
        return scalars.allSatisfy { alphanumeric($0) || "_.@-".unicodeScalars.contains($0) }
    }
}
