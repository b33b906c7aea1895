import Foundation
import SuperviseConfig
import SuperviseCore
import Testing

let webhookKeys = "url, events, timeout, headers and headers_file"
let webhookExpected = "a mapping with the keys \(webhookKeys), such as "
    + "{url: \"http://127.0.0.1:9000/hooks/supervise\", events: [gave-up, drain-cut]}"
let eventList = WebhookSpec.eventNames.dropLast().joined(separator: ", ") + " or " + WebhookSpec.eventNames.last!

/// `expected` for an unknown event name, with the suggestion written as the loader writes it (or none).
func unknownEventExpected(_ suggestion: String? = nil) -> String {
    "an event supervise logs\(suggestion.map { " (did you mean \"\($0)\"?)" } ?? ""): \(eventList)"
}

@Suite("notify: webhooks", .serialized)
struct NotifyConfigTests {
    @Test("without notify, nobody is notified")
    func absent() throws {
        #expect(try ConfigLoader.parse(yaml: "units: {}\n", file: testFile).notify == .none)
        #expect(try ConfigLoader.parse(yaml: "units: {}\nnotify:\n", file: testFile).notify == .none)
        #expect(try ConfigLoader.parse(yaml: "units: {}\nnotify: {}\n", file: testFile).notify == .none)
        #expect(try ConfigLoader.parse(yaml: "units: {}\nnotify: {webhooks: []}\n", file: testFile).notify == .none)
        #expect(try ConfigLoader.parse(yaml: "units: {}\nnotify:\n  webhooks:\n", file: testFile).notify == .none)
    }

    @Test("a webhook with only a URL gets gave-up, drain-cut and docker-lost, 5s per attempt, no headers")
    func defaults() throws {
        let config = try ConfigLoader.parse(yaml: """
            units: {}
            notify:
              webhooks:
                - url: http://127.0.0.1:9000/hooks/supervise
            """, file: testFile)
        #expect(config.notify == NotifySpec(webhooks: [WebhookSpec(url: "http://127.0.0.1:9000/hooks/supervise")]))
        #expect(config.notify.webhooks[0].events == ["gave-up", "drain-cut", "docker-lost"])
        #expect(config.notify.webhooks[0].timeout == .seconds(5))
        #expect(config.notify.webhooks[0].headers.isEmpty)
        #expect(config.notify.webhooks[0].headersFile == nil)
    }

