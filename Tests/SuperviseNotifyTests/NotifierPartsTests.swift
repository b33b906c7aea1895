import SuperviseCore
@testable import SuperviseNotify
import Testing

/// The notifier's parts that need no thread and no network.
@Suite("webhook notifier parts", .serialized)
struct NotifierPartsTests {
    static func gaveUp(_ seq: UInt64) -> SupervisionEvent {
        SupervisionEvent(seq: seq, time: "t\(seq)", level: "error", unit: "a", event: "gave-up", message: "gave up")
    }

    @Test("a delivery published after the thread read its clock is taken, not expired (the clock never wraps)")
    func publishedAfterTheClock() {
        let counters = DeliveryCounters()
        let mailbox = DeliveryMailbox(webhooks: [WebhookSpec(url: "http://127.0.0.1:1/")], capacity: 10, counters: counters)
        let before = MonotonicClock.now()
        mailbox.publish(Self.gaveUp(1))
        let work = mailbox.take(idle: [0], now: before, maxAge: WebhookRetry.default.maxAge.notifyNanoseconds)
        #expect(work.deliveries.map(\.delivery.event.seq) == [1])
        #expect(work.expired.isEmpty)
        // One older than maxAge is failed unsent.
        mailbox.publish(Self.gaveUp(2))
        let late = mailbox.take(idle: [0], now: MonotonicClock.now() + 2_000_000_000, maxAge: 1_000_000_000)
        #expect(late.deliveries.isEmpty)
        #expect(late.expired.map(\.count) == [1])
        mailbox.close()
    }

    @Test("the bounded queue keeps order, grows to its capacity, then pushes out the oldest")
    func boundedQueue() {
        var queue = BoundedQueue<Int>(capacity: 4)
        #expect(queue.append(1) == nil)
        #expect(queue.append(2) == nil)
        #expect(queue.append(3) == nil)
        #expect(queue.popFirst() == 1)
        // Every slot in use after a pop, below capacity: grows with the oldest first.
        #expect(queue.append(4) == nil)
        #expect(queue.append(5) == nil)
        #expect(queue.count == 4)
        #expect(queue.append(6) == 2)
        #expect(queue.append(7) == 3)
        var drained: [Int] = []
        while let next = queue.popFirst() { drained.append(next) }
        #expect(drained == [4, 5, 6, 7])
        #expect(queue.isEmpty)
        #expect(queue.append(8) == nil)
        #expect(queue.removeAll() == 1)
        #expect(queue.popFirst() == nil)

        var one = BoundedQueue<Int>(capacity: 1)
        #expect(one.append(1) == nil)
        #expect(one.append(2) == 1)
        #expect(one.popFirst() == 2)

        // Against a plain array through many wrap-arounds.
        var ring = BoundedQueue<Int>(capacity: 7)
        var model: [Int] = []
        for step in 0..<1_000 {
            if step % 3 == 2 {
                let popped = ring.popFirst()
                let expected = model.isEmpty ? nil : model.removeFirst()
                #expect(popped == expected)
            } else {
                let pushedOut = ring.append(step)
                model.append(step)
                let expected = model.count > 7 ? model.removeFirst() : nil
                #expect(pushedOut == expected)
            }
            #expect(ring.count == model.count)
        }
    }

