import SuperviseCore
import Yams

/// Reading `restart`, its `backoff` and `start_limit`, and checking that backoff's bounds agree.
extension Diagnostics {
    static let policyNames = RestartPolicy.allCases.map(\.rawValue)
    static let policyExpected = "one of \(Section.list(policyNames))"

    /// `restart`: a policy name (shorthand for `{policy: NAME}`) or a mapping.
    func restart(_ entry: Entry) -> RestartLayer {
        var layer = RestartLayer()
        let node = entry.value
        if case .scalar = node, !node.isNull {
            layer.policy = sourcedPolicy(node, entry.path)
            return layer
        }
        let expected = "a restart policy (\(Section.list(Diagnostics.policyNames))) "
            + "or \(Schema.restart.mappingPhrase)"
        if node.isNull {
            report(node, entry.path, expected: expected)
            return layer
        }
        guard let fields = fields(of: node, at: entry.path, section: Schema.restart, expected: expected) else {
            return layer
        }
        if let entry = fields["policy"] { layer.policy = sourcedPolicy(entry.value, entry.path) }
        if let entry = fields["success_exit_codes"] { layer.success = successStatuses(entry) }
        if let entry = fields["backoff"] { layer.backoff = backoff(entry) }
        if let entry = fields["start_limit"] { layer.startLimit = startLimit(entry) }
        return layer
    }

    /// ``policy(_:_:)``, with where it was written.
    private func sourcedPolicy(_ node: Node, _ path: String) -> Sourced<RestartPolicy>? {
        policy(node, path).map { Sourced(value: $0, position: position(of: node), path: path, text: node.text ?? "") }
    }

    /// `no`, `on-failure`, `always` or `unless-stopped`; YAML 1.1's `no` and `false` both mean `.no`.
    func policy(_ node: Node, _ path: String) -> RestartPolicy? {
        guard let text = text(node, path, expected: Diagnostics.policyExpected) else { return nil }
        if text == "false" { return .no }
        if let policy = RestartPolicy(rawValue: text) { return policy }
        let hint = KeySuggestion.didYouMean(text, among: Diagnostics.policyNames).map { " (\($0))" } ?? ""
        report(node, path, expected: Diagnostics.policyExpected + hint)
        return nil
    }

    /// `success_exit_codes`: exit codes 0...255 and signal names, as a list or a single value.
    func successStatuses(_ entry: Entry) -> SuccessStatuses? {
        let expected = "exit codes 0...255 and signal names, such as [0, 3, SIGHUP]"
        guard let items = items(entry.value, entry.path, singleAllowed: true, expected: "a list of " + expected) else {
            return nil
        }
        var result = SuccessStatuses(codes: [], signals: [])
        var valid = true
        for item in items {
            let itemExpected = "an exit code 0...255 or a signal name such as SIGHUP"
            guard let text = text(item.node, item.path, expected: itemExpected) else {
                valid = false
                continue
            }
            if let code = Int(text) {
                if (0...255).contains(code) {
                    result.codes.insert(Int32(code))
                    continue
                }
            } else if let signal = Signals.parse(text) {
                result.signals.insert(signal)
                continue
            }
            let hint = Int(text) == nil ? Diagnostics.signalHint(text) : ""
            report(item.node, item.path, expected: itemExpected + hint)
            valid = false
        }
        return valid ? result : nil
    }

    /// `backoff`: `initial`, `max`, `multiplier`, `jitter` and `reset_after`.
    func backoff(_ entry: Entry) -> BackoffLayer {
        var layer = BackoffLayer()
        let expected = Schema.backoff.mappingPhrase
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.backoff, expected: expected) else {
            return layer
        }
        layer.initial = sourcedDuration(fields["initial"])
        layer.max = sourcedDuration(fields["max"])
        if let entry = fields["multiplier"] {
            layer.multiplier = number(entry.value, entry.path, in: 1...Double.greatestFiniteMagnitude,
                                      expected: "a number of at least 1, such as 2")
        }
        if let entry = fields["jitter"] {
            layer.jitter = number(entry.value, entry.path, in: 0...1, expected: "a number from 0 to 1, such as 0.1")
        }
        if let entry = fields["reset_after"] { layer.resetAfter = duration(entry.value, entry.path, positive: false) }
        return layer
    }

    /// A positive duration, with where it was written.
    private func sourcedDuration(_ entry: Entry?) -> Sourced<Duration>? {
        guard let entry, let value = duration(entry.value, entry.path, positive: true) else { return nil }
        return Sourced(value: value, position: position(of: entry.value), path: entry.path,
                       text: entry.value.text ?? "")
    }

    /// `start_limit`: `burst` and `interval`.
    func startLimit(_ entry: Entry) -> StartLimitLayer {
        var layer = StartLimitLayer()
        let expected = Schema.startLimit.mappingPhrase
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.startLimit,
                                  expected: expected) else { return layer }
        if let entry = fields["burst"] {
            layer.burst = integer(entry.value, entry.path, in: 1...Int.max,
                                  expected: "a whole number of at least 1, such as 5")
        }
        if let entry = fields["interval"] { layer.interval = duration(entry.value, entry.path, positive: true) }
        return layer
    }

    /// Reports `max` shorter than `initial` once `own` is laid over `base`, at the value `own` gives (at `max` when
    /// it gives both). Nothing when `own` gives neither: that is `base`'s problem, reported with `base`.
    func checkBackoffBounds(_ own: BackoffLayer, over base: BackoffLayer) {
        let merged = own.overriding(base).resolved
        guard merged.max < merged.initial else { return }
        if let max = own.max {
            report(at: max.position, max.path, found: max.text,
                   expected: "a duration at least as long as initial (\(DurationText.format(merged.initial)))")
        } else if let initial = own.initial {
            report(at: initial.position, initial.path, found: initial.text,
                   expected: "a duration no longer than max (\(DurationText.format(merged.max)))")
        }
    }
}
