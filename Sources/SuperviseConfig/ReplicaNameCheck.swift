import SuperviseCore
import Yams

/// Checking the names of replicas against the other names of the file: a replicated unit `worker` owns every name
/// `worker-N`, now or after a scale-up, and so does a Compose service that supervise scales.
extension Diagnostics {
    /// A unit named like a replica of a replicated unit (`worker-2` beside `worker` with `replicas:`).
    func checkReplicaNames(of units: [DecodedUnit]) {
        let replicated = Dictionary(units.filter(\.isReplicated).map { ($0.name, $0) }) { first, _ in first }
        for unit in units {
            guard let owner = replicaOwner(of: unit.name, among: replicated) else { continue }
            report(unit.keyNode, KeyPath.join("units", unit.name), found: replicaNameFound(unit.name, owner: owner),
                   expected: replicaNameExpected(owner))
        }
    }

    /// The replicated unit among `replicated` that `name` is a replica name of (`worker` for `worker-2`), if any.
    func replicaOwner(of name: String, among replicated: [String: DecodedUnit]) -> DecodedUnit? {
        let service = UnitSpec.service(of: name)
        return service == name ? nil : replicated[service]
    }

    /// `"worker-2", a replica name of the replicated unit worker (units.worker at line 2, column 3)`.
    func replicaNameFound(_ name: String, owner: DecodedUnit) -> String {
        "\(quoted(name)), a replica name of the replicated unit \(shown(owner.name))"
            + written(owner.keyNode, at: KeyPath.join("units", owner.name))
    }

    func replicaNameExpected(_ owner: DecodedUnit) -> String {
        let name = shown(owner.name)
        return "a name other than \(name)-N (the replicas of \(name) are \(name)-1, \(name)-2, … as it scales)"
    }

    /// A compose entry that supervise scales (`replicas` or `autoscale`) for a Compose service whose replica names a
    /// process unit has: that unit would take the place of the container of the same name.
    func checkComposeReplicaNames(_ replicas: DecodedReplicas, service: String, units: [DecodedUnit]) {
        guard replicas.isReplicated, let key = replicas.entries["replicas"] ?? replicas.entries["autoscale"],
              let unit = units.first(where: { $0.name != service && UnitSpec.service(of: $0.name) == service })
        else { return }
        report(key.keyNode, key.path,
               found: "\(quoted(key.key)) for the Compose service \(shown(service)), whose replica name "
                   + "\(quoted(unit.name)) is a process unit's"
                   + written(unit.keyNode, at: KeyPath.join("units", unit.name)),
               expected: "no process unit named \(shown(service))-N beside a Compose service that supervise scales "
                   + "(the process unit would take the place of the container of the same name)")
    }
}
