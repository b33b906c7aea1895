import SuperviseCore
import Yams

/// Reading a whole document: `control`, `state_dir`, `defaults` and `units`.
extension Diagnostics {
    /// The configuration `root` describes; nil when it is not even a mapping. Problems are collected in `errors`.
    func config(from root: Node?) -> SupervisorConfig? {
        guard let root, !root.isNull else {
            report(at: SourcePosition(line: 1, column: 1), "", found: "an empty document",
                   expected: "a mapping with at least a \"units\" key")
            return nil
        }
        guard let fields = fields(of: root, at: "", section: Schema.top, expected: Schema.top.mappingPhrase) else {
            return nil
        }
        let control = fields["control"].map(control) ?? ControlSettings()
        var stateDirectory = SupervisorConfig.defaultStateDirectory
        if let entry = fields["state_dir"],
           let path = absolutePath(entry.value, entry.path, example: SupervisorConfig.defaultStateDirectory) {
            stateDirectory = path
        }
        var defaults = UnitLayer()
        if let entry = fields["defaults"],
           let defaultFields = self.fields(of: entry.value, at: entry.path, section: Schema.defaults,
                                           expected: Schema.defaults.mappingPhrase) {
            defaults = layer(from: defaultFields)
            checkBackoffBounds(defaults.restart.backoff, over: BackoffLayer())
        }
        guard let unitsEntry = fields["units"] else {
            report(root, "units", found: "no \"units\"",
                   expected: "a mapping of unit names to units (units: {} for none)")
            return nil
        }
        let unitsExpected = "a mapping of unit names to units, such as {api: {command: [/usr/bin/api]}}"
        guard let unitEntries = entries(of: unitsEntry.value, at: unitsEntry.path, expected: unitsExpected) else {
            return nil
        }
        let units = unitEntries.map { unit($0, defaults: defaults) }
        checkDependencies(of: units)
        return SupervisorConfig(units: units.compactMap(\.spec), control: control, stateDirectory: stateDirectory)
    }
}
