import SuperviseCore
import Yams

/// Reading `drain`: how a drain starts (one signal or one HTTP `POST`), where its progress is read, its deadline and,
/// for container entries, the network it goes through.
extension Diagnostics {
    static let drainExpected = "a mapping with the keys signal or http, progress, field and timeout, such as "
        + "{signal: SIGTERM, progress: \"http://127.0.0.1:8081/worker\", timeout: 3600s}, default or none"
    static let oneDrainStartExpected = "exactly one of signal or http (how the drain starts)"
    static let drainProgressExpected = "an http:// or https:// URL, or \(Schema.drainProgress.mappingPhrase), "
        + "such as {url: \"http://127.0.0.1:8081/worker\", field: active_jobs}"
    static let drainFieldExpected =
        "the name of a top-level JSON field holding the live-call count, such as active_jobs"
    static let maxUnavailableExpected = "a whole number of at least 1, such as 1"

    /// A drain: a mapping, `default` (or `{}`, or nothing: one SIGTERM, no progress, an hour), or `none` (no drain
    /// contract, not even the one in `defaults`). `network` is allowed unless `owner` is a process unit. Anything
    /// wrong is reported, and then gives `.none`.
    func drain(_ entry: Entry, owner: LayerOwner) -> DrainSetting {
        let node = entry.value
        switch node.text {
        case "none": return .none
        case "default": return .drain(.default, network: nil)
        default: break
        }
        if case .scalar = node, !node.isNull {
            report(node, entry.path, expected: Diagnostics.drainExpected)
            return .none
        }
        let errorsBefore = errors.count
        let section = owner == .process ? Schema.drain : Schema.containerDrain
        guard let fields = fields(of: node, at: entry.path, section: section, expected: Diagnostics.drainExpected)
        else { return .none }
        var spec = DrainSpec()

        _ = exclusive(Schema.drainStarts, in: fields, expected: Diagnostics.oneDrainStartExpected)
        if let start = fields["signal"], let signal = signal(start.value, start.path) { spec.start = .signal(signal) }
        if let start = fields["http"], let url = url(start.value, start.path) { spec.start = .http(url: url) }

        let field = fields["field"]
        if let progress = fields["progress"] {
            spec.progress = drainProgress(progress, field: field)
        } else if let field {
            report(field.keyNode, field.path, found: "\"field\" without \"progress\"",
                   expected: "a progress URL beside it (field names the JSON field of the progress response): "
                       + "{progress: URL, field: \(field.value.text ?? "active_jobs")}")
        }
        if let entry = fields["timeout"], let timeout = duration(entry.value, entry.path, positive: true) {
            spec.timeout = timeout
        }
        let network = fields["network"]
        if let network, let value = probeNetwork(network) { spec.network = value }
        guard errors.count == errorsBefore else { return .none }
        return .drain(spec, network: network)
    }

    /// `progress`: a URL (with the drain's `field`, default `active_jobs`), or a mapping with `url`, `field` and
    /// `interval`.
    private func drainProgress(_ entry: Entry, field: Entry?) -> DrainProgress? {
        if case .scalar = entry.value, !entry.value.isNull {
            let name = field.map(drainField)
            guard let url = url(entry.value, entry.path) else { return nil }
            var progress = DrainProgress(url: url)
            if let name = name ?? nil { progress.field = name }
            return progress
        }
        if entry.value.isNull {
            report(entry.value, entry.path, expected: Diagnostics.drainProgressExpected)
            return nil
        }
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.drainProgress,
                                  expected: Diagnostics.drainProgressExpected) else { return nil }
        if let field {
            var found = "\"field\" beside a progress mapping"
            if let at = position(of: entry.keyNode) { found += " (progress at line \(at.line), column \(at.column))" }
            report(field.keyNode, field.path, found: found,
                   expected: "field inside progress: {progress: {url: ..., field: ...}}")
        }
        var progress = DrainProgress(url: "")
        if let url = fields["url"] {
            progress.url = self.url(url.value, url.path) ?? ""
        } else {
            report(entry.keyNode, KeyPath.join(entry.path, "url"), found: "no \"url\"",
                   expected: Diagnostics.urlExpected)
        }
        if let field = fields["field"], let name = drainField(field) { progress.field = name }
        if let entry = fields["interval"], let interval = duration(entry.value, entry.path, positive: true) {
            progress.interval = interval
        }
        return progress
    }

    /// `field`: a top-level JSON field name, not empty, on one line.
    private func drainField(_ entry: Entry) -> String? {
        guard let name = text(entry.value, entry.path, expected: Diagnostics.drainFieldExpected) else { return nil }
        guard !name.isEmpty else {
            report(entry.value, entry.path, found: "an empty string", expected: Diagnostics.drainFieldExpected)
            return nil
        }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            report(entry.value, entry.path, expected: Diagnostics.drainFieldExpected)
            return nil
        }
        return name
    }
}
