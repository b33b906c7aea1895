import SuperviseCore
import Yams

/// Reading a whole document: `control`, `state_dir`, `docker`, `defaults`, `units`, `containers`, `queues`, `notify` and `metrics`.
extension Diagnostics {
    /// The configuration `root` describes; nil when it is not even a mapping. Problems are collected in `errors`.
    func config(from root: Node?) -> SupervisorConfig? {
        guard let root, !root.isNull else {
            report(at: SourcePosition(line: 1, column: 1), "", found: "an empty document",
                   expected: "a mapping with at least a \"units\" or \"containers\" key")
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
        var defaultFields: [String: Entry] = [:]
        if let entry = fields["defaults"],
           let given = self.fields(of: entry.value, at: entry.path, section: Schema.defaults,
                                   expected: Schema.defaults.mappingPhrase) {
            defaultFields = given
            defaults = layer(from: given, owner: .defaults)
            checkBackoffBounds(defaults.restart.backoff, over: BackoffLayer())
        }
        let (docker, dockerProject) = fields["docker"].map(docker) ?? (DockerSettings(), nil)
        let notify = fields["notify"].map(notify) ?? .none
        let containersEntry = fields["containers"]
        var units: [DecodedUnit] = []
        if let unitsEntry = fields["units"] {
            let unitsExpected = "a mapping of unit names to units, such as {api: {command: [/usr/bin/api]}}"
            guard let unitEntries = entries(of: unitsEntry.value, at: unitsEntry.path, expected: unitsExpected) else {
                return nil
            }
            units = unitEntries.map { unit($0, defaults: defaults, defaultFields: defaultFields) }
            checkReplicaNames(of: units)
            checkDependencies(of: units)
            checkInheritedNetworks(of: units)
            reportInheritedPlaceholders(units.flatMap { unit in
                unit.inheritedPlaceholders.map { ($0.use, $0.problem, unit.name) }
            })
        } else if containersEntry == nil {
            report(root, "units", found: "no \"units\"",
                   expected: "a mapping of unit names to units (units: {} for none)")
            return nil
        }
        let containers = containersEntry.map {
            self.containers($0, defaults: defaults, defaultFields: defaultFields, docker: docker,
                            dockerProject: dockerProject, units: units)
        } ?? []
        let queues = fields["queues"].map(queues) ?? []
        let metrics = fields["metrics"].map(metrics) ?? MetricsSettings()
        return SupervisorConfig(units: units.flatMap(\.units), containers: containers, docker: docker,
                                control: control, stateDirectory: stateDirectory, queues: queues, notify: notify,
                                metrics: metrics, services: units.compactMap(\.service))
    }

    /// `network: container` in a `defaults` probe or drain that process units inherit: reported once per probe or
    /// drain, naming them.
    private func checkInheritedNetworks(of units: [DecodedUnit]) {
        var inheriting: [String: (entry: Entry, units: [String])] = [:]
        var order: [String] = []
        for unit in units {
            for network in unit.inheritedContainerNetworks {
                if inheriting[network.path] == nil {
                    inheriting[network.path] = (network, [])
                    order.append(network.path)
                }
                inheriting[network.path]?.units.append(unit.name)
            }
        }
        for path in order {
            guard let (entry, names) = inheriting[path] else { continue }
            let quotedNames = Section.list(names.map(quoted), conjunction: "and")
            let role = path.hasSuffix("readiness.network") ? "readiness"
                : path.hasSuffix("drain.network") ? "drain" : "liveness"
            let owner = role == "drain" ? "drains" : "probes"
            report(entry.value, entry.path,
                   found: "container, inherited by the process unit\(names.count == 1 ? "" : "s") \(quotedNames)",
                   expected: "host (network applies to \(owner) of container entries only; give the process "
                       + "unit\(names.count == 1 ? "" : "s") a \(role) of \(names.count == 1 ? "its" : "their") own)")
        }
    }
}
