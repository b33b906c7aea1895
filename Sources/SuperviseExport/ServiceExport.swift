import SuperviseCore

/// What the export knows about one Compose service that a `compose` entry of the configuration supervises, and the
/// notices it collects while mapping it. The mapping itself is in the extensions: ``ProbeMapping``-style files for
/// probes, drain, autoscaling and the objects.
struct ServiceExport {
    /// The `containers` entry.
    var selector: ContainerSelector
    /// The Compose service it selects.
    var compose: ComposeService
    /// The project's services (for published ports, such as the Redis a trigger reads).
    var project: ComposeProject
    /// The configuration file's name, for notices.
    var configFile: String
    var namespace: String?
    /// `app.kubernetes.io/part-of`: the Compose project, when known.
    var partOf: String?
    var notices: [ExportNotice] = []

    /// The entry's key path in the configuration (`containers.worker`).
    var entryPath: String { "containers.\(selector.key)" }

    /// The supervise policy of the entry: probes, drain, restart, stop timeout.
    var spec: UnitSpec { selector.template }

    /// A notice about `key` of the entry.
    mutating func note(_ key: String, _ message: String) {
        notices.append(ExportNotice(configPlace(key), message))
    }

    /// Where `key` of the entry is: the configuration file and the key path (the loader keeps no positions).
    func configPlace(_ key: String) -> SourcePlace {
        SourcePlace(file: configFile, keyPath: key.isEmpty ? entryPath : "\(entryPath).\(key)")
    }

    /// A notice about a place of the Compose file.
    mutating func note(_ place: SourcePlace, _ message: String) {
        notices.append(ExportNotice(place, message))
    }

    /// The Kubernetes name of the service: its Compose name in lower case, `_` and `.` as `-` (a DNS label).
    var objectName: String { Self.dnsLabel(compose.name) }

    static func dnsLabel(_ name: String) -> String {
        var label = String(name.lowercased().unicodeScalars.map { scalar -> Character in
            scalar.isASCIIAlphanumeric ? Character(scalar) : "-"
        })
        while label.first == "-" { label.removeFirst() }
        // A Service's name (RFC 1035) starts with a letter.
        if label.first.map({ !$0.isLetter }) ?? true { label = "svc-" + label }
        label = String(label.prefix(63))
        while label.last == "-" { label.removeLast() }
        return label
    }

    /// `app.kubernetes.io/name` and `app.kubernetes.io/part-of`: the labels of every object, and the selector.
    var labels: [Label] {
        var labels = [Label("app.kubernetes.io/name", objectName)]
        if let partOf { labels.append(Label("app.kubernetes.io/part-of", partOf)) }
        return labels
    }

    var metadata: ObjectMeta { ObjectMeta(name: objectName, namespace: namespace, labels: labels) }

    /// Whole seconds for Kubernetes, rounded up, at least `minimum`; a notice when that changes the value.
    mutating func seconds(_ duration: Duration, minimum: Int = 1, key: String) -> Int {
        seconds(duration, minimum: minimum, at: configPlace(key))
    }

    /// ``seconds(_:minimum:key:)`` with the notice at `place`.
    mutating func seconds(_ duration: Duration, minimum: Int = 1, at place: SourcePlace) -> Int {
        let nanoseconds = duration.nanosecondsClamped
        let whole = Int(nanoseconds / 1_000_000_000) + (nanoseconds % 1_000_000_000 == 0 ? 0 : 1)
        let result = max(whole, minimum)
        if Int64(result) * 1_000_000_000 != nanoseconds {
            note(place, "\(DurationText.format(duration)) is written \(result)s: Kubernetes counts whole seconds"
                     + (minimum > 0 ? ", at least \(minimum)" : ""))
        }
        return result
    }

    /// The container port behind `port` as a probe or drain URL of the entry names it: with `network: container`
    /// the port is the container's own; with `network: host`, a port the Compose service publishes is mapped to
    /// its target, and any other port is taken as the container's with a notice.
    mutating func containerPort(_ port: Int, network: ProbeNetwork, key: String) -> Int {
        guard network == .host else { return port }
        if let published = compose.ports.first(where: { $0.published == port }) { return published.target }
        if compose.ports.contains(where: { $0.target == port && $0.published == nil }) { return port }
        note(key, "port \(port) is reached from the host (network: host) but the Compose service does not publish it: "
                 + "taken as the container's own port; check it, or set network: container")
        return port
    }

    /// Whether `host` is this machine: then a probe of the pod leaves `host` out (the pod's own address).
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// `text` with `{replica}` filled with 1, and a notice when there was one: every pod of a Deployment is made
    /// from one template.
    mutating func firstReplica(_ text: String, key: String) -> String {
        guard text.contains("{replica}") else { return text }
        note(key, "{replica} has no counterpart (every pod of a Deployment is made from one template, with the same "
                 + "ports): filled with 1, as for \(compose.name)-1")
        return text.replacingOccurrences(of: "{replica}", with: "1")
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) {
                return index..<self.index(index, offsetBy: target.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}
