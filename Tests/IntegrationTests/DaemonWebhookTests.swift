import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// Webhooks through a real daemon (`notify:`), to the test's own receivers on loopback (``HookReceiver``): what a unit
/// that gives up and comes back sends, what a receiver that is down costs (retries, then `failed` in the metrics),
/// and a reload that points the webhook elsewhere.
@Suite(.serialized) struct DaemonWebhookTests {
    struct Payload: Decodable {
        var source: String
        var host: String
        var event: SupervisionEvent
    }

    static func payload(_ request: HookReceiver.Request) throws -> Payload {
        try JSONDecoder().decode(Payload.self, from: Data(request.body.utf8))
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func deliveries(_ daemon: DaemonHarness, _ result: String) throws -> Double? {
        metricSample(try daemon.metrics(), "supervise_webhook_deliveries_total", ["result": result])
    }

    @Test("a unit that hits its start limit POSTs gave-up with the event as JSON; supervise restart that brings it up POSTs recovered")
    func gaveUpThenRecovered() throws {
        let receiver = try HookReceiver()
        defer { receiver.stop() }
        let scratch = makeTemporaryDirectory("webhook-flag")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let flag = scratch.appendingPathComponent("fixed").path
        let daemon = try DaemonHarness(config: """
            units:
              steady:
                command: [/bin/sleep, "1000"]
              flaky:
                command: [/bin/sh, -c, "test -f \(flag) || exit 3; exec /bin/sleep 1000"]
                restart: {policy: always, backoff: {initial: 50ms, max: 100ms, jitter: 0}, start_limit: {burst: 3, interval: 30s}}
            notify:
              webhooks:
                - url: http://127.0.0.1:\(receiver.port)/hooks/supervise
                  events: [gave-up, recovered]
                  headers: {X-Team: voice}
            """)
        defer { daemon.stop() }
        let log = try EventSocket(daemon.socketPath, query: "?since=1h")
        defer { log.close() }
        log.startReading()

        #expect(eventually(timeout: 15) { receiver.requests.count >= 1 }, "\(daemon.output.suffix(1500))")
        #expect(try daemon.unit("flaky")?.state == "failed")
        let request = try #require(receiver.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/hooks/supervise")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["user-agent"] == "supervise-webhook")
        #expect(request.headers["x-supervise-event"] == "gave-up")
        #expect(request.headers["x-supervise-attempt"] == "1")
        #expect(request.headers["x-team"] == "voice")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["source", "host", "event"])
        let gaveUp = try Self.payload(request)
        #expect(gaveUp.source == "supervise")
        #expect(gaveUp.host == Self.hostName())
        #expect(gaveUp.event.event == "gave-up")
        #expect(gaveUp.event.unit == "flaky")
        #expect(gaveUp.event.level == "error")
        #expect(gaveUp.event.reason == "start limit hit: 3 starts within 30s (burst 3); last: exit code 3", "\(gaveUp.event)")
        #expect(gaveUp.event.message == "gave up: \(gaveUp.event.reason ?? ""); run `supervise restart flaky` to retry")
        // The very event the stream carries, under the same seq.
        #expect(eventually(timeout: 5) { log.events.contains { $0.seq == gaveUp.event.seq } })
        #expect(log.events.first { $0.seq == gaveUp.event.seq } == gaveUp.event)

        // Fixed, and restarted by the operator: it runs, and the receiver hears it recovered.
        _ = FileManager.default.createFile(atPath: flag, contents: Data())
        let restart = try daemon.cli(["restart", "flaky"])
        #expect(restart.code == 0, "\(restart.output)")
        let pid = try #require(daemon.waitForRunning("flaky"))
        #expect(eventually(timeout: 10) { receiver.requests.count >= 2 }, "\(receiver.requests.map { $0.headers["x-supervise-event"] ?? "" })")
        let second = try #require(receiver.requests.dropFirst().first)
        #expect(second.headers["x-supervise-event"] == "recovered")
        let recovered = try Self.payload(second)
        #expect(recovered.event.event == "recovered")
        #expect(recovered.event.unit == "flaky")
        #expect(recovered.event.level == "notice")
        #expect(recovered.event.reason == gaveUp.event.reason, "the reason it had given up")
        // It carries the seq and time of the start that recovered it.
        #expect(eventually(timeout: 5) { log.events.contains { $0.seq == recovered.event.seq } })
        let start = try #require(log.events.first { $0.seq == recovered.event.seq })
        #expect(start.event == "start" && start.unit == "flaky" && start.message == "started, pid \(pid)", "\(start)")
        #expect(recovered.event.time == start.time)

        // Nothing else was sent: the other events are not subscribed.
        usleep(500_000)
        #expect(receiver.requests.map { $0.headers["x-supervise-event"] ?? "" } == ["gave-up", "recovered"])
        #expect(eventually(timeout: 5) { (try? Self.deliveries(daemon, "sent")) == 2 })
        #expect(try Self.deliveries(daemon, "failed") == 0)
        #expect(try Self.deliveries(daemon, "dropped") == 0)
    }

    @Test("a receiver that is down: the attempt fails and is logged, a retry reaches it once it is up; one down for good is counted failed")
    func receiverDown() throws {
        let (late, dead) = (freeLoopbackPort(), freeLoopbackPort())
        let daemon = try DaemonHarness(config: """
            units:
              doomed:
                command: [/bin/sh, -c, "exit 2"]
                restart: {policy: always, backoff: {initial: 10ms, max: 10ms, jitter: 0}, start_limit: {burst: 2, interval: 30s}}
            notify:
              webhooks:
                - url: http://127.0.0.1:\(late)/late
                - url: http://127.0.0.1:\(dead)/dead
            """)
        defer { daemon.stop() }
        let log = try EventSocket(daemon.socketPath, query: "?since=1h")
        defer { log.close() }
        log.startReading()
        let started = Date()
        func failures(_ path: String) -> [SupervisionEvent] {
            log.events.filter { $0.event == "webhook-failed" && $0.message.hasPrefix("webhook http://127.0.0.1:") && $0.message.contains(path + ": ") }
        }

        // Both first attempts fail, and say so in the log (and the event stream).
        #expect(eventually(timeout: 15) { !failures("/late").isEmpty && !failures("/dead").isEmpty }, "\(log.events.map(\.message))")
        let gaveUp = try #require(log.events.first { $0.event == "gave-up" })
        let first = try #require(failures("/late").first)
        #expect(first.message.hasPrefix("webhook http://127.0.0.1:\(late)/late: gave-up of doomed (seq \(gaveUp.seq)), attempt 1 of 5 failed: connection refused; next attempt in "),
                "\(first.message)")
        #expect(first.level == "warning")
        #expect(first.unit == nil)
        #expect(try Self.deliveries(daemon, "sent") == 0)

        // Up now: the next attempt (about 1 s after the first) gets there.
        let receiver = try HookReceiver(port: late)
        defer { receiver.stop() }
        #expect(eventually(timeout: 15) { receiver.requests.count == 1 })
        let request = try #require(receiver.requests.first)
        #expect(request.headers["x-supervise-attempt"] == "2")
        #expect(try Self.payload(request).event == gaveUp)
        #expect(eventually(timeout: 5) { (try? Self.deliveries(daemon, "sent")) == 1 })

        // The other never comes up: 5 attempts 1, 2, 4 and 8 s apart (± 20 %), then failed.
        #expect(eventually(timeout: 40) { (try? Self.deliveries(daemon, "failed")) == 1 }, "\(failures("/dead").map(\.message))")
        let elapsed = Date().timeIntervalSince(started)
        print("DaemonWebhookTests: the dead webhook was given up \(String(format: "%.1f", elapsed)) s after the daemon started")
        #expect(elapsed >= 11, "1 + 2 + 4 + 8 s of backoff, less 20 %: \(elapsed) s")
        let dead5 = failures("/dead")
        #expect(dead5.count == 5, "\(dead5.map(\.message))")
        #expect(dead5.last?.message.hasSuffix("attempt 5 of 5 failed: connection refused; not delivered") == true, "\(dead5.last?.message ?? "")")
        #expect(try Self.deliveries(daemon, "sent") == 1)
        #expect(try Self.deliveries(daemon, "dropped") == 0)
        #expect(receiver.requests.count == 1, "delivered once")
        // Supervision never waited for any of it.
        #expect(try daemon.unit("doomed")?.state == "failed")
    }