    @Test("URLs in logs lose their user information, query values and fragment")
    func redaction() {
        #expect(RedactedURL.text("http://127.0.0.1:9000/hooks/supervise") == "http://127.0.0.1:9000/hooks/supervise")
        #expect(RedactedURL.text("https://user:secret@hooks.example.com/x") == "https://***@hooks.example.com/x")
        #expect(RedactedURL.text("https://token@hooks.example.com") == "https://***@hooks.example.com")
        #expect(RedactedURL.text("https://a:b@[::1]:8443/p?key=v") == "https://***@[::1]:8443/p?key=***")
        #expect(RedactedURL.text("https://h/services/T0/B0?token=abc&channel=ops&flag")
            == "https://h/services/T0/B0?token=***&channel=***&***")
        #expect(RedactedURL.text("https://h/p?") == "https://h/p?")
        #expect(RedactedURL.text("https://h/p#secret") == "https://h/p")
        #expect(RedactedURL.text("http://h/a@b") == "http://h/a@b", "an @ in the path is not user information")
        #expect(RedactedURL.text("http://u:p@h?x=1#f") == "http://***@h?x=***")
    }

    @Test("a headers file: Name: value lines, comments and blank lines skipped, errors without the contents")
    func headersFile() throws {
        let text = "# from LoadCredential=\r\nAuthorization: Bearer s3cret  \r\n\n  \nX-Empty:\nX-Tab:\tv\n"
        #expect(try HeadersFile.parse(text, path: "/run/x").get() == ["Authorization: Bearer s3cret", "X-Empty;",
                                                                       "X-Tab: v"])
        #expect(try HeadersFile.parse("", path: "/run/x").get() == [])
        for bad in ["Bearer s3cret\n", "Bad Name: s3cret\n", ": s3cret\n", "X: s3\u{1}cret\n"] {
            let failure = HeadersFile.parse("X-Ok: 1\n" + bad, path: "/run/x")
            #expect(throws: HeadersFileError.self) { try failure.get() }
            guard case .failure(let error) = failure else { continue }
            #expect(error.description == "headers_file /run/x line 2: expected Name: value (a header name, a colon, its value)")
            #expect(!error.description.contains("s3"))
        }
        guard case .failure(let missing) = HeadersFile.read("/nonexistent/supervise-headers") else {
            Issue.record("a missing file is an error")
            return
        }
        #expect(missing.description == "headers_file /nonexistent/supervise-headers does not exist")
    }

    @Test("backoff: 1 s, 2 s, 4 s, 8 s within ± 20 %, capped")
    func backoff() {
        let retry = WebhookRetry.default
        #expect(retry.attempts == 5)
        #expect(retry.maxAge == .seconds(600))
        #expect((1...4).map { retry.delay(afterAttempt: $0, random: 0.5) } == [1, 2, 4, 8].map { Duration.seconds($0) })
        #expect(retry.delay(afterAttempt: 1, random: 0) == .milliseconds(800))
        #expect(retry.delay(afterAttempt: 1, random: 1) == .milliseconds(1200))
        #expect(retry.delay(afterAttempt: 30, random: 0.5) == .seconds(60))
        let tight = WebhookRetry(attempts: 0, initialDelay: .seconds(2), maxDelay: .seconds(1), maxAge: .seconds(5),
                                 jitter: 3)
        #expect(tight.attempts == 1)
        #expect(tight.maxDelay == .seconds(2))
        #expect(tight.jitter == 1)
    }

    @Test("recovered: after gave-up, the unit's next start; after docker-lost, docker-connected")
    func recoveries() {
        func event(_ seq: UInt64, _ name: String, _ unit: String?, reason: String? = nil) -> SupervisionEvent {
            SupervisionEvent(seq: seq, time: "t\(seq)", level: "info", unit: unit, event: name, message: "m\(seq)",
                             reason: reason)
        }
        var tracker = RecoveryTracker()
        #expect(tracker.observe(event(1, "start", "a")) == nil)
        #expect(tracker.observe(event(2, "docker-connected", nil)) == nil)
        #expect(tracker.observe(event(3, "gave-up", "a")) == nil)
        #expect(tracker.observe(event(4, "restart", "a")) == nil)
        #expect(tracker.observe(event(5, "start", "a")) == SupervisionEvent(
            seq: 5, time: "t5", level: "notice", unit: "a", event: "recovered",
            message: "running again after giving up at t3", reason: "m3"))
        #expect(tracker.observe(event(6, "start", "a")) == nil)
        #expect(tracker.observe(event(7, "docker-lost", nil, reason: "refused")) == nil)
        #expect(tracker.observe(event(8, "docker-connected", nil))?.reason == "refused")
        #expect(tracker.observe(event(9, "docker-connected", nil)) == nil)
        #expect(tracker.observe(event(10, "gave-up", "b")) == nil)
        #expect(tracker.observe(event(11, "removed", "b")) == nil)
        #expect(tracker.observe(event(12, "start", "b")) == nil)
    }

    @Test("the payload: source, host and the event with its snake_case keys, sorted; absent values left out")
    func payload() {
        let event = SupervisionEvent(seq: 17, time: "2026-11-29T18:42:28.042Z", level: "error", unit: "worker-3",
                                     event: "gave-up", message: "gave up: start limit hit; run `supervise restart`",
                                     reason: "start limit hit")
        #expect(WebhookPayload.json(host: "voice-1", event: event) == """
            {"event":{"event":"gave-up","level":"error","message":"gave up: start limit hit; run `supervise restart`",\
            "reason":"start limit hit","seq":17,"time":"2026-11-29T18:42:28.042Z","unit":"worker-3"},\
            "host":"voice-1","source":"supervise"}
            """)
        #expect(!WebhookPayload.hostName().isEmpty)
    }
}
