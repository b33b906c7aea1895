import SuperviseCore
import Yams

/// Which mapping a layer is read from; it decides whether probes may have `network`.
enum LayerOwner {
    case defaults
    case process
    case container
}

/// Reading the settings that `defaults`, units and container entries share.
extension Diagnostics {
    /// The shared settings among `fields` (`env`, `working_dir`, `user`, `group`, `stop_signal`, `stop_timeout`,
    /// `restart`, `liveness`, `readiness`, `drain`, `max_unavailable`, `output`); values with problems are reported and
    /// left out.
    func layer(from fields: [String: Entry], owner: LayerOwner) -> UnitLayer {
        var layer = UnitLayer()
        if let entry = fields["env"] { layer.environment = environment(entry) }
        if let entry = fields["working_dir"] {
            layer.workingDirectory = absolutePath(entry.value, entry.path, example: "/srv/app")
        }
        if let entry = fields["user"] { layer.user = account(entry.value, entry.path, kind: "user") }
        if let entry = fields["group"] { layer.group = account(entry.value, entry.path, kind: "group") }
        if let entry = fields["stop_signal"] { layer.stopSignal = signal(entry.value, entry.path) }
        if let entry = fields["stop_timeout"] { layer.stopTimeout = duration(entry.value, entry.path, positive: true) }
        if let entry = fields["restart"] { layer.restart = restart(entry) }
        if let entry = fields["liveness"] { layer.liveness = probe(entry, owner: owner) }
        if let entry = fields["readiness"] { layer.readiness = probe(entry, owner: owner) }
        if let entry = fields["drain"] { layer.drain = drain(entry, owner: owner) }
        if let entry = fields["nice"] {
            layer.nice = integer(entry.value, entry.path, in: -20...19,
                                 expected: "a nice value from -20 (most CPU) to 19 (least); 0 is the default").map { Int32($0) }
        }
        if let entry = fields["max_unavailable"] {
            layer.maxUnavailable = integer(entry.value, entry.path, in: 1...Int.max,
                                           expected: Diagnostics.maxUnavailableExpected)
        }
        if let entry = fields["output"] { layer.output = output(entry) }
        return layer
    }

    /// `env`: a mapping of variable names to scalar values, which become strings as written.
    func environment(_ entry: Entry) -> [String: String] {
        let expected = "a mapping of variable names to values, such as {LOG_LEVEL: debug}"
        guard let entries = entries(of: entry.value, at: entry.path, expected: expected) else { return [:] }
        var result: [String: String] = [:]
        for variable in entries {
            guard Diagnostics.isEnvironmentName(variable.key) else {
                report(variable.keyNode, variable.path, found: quoted(variable.key),
                       expected: "a variable name of letters, digits and _, not starting with a digit")
                continue
            }
            guard let value = text(variable.value, variable.path,
                                   expected: "a string value (write \"\" for an empty one)") else { continue }
            result[variable.key] = value
        }
        return result
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`
    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }
}