    @Test("every key, several webhooks, one event written without a list")
    func fullForm() throws {
        let config = try ConfigLoader.parse(yaml: """
            units:
              a:
                command: [x]
            notify:
              webhooks:
                - url: http://127.0.0.1:9000/hooks/supervise
                  events: [gave-up, drain-cut, docker-lost, recovered, gave-up]
                  timeout: 2500ms
                  headers: {Authorization: "Bearer abc", X-Empty: ""}
                - url: "https://hooks.example.com/T000/B000?token=xyz"
                  events: recovered
                  headers_file: /run/credentials/supervise.service/webhook
                - {url: "HTTP://[::1]:9001/", events: [start, exit, operator-restart]}
            """, file: testFile)
        #expect(config.notify.webhooks == [
            WebhookSpec(url: "http://127.0.0.1:9000/hooks/supervise",
                        events: ["gave-up", "drain-cut", "docker-lost", "recovered"], timeout: .milliseconds(2500),
                        headers: ["Authorization": "Bearer abc", "X-Empty": ""]),
            WebhookSpec(url: "https://hooks.example.com/T000/B000?token=xyz", events: ["recovered"],
                        headersFile: "/run/credentials/supervise.service/webhook"),
            WebhookSpec(url: "HTTP://[::1]:9001/", events: ["start", "exit", "operator-restart"]),
        ])
        #expect(config.units.map(\.name) == ["a"])
        #expect(config.notify.webhooks[1].wants("recovered"))
        #expect(!config.notify.webhooks[1].wants("gave-up"))
    }

    @Test("each mistake is reported at its line and column, with the key path and what was expected")
    func mistakes() {
        let found = errors("""
            units: {}
            notify:
              webhooks:
                - url: "127.0.0.1:9000/hooks"
                  events: [gave-up, gave_up, drain-cutt, exploded]
                  timeout: 0s
                  headers: {"Bad Header": x}
                  headers_file: secrets/hook
                - events: []
                  retries: 3
                - http://127.0.0.1:9000/
              url: http://x/
            """)
        #expect(found == [
            error(4, 12, "notify.webhooks[0].url", found: "\"127.0.0.1:9000/hooks\"", expected: urlExpected),
            error(5, 25, "notify.webhooks[0].events[1]", found: "unknown event \"gave_up\"",
                  expected: unknownEventExpected("gave-up")),
            error(5, 34, "notify.webhooks[0].events[2]", found: "unknown event \"drain-cutt\"",
                  expected: unknownEventExpected("drain-cut")),
            error(5, 46, "notify.webhooks[0].events[3]", found: "unknown event \"exploded\"",
                  expected: unknownEventExpected()),
            error(6, 16, "notify.webhooks[0].timeout", found: "\"0s\"", expected: positiveDurationExpected),
            error(7, 17, "notify.webhooks[0].headers.Bad Header", found: "\"Bad Header\"",
                  expected: "a header name of letters, digits and !#$%&'*+-.^_`|~"),
            error(8, 21, "notify.webhooks[0].headers_file", found: "\"secrets/hook\"",
                  expected: "an absolute path such as /run/credentials/supervise.service/webhook"),
            error(9, 7, "notify.webhooks[1].url", found: "no \"url\"", expected: urlExpected),
            error(9, 15, "notify.webhooks[1].events", found: "an empty list",
                  expected: "a non-empty list of event names, such as [gave-up, drain-cut, docker-lost, recovered] "
                      + "(leave events out for gave-up, drain-cut and docker-lost)"),
            error(10, 7, "notify.webhooks[1].retries", found: "unknown key \"retries\"",
                  expected: "a key of a webhook (failed deliveries are retried by supervise: up to 5 attempts "
                      + "within 10 minutes)"),
            error(11, 7, "notify.webhooks[2]", found: "\"http://127.0.0.1:9000/\"", expected: webhookExpected),
            error(12, 3, "notify.url", found: "unknown key \"url\"",
                  expected: "a key of notify (url goes in an entry of webhooks: notify: {webhooks: [{url: ...}]})"),
        ])
    }

    @Test("notify and webhooks of the wrong shape, misspelt keys, webhooks at the top level")
    func shapes() {
        #expect(errors("units: {}\nnotify: [x]\n") == [
            error(2, 9, "notify", found: "a list", expected: "a mapping with the key webhooks, such as "
                + "{webhooks: [{url: \"http://127.0.0.1:9000/hooks/supervise\"}]}"),
        ])
        #expect(errors("units: {}\nnotify: {webhooks: http://x/}\n") == [
            error(2, 20, "notify.webhooks", found: "\"http://x/\"",
                  expected: "a list of webhooks, such as [{url: \"http://127.0.0.1:9000/hooks/supervise\"}]"),
        ])
        #expect(errors("units: {}\nnotify:\n  webhook: []\n") == [
            error(3, 3, "notify.webhook", found: "unknown key \"webhook\"",
                  expected: "a known key (did you mean \"webhooks\"?)"),
        ])
        #expect(errors("units: {}\nnotify:\n  webhooks:\n    - url: http://x/\n      event: [gave-up]\n") == [
            error(5, 7, "notify.webhooks[0].event", found: "unknown key \"event\"",
                  expected: "a known key (did you mean \"events\"?)"),
        ])
        #expect(errors("units: {}\nnotify:\n  webhooks:\n    - url: http://x/\n      events: {gave-up: true}\n") == [
            error(5, 15, "notify.webhooks[0].events", found: "a mapping",
                  expected: "a non-empty list of event names, such as [gave-up, drain-cut, docker-lost, recovered]"),
        ])
        #expect(errors("units: {}\nwebhooks: []\n") == [
            error(2, 1, "webhooks", found: "unknown key \"webhooks\"",
                  expected: "a top-level key (webhooks goes under notify: notify: {webhooks: [{url: ...}]})"),
        ])
    }

    @Test("the event names are exactly the SUPERVISE_EVENT values the core and the daemon log, and recovered")
    func eventNamesMatchTheCore() throws {
        let core = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/SuperviseCore")
        let files = try FileManager.default.contentsOfDirectory(atPath: core.path).filter { $0.hasSuffix(".swift") }
        // `log(.error, name, "gave-up", …)`, `log(clean ? .info : .warning, name, "exit", …)`: the first string
        // literal of a `log(` call on its line, when it is a plain name.
        let call = try Regex(#"log\([^"\n]*?"([a-z][a-z-]*)""#)
        var logged: Set<String> = []
        for file in files {
            let text = try String(contentsOf: core.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: call) {
                if let name = match.output[1].substring { logged.insert(String(name)) }
            }
        }
        // `log(.notice, name, "operator-\(command.rawValue)", …)`.
        logged.formUnion(OperatorCommand.allCases.map { "operator-\($0.rawValue)" })
        #expect(logged.count > 40, "the scan found the core's log calls")
        #expect(Set(WebhookSpec.eventNames) == logged.union(WebhookSpec.daemonEventNames).union([WebhookSpec.recovered]))
        // Each of the daemon's own is written in its sources.
        let daemon = core.deletingLastPathComponent().appendingPathComponent("SuperviseDaemon")
        let daemonText = try FileManager.default.contentsOfDirectory(atPath: daemon.path).filter { $0.hasSuffix(".swift") }
            .map { try String(contentsOf: daemon.appendingPathComponent($0), encoding: .utf8) }.joined()
        for name in WebhookSpec.daemonEventNames { #expect(daemonText.contains("\"\(name)\""), "\(name) is not logged by the daemon") }
        #expect(WebhookSpec.eventNames == WebhookSpec.eventNames.sorted())
        #expect(WebhookSpec.defaultEvents.isSubset(of: WebhookSpec.eventNames))
    }
}
