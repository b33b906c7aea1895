import SuperviseCore
import Yams

/// The replica keys of a unit or container entry (`replicas`, `port`, `max_surge`, `progress_deadline`,
/// `autoscale`) as read, with where they were written.
struct DecodedReplicas {
    /// The settings, with the defaults where nothing was given; `replicas` is nil unless written (or unusable).
    var settings = ReplicaSettings()
    var basePort: Int?
    /// The keys given.
    var entries: [String: Entry] = [:]

    /// Whether the unit is a replicated service: it has `replicas` or `autoscale`.
    var isReplicated: Bool { entries["replicas"] != nil || entries["autoscale"] != nil }
}

/// Reading the replica keys of process units and compose entries.
extension Diagnostics {
    static let replicasExpected = "a whole number of at least 1, such as 3"
    static let basePortExpected = "a port number from 1 to 65534 (replica N's {port} is port + N)"
    static let maxSurgeExpected = "a whole number of at least 1, such as 1 (a rollout starts this many new replicas "
        + "before it drains old ones, so capacity never drops)"

    /// The replica keys among `fields`; values with problems are reported and left at their defaults. `replicas`
    /// outside `autoscale`'s `min`…`max` is reported too.
    func replicas(from fields: [String: Entry]) -> DecodedReplicas {
        var decoded = DecodedReplicas()
        for key in Schema.replicaKeys { decoded.entries[key] = fields[key] }
        if let entry = fields["replicas"] {
            decoded.settings.replicas = integer(entry.value, entry.path, in: 1...Int.max,
                                                expected: Diagnostics.replicasExpected)
        }
        if let entry = fields["port"] {
            decoded.basePort = integer(entry.value, entry.path, in: 1...65534, expected: Diagnostics.basePortExpected)
        }
        if let entry = fields["max_surge"], let value = integer(entry.value, entry.path, in: 1...Int.max,
                                                                 expected: Diagnostics.maxSurgeExpected) {
            decoded.settings.maxSurge = value
        }
        if let entry = fields["progress_deadline"], let value = duration(entry.value, entry.path, positive: true) {
            decoded.settings.progressDeadline = value
        }
        if let entry = fields["autoscale"] { decoded.settings.autoscale = autoscale(entry) }
        if let autoscale = decoded.settings.autoscale, let replicas = decoded.settings.replicas,
           let entry = fields["replicas"], !(autoscale.min...autoscale.max).contains(replicas) {
            report(entry.value, entry.path, found: "\(replicas)",
                   expected: "a whole number from \(autoscale.min) to \(autoscale.max) (autoscale's min and max: "
                       + "replicas is the count the service starts at)")
        }
        return decoded
    }

    /// A process unit's replica keys: `port`, `max_surge` and `progress_deadline` need `replicas` or `autoscale`;
    /// a replicated unit starts at `autoscale.min` without `replicas`, and its replicas' names and ports (up to the
    /// configured count plus `max_surge`) must be valid.
    func checkProcessReplicas(_ decoded: inout DecodedReplicas, unit entry: Entry) {
        guard decoded.isReplicated else {
            for key in ["port", "max_surge", "progress_deadline"] {
                guard let given = decoded.entries[key] else { continue }
                report(given.keyNode, given.path, found: "\(quoted(key)) without replicas",
                       expected: "replicas: N or autoscale beside it (\(key) applies to replicated units)")
            }
            return
        }
        if decoded.settings.replicas == nil, decoded.entries["replicas"] == nil {
            decoded.settings.replicas = decoded.settings.autoscale?.min
        }
        let settings = decoded.settings
        guard let count = settings.configuredMaximum else { return }
        let countName = settings.autoscale == nil ? "replicas" : "autoscale.max"
        let highest = count.addingReportingOverflow(settings.maxSurge)
        guard !highest.overflow else { return }
        let reason = "N goes up to \(highest.partialValue): \(countName) \(count) plus max_surge \(settings.maxSurge)"
        let longest = "\(entry.key)-\(highest.partialValue)"
        if longest.unicodeScalars.count > 64 {
            report(entry.keyNode, entry.path, found: quoted(entry.key),
                   expected: "a name of at most \(64 - longest.unicodeScalars.count + entry.key.unicodeScalars.count) "
                       + "characters (its replicas are named \(shown(entry.key))-N, at most 64 characters, "
                       + "and \(reason))")
        }
        if let port = decoded.basePort, let given = decoded.entries["port"], port > 65535 - highest.partialValue {
            report(given.value, given.path, found: "\(port)",
                   expected: "a port number from 1 to \(Swift.max(0, 65535 - highest.partialValue)) "
                       + "(replica N's {port} is port + N, and \(reason))")
        }
    }

    /// A compose entry's replica keys, or a `container` or `label` entry's, which are refused: supervise scales and
    /// rolls out Compose services only. Nil for those entries.
    func containerReplicas(_ fields: [String: Entry], selector: Entry) -> DecodedReplicas? {
        guard selector.key == "compose" else {
            for key in Schema.containerReplicaKeys {
                guard let given = fields[key] else { continue }
                report(given.keyNode, given.path, found: "\(quoted(key)) in an entry selected by \(selector.key)",
                       expected: "a compose entry (\(Section.list(Schema.containerReplicaKeys, conjunction: "and")) "
                           + "apply to Compose services: containers selected by container or label are not "
                           + "replicated by supervise)")
            }
            return nil
        }
        return replicas(from: fields)
    }

    /// `autoscale.active_calls` needs the replicas' live calls, which are read from their drain's progress URL.
    func checkActiveCalls(_ decoded: DecodedReplicas, drain: DrainSpec?) {
        guard decoded.settings.autoscale?.activeCalls != nil, drain?.progress == nil,
              let autoscale = decoded.entries["autoscale"],
              case .mapping(let mapping) = autoscale.value,
              let key = mapping.keys.first(where: { Diagnostics.keyText($0) == "active_calls" })
        else { return }
        report(key, KeyPath.join(autoscale.path, "active_calls"),
               found: "active_calls without a drain progress URL",
               expected: "drain: {progress: URL} beside autoscale, or in defaults (the live calls are read from "
                   + "each replica's drain progress URL)")
    }
}
