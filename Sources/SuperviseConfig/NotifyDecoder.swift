import SuperviseCore
import Yams

/// Reading `notify`: the webhooks told about events.
extension Diagnostics {
    static let notifyExpected = "a mapping with the key webhooks, such as "
        + "{webhooks: [{url: \"http://127.0.0.1:9000/hooks/supervise\"}]}"
    static let webhooksExpected = "a list of webhooks, such as [{url: \"http://127.0.0.1:9000/hooks/supervise\"}]"
    static let webhookExpected = "\(Schema.webhook.mappingPhrase), such as "
        + "{url: \"http://127.0.0.1:9000/hooks/supervise\", events: [gave-up, drain-cut]}"
    static let eventsExpected = "a non-empty list of event names, such as [gave-up, drain-cut, docker-lost, recovered]"

    /// `notify`: `webhooks`, a list of webhooks. `notify:` with nothing, or `webhooks: []`, notifies nobody.
    func notify(_ entry: Entry) -> NotifySpec {
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.notify,
                                  expected: Diagnostics.notifyExpected) else { return .none }
        guard let list = fields["webhooks"], !list.value.isNull else { return .none }
        guard let items = items(list.value, list.path, singleAllowed: false, expected: Diagnostics.webhooksExpected)
        else { return .none }
        return NotifySpec(webhooks: items.compactMap(webhook))
    }

    /// One webhook: `url` (required), `events`, `timeout`, `headers` and `headers_file`. Nil after any error.
    private func webhook(_ item: (node: Node, path: String)) -> WebhookSpec? {
        guard let fields = fields(of: item.node, at: item.path, section: Schema.webhook,
                                  expected: Diagnostics.webhookExpected) else { return nil }
        let errorsBefore = errors.count
        var spec = WebhookSpec(url: "")
        if let url = fields["url"] {
            spec.url = self.url(url.value, url.path) ?? ""
        } else {
            report(item.node, KeyPath.join(item.path, "url"), found: "no \"url\"", expected: Diagnostics.urlExpected)
        }
        if let events = fields["events"] { spec.events = self.events(events) }
        if let entry = fields["timeout"], let timeout = duration(entry.value, entry.path, positive: true) {
            spec.timeout = timeout
        }
        if let headers = fields["headers"] { spec.headers = self.headers(headers) }
        if let file = fields["headers_file"] {
            spec.headersFile = absolutePath(file.value, file.path, example: "/run/credentials/supervise.service/webhook")
        }
        return errors.count == errorsBefore ? spec : nil
    }

    /// `events`: a list of event names (or one name), each one of `WebhookSpec.eventNames`.
    private func events(_ entry: Entry) -> Set<String> {
        guard let items = items(entry.value, entry.path, singleAllowed: true, expected: Diagnostics.eventsExpected)
        else { return [] }
        if items.isEmpty {
            report(entry.value, entry.path, found: "an empty list",
                   expected: Diagnostics.eventsExpected + " (leave events out for gave-up, drain-cut and docker-lost)")
        }
        var names: Set<String> = []
        for item in items {
            guard let name = text(item.node, item.path, expected: "an event name such as gave-up") else { continue }
            guard WebhookSpec.eventNames.contains(name) else {
                let hint = KeySuggestion.didYouMean(name, among: WebhookSpec.eventNames).map { " (\($0))" } ?? ""
                report(item.node, item.path, found: "unknown event \(quoted(name))",
                       expected: "an event supervise logs\(hint): \(Section.list(WebhookSpec.eventNames))")
                continue
            }
            names.insert(name)
        }
        return names
    }
}