    @Test("a reload with another webhook URL sends new events to the new receiver only; the counts go on; a bad notify is refused")
    func reloadChangesReceiver() throws {
        let old = try HookReceiver()
        defer { old.stop() }
        let new = try HookReceiver()
        defer { new.stop() }
        func config(_ port: Int, _ url: String? = nil) -> String {
            """
            units:
              steady:
                command: [/bin/sleep, "1000"]
            notify:
              webhooks:
                - url: \(url ?? "http://127.0.0.1:\(port)/hooks")
                  events: [start]
            """
        }
        let daemon = try DaemonHarness(config: config(old.port))
        defer { daemon.stop() }
        let log = try EventSocket(daemon.socketPath, query: "?since=1h")
        defer { log.close() }
        log.startReading()
        let firstPid = try #require(daemon.waitForRunning("steady"))
        #expect(eventually(timeout: 10) { old.requests.count == 1 })
        #expect(eventually(timeout: 5) { (try? Self.deliveries(daemon, "sent")) == 1 })

        // A second start, to the old receiver, so that it has more than the new one will.
        #expect(try daemon.cli(["restart", "steady"]).code == 0)
        let secondPid = try #require(daemon.waitForRunning("steady", notPid: firstPid))
        #expect(eventually(timeout: 10) { old.requests.count == 2 })
        #expect(eventually(timeout: 5) { (try? Self.deliveries(daemon, "sent")) == 2 })

        try daemon.writeConfig(config(new.port))
        daemon.process?.signal(SIGHUP)
        #expect(eventually(timeout: 10) { log.events.contains { $0.event == "reload" } }, "\(daemon.output.suffix(1000))")
        #expect(try daemon.cli(["restart", "steady"]).code == 0)
        let thirdPid = try #require(daemon.waitForRunning("steady", notPid: secondPid))
        #expect(eventually(timeout: 10) { new.requests.count == 1 })
        let payload = try Self.payload(try #require(new.requests.first))
        #expect(payload.event.event == "start")
        #expect(payload.event.message == "started, pid \(thirdPid)")
        #expect(new.requests.first?.path == "/hooks")
        usleep(300_000)
        #expect(old.requests.count == 2, "nothing more to the old receiver")
        // Three deliveries in all, whichever notifier made them.
        #expect(eventually(timeout: 5) { (try? Self.deliveries(daemon, "sent")) == 3 }, "sent: \(String(describing: try? Self.deliveries(daemon, "sent")))")

        // A reload with a bad notify is refused: the running webhook stays.
        try daemon.writeConfig(config(new.port, "hooks.example.com/nowhere"))
        daemon.process?.signal(SIGHUP)
        #expect(eventually(timeout: 10) { log.events.contains { $0.event == "reload-failed" } })
        let refused = try #require(log.events.first { $0.event == "reload-failed" })
        #expect(refused.message.contains("notify.webhooks[0].url"), "\(refused.message)")
        #expect(try daemon.cli(["restart", "steady"]).code == 0)
        #expect(eventually(timeout: 10) { new.requests.count == 2 })
        #expect(old.requests.count == 2)
        #expect(eventually(timeout: 5) { (try? Self.deliveries(daemon, "sent")) == 4 })
    }
}
