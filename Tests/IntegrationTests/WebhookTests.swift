import Foundation
import SuperviseCore
import SuperviseNotify
import Synchronization
import Testing

/// `WebhookNotifier` against HTTP receivers of the test's own on loopback ports: what is posted, to whom, how
/// failures are retried, and that neither a dead receiver nor a full queue holds anything up.
@Suite(.serialized) struct WebhookTests {
    /// An event as the journal would record it.
    static func event(_ seq: UInt64, _ name: String, unit: String? = "worker-1", level: String = "error",
                      reason: String? = nil) -> SupervisionEvent {
        SupervisionEvent(seq: seq, time: "2026-11-29T18:42:\(String(format: "%02d", seq % 60)).042Z", level: level,
                         unit: unit, event: name, message: "\(name) of \(unit ?? "docker")", reason: reason)
    }

    static func webhook(_ port: Int, _ path: String = "/hooks/supervise", events: Set<String> = WebhookSpec.defaultEvents,
                        timeout: Duration = .seconds(5), headers: [String: String] = [:],
                        headersFile: String? = nil) -> WebhookSpec {
        WebhookSpec(url: "http://127.0.0.1:\(port)\(path)", events: events, timeout: timeout, headers: headers,
                    headersFile: headersFile)
    }

    /// Threads of this process named `name` (`/proc/self/task/*/comm`).
    static func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.count
    }

    @Test("the payload reaches the receiver as JSON, with the configured headers, those of headers_file, and the event")
    func payloadAndHeaders() throws {
        let receiver = try HookReceiver()
        defer { receiver.stop() }
        let directory = makeTemporaryDirectory("webhook")
        defer { try? FileManager.default.removeItem(at: directory) }
        let headersFile = directory.appendingPathComponent("headers").path
        try "# a systemd credential\nX-From-File: yes\n\nX-Token:   s3cret \n".write(toFile: headersFile, atomically: true,
                                                                                  encoding: .utf8)
        let log = LogLines()
        let notifier = WebhookNotifier(spec: NotifySpec(webhooks: [
            Self.webhook(receiver.port, headers: ["Authorization": "Bearer t0ken"], headersFile: headersFile),
        ]), host: "voice-host-1", log: log.append)
        defer { notifier.stop() }
        // Published before start: queued, then sent once the thread runs.
        let gaveUp = Self.event(17, "gave-up", unit: "worker-3", reason: "start limit hit (5 starts in 10s)")
        notifier.publish(gaveUp)
        notifier.start()

        #expect(eventually(timeout: 10) { notifier.counters.sent == 1 }, "\(notifier.counters) \(log.all)")
        let request = try #require(receiver.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/hooks/supervise")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["authorization"] == "Bearer t0ken")
        #expect(request.headers["x-from-file"] == "yes")
        #expect(request.headers["x-token"] == "s3cret")
        #expect(request.headers["x-supervise-event"] == "gave-up")
        #expect(request.headers["x-supervise-attempt"] == "1")
        #expect(request.headers["user-agent"] == "supervise-webhook")

        let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["source", "host", "event"])
        #expect(object["source"] as? String == "supervise")
        #expect(object["host"] as? String == "voice-host-1")
        let event = try #require(object["event"] as? [String: Any])
        #expect(event["seq"] as? Int == 17)
        #expect(event["time"] as? String == gaveUp.time)
        #expect(event["level"] as? String == "error")
        #expect(event["unit"] as? String == "worker-3")
        #expect(event["event"] as? String == "gave-up")
        #expect(event["message"] as? String == "gave-up of worker-3")
        #expect(event["reason"] as? String == "start limit hit (5 starts in 10s)")
        #expect(event["exit"] == nil, "absent values are left out")
        struct Payload: Decodable { var event: SupervisionEvent }
        #expect(try JSONDecoder().decode(Payload.self, from: Data(request.body.utf8)).event == gaveUp)
        #expect(notifier.counters == WebhookCounters(sent: 1))
        #expect(log.all.isEmpty)
    }

    @Test("each webhook gets only the events it subscribes to, in order; by default gave-up, drain-cut, docker-lost")
    func eventFilter() throws {
        let receiver = try HookReceiver()
        defer { receiver.stop() }
        let log = LogLines()
        let notifier = WebhookNotifier(spec: NotifySpec(webhooks: [
            Self.webhook(receiver.port, "/drain-cut", events: ["drain-cut"]),
            Self.webhook(receiver.port, "/default"),
        ]), log: log.append)
        defer { notifier.stop() }
        notifier.start()
        for (seq, name) in ["start", "exit", "restart", "drain-cut", "unhealthy", "gave-up", "docker-lost",
                            "healthy"].enumerated() {
            notifier.publish(Self.event(UInt64(seq + 1), name, unit: name == "docker-lost" ? nil : "worker-1"))
        }
        #expect(eventually(timeout: 10) { notifier.counters.sent == 4 }, "\(notifier.counters) \(log.all)")
        usleep(300_000) // nothing else arrives
        let received = receiver.requests.map { ($0.path, $0.headers["x-supervise-event"] ?? "") }
        #expect(received.filter { $0.0 == "/drain-cut" }.map(\.1) == ["drain-cut"])
        #expect(received.filter { $0.0 == "/default" }.map(\.1) == ["drain-cut", "gave-up", "docker-lost"])
        #expect(notifier.counters == WebhookCounters(sent: 4))
    }

    @Test("a receiver that answers 500 twice gets the event on the third attempt, after about 1 s and 2 s")
    func retriesWithBackoff() throws {
        let receiver = try HookReceiver { index in index < 2 ? .status(500, "not now") : .status(200, "") }
        defer { receiver.stop() }
        let log = LogLines()
        // Credentials in the URL are sent (curl makes them Basic auth) but never logged.
        let spec = WebhookSpec(url: "http://hook:pa55word@127.0.0.1:\(receiver.port)/hooks/supervise?token=s3cret&x",
                               events: ["drain-cut"])
        let notifier = WebhookNotifier(spec: NotifySpec(webhooks: [spec]), log: log.append)
        defer { notifier.stop() }
        notifier.start()
        notifier.publish(Self.event(3, "drain-cut", unit: "worker-2"))

        #expect(eventually(timeout: 20) { notifier.counters.sent == 1 }, "\(notifier.counters) \(log.all)")
        #expect(notifier.counters == WebhookCounters(sent: 1, failed: 0, dropped: 0, retried: 2))
        let requests = receiver.requests
        #expect(requests.map { $0.headers["x-supervise-attempt"] } == ["1", "2", "3"])
        #expect(requests.map { $0.headers["authorization"] } == Array(repeating: "Basic aG9vazpwYTU1d29yZA==", count: 3))
        #expect(Set(requests.map(\.body)).count == 1, "every attempt carries the same payload")
        // Backoff 1 s then 2 s, each ± 20 %: only lower bounds, the machine is shared.
        let gaps = zip(requests.dropFirst(), requests).map { $0.received - $1.received }
        print("WebhookTests: attempts \(gaps.map { String(format: "%.2f", $0) }.joined(separator: " s, ")) s apart; log: \(log.all)")
        #expect(gaps.count == 2)
        #expect(gaps.first.map { $0 >= 0.75 } == true, "\(gaps)")
        #expect(gaps.last.map { $0 >= 1.5 } == true, "\(gaps)")
        #expect(gaps.first.map { gaps.last! > $0 } == true, "the wait grows: \(gaps)")

        let lines = log.all
        #expect(lines.count == 2, "\(lines)")
        let shown = "http://***@127.0.0.1:\(receiver.port)/hooks/supervise?token=***&***"
        #expect(lines.first?.hasPrefix("webhook \(shown): drain-cut of worker-2 (seq 3), attempt 1 of 5 failed: "
            + "HTTP 500: not now; next attempt in ") == true, "\(lines)")
        #expect(lines.last?.contains("attempt 2 of 5 failed: HTTP 500: not now") == true, "\(lines)")
        #expect(!lines.joined().contains("pa55word") && !lines.joined().contains("s3cret"))
    }

    @Test("a receiver that is down, then up, gets the event")
    func receiverDownThenUp() throws {
        let port = freeLoopbackPort()
        let log = LogLines()
        let notifier = WebhookNotifier(spec: NotifySpec(webhooks: [Self.webhook(port)]), log: log.append)
        defer { notifier.stop() }
        notifier.start()
        notifier.publish(Self.event(9, "docker-lost", unit: nil, level: "warning"))
        #expect(eventually(timeout: 10) { !log.all.isEmpty })
        #expect(log.all.first?.contains("docker-lost (seq 9), attempt 1 of 5 failed: connection refused") == true,
                "\(log.all)")
        #expect(notifier.counters.sent == 0)

        let receiver = try HookReceiver(port: port)
        defer { receiver.stop() }
        #expect(eventually(timeout: 20) { notifier.counters.sent == 1 }, "\(notifier.counters) \(log.all)")
        #expect(receiver.requests.count == 1)
        #expect(notifier.counters.failed == 0)
        #expect(notifier.counters.retried >= 1)
    }

    @Test("a receiver that never answers does not hold back another webhook, nor stop()")
    func deadReceiverIsolated() throws {
        let silent = try HookReceiver { _ in .silence }
        defer { silent.stop() }
        let healthy = try HookReceiver()
        defer { healthy.stop() }
        let log = LogLines()
        let notifier = WebhookNotifier(spec: NotifySpec(webhooks: [
            Self.webhook(silent.port, timeout: .seconds(60)),
            Self.webhook(healthy.port, timeout: .seconds(1)),
        ]), log: log.append)
        defer { notifier.stop() }
        notifier.start()

        let started = Date()
        notifier.publish(Self.event(1, "gave-up"))
        #expect(eventually(timeout: 10) { healthy.requests.count == 1 })
        // Within the healthy webhook's own timeout (1 s), plus room for a busy machine; far below the silent
        // receiver's 60 s.
        #expect(Date().timeIntervalSince(started) < 5, "\(Date().timeIntervalSince(started)) s")
        #expect(eventually(timeout: 5) { silent.requests.count == 1 }, "the silent receiver has the request")
        notifier.publish(Self.event(2, "drain-cut"))
        #expect(eventually(timeout: 5) { healthy.requests.count == 2 }, "and the next one, meanwhile")
        #expect(silent.requests.count == 1, "one delivery at a time per webhook")

        let stopping = Date()
        notifier.stop()
        #expect(Date().timeIntervalSince(stopping) < 1, "stop() does not wait for the hung attempt")
        // The hung attempt and the silent webhook's queued event are abandoned.
        #expect(notifier.counters == WebhookCounters(sent: 2, failed: 0, dropped: 2, retried: 0))
        #expect(log.all.isEmpty, "\(log.all)")
    }

    @Test("a full queue drops the oldest deliveries and counts them; 10,000 publishes return at once")
    func overflow() throws {
        let port = freeLoopbackPort() // nothing listens: every attempt fails, nothing leaves the queue
        let log = LogLines()
        let notifier = WebhookNotifier(spec: NotifySpec(webhooks: [Self.webhook(port, events: ["restart"])]),
                                       log: log.append)
        defer { notifier.stop() }
        notifier.start()
        let events = (1...10_000).map { Self.event(UInt64($0), "restart") }
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for event in events { notifier.publish(event) }
        }
        print("WebhookTests: 10,000 publishes took \(elapsed)")
        #expect(elapsed < .milliseconds(500), "10,000 publishes took \(elapsed)")
        // 1,000 stay queued (one more may have been taken by the delivery thread meanwhile).
        let dropped = notifier.counters.dropped
        #expect((8_999...9_000).contains(dropped), "\(notifier.counters)")
        #expect(eventually(timeout: 10) { log.all.contains { $0.contains("dropped: its queue was full") } }, "\(log.all)")
        let overflowLines = log.all.filter { $0.contains("dropped: its queue was full") }
        #expect(overflowLines.first?.hasPrefix("webhook http://127.0.0.1:\(port)/hooks/supervise: ") == true)
        notifier.stop()
        let counters = notifier.counters
        #expect(counters.sent == 0)
        #expect(counters.dropped + counters.failed == 10_000, "every delivery is accounted for: \(counters)")
    }

    @Test("recovered: a unit that gave up starts again; Docker reconnects after docker-lost")
    func recovered() throws {
        let receiver = try HookReceiver()
        defer { receiver.stop() }
        let log = LogLines()
        let notifier = WebhookNotifier(spec: NotifySpec(webhooks: [
            Self.webhook(receiver.port, events: ["recovered"]),
        ]), log: log.append)
        defer { notifier.stop() }
        notifier.start()
        let history: [SupervisionEvent] = [
            Self.event(1, "docker-connected", unit: nil, level: "info"),    // the first connection: no recovery
            Self.event(2, "start", unit: "worker-1", level: "info"),
            Self.event(3, "gave-up", unit: "worker-1", reason: "start limit hit"),
            Self.event(4, "start", unit: "worker-2", level: "info"),        // another unit
            Self.event(5, "gave-up", unit: "worker-1", reason: "again"),    // still the first failure
            Self.event(6, "start", unit: "worker-1", level: "info"),        // recovered
            Self.event(7, "start", unit: "worker-1", level: "info"),        // no longer failed
            Self.event(8, "gave-up", unit: "worker-3", reason: "spawn failed"),
            Self.event(9, "removed", unit: "worker-3", level: "info"),      // forgotten
            Self.event(10, "start", unit: "worker-3", level: "info"),
            Self.event(11, "docker-lost", unit: nil, level: "warning", reason: "connection refused"),
            Self.event(12, "docker-lost", unit: nil, level: "warning", reason: "still refused"),
            Self.event(13, "docker-connected", unit: nil, level: "info"),   // recovered
            Self.event(14, "docker-connected", unit: nil, level: "info"),
        ]
        for event in history { notifier.publish(event) }
        #expect(eventually(timeout: 10) { notifier.counters.sent == 2 }, "\(notifier.counters) \(log.all)")
        usleep(300_000)
        struct Payload: Decodable { var event: SupervisionEvent }
        let events = try receiver.requests.map { try JSONDecoder().decode(Payload.self, from: Data($0.body.utf8)).event }
        #expect(events == [
            SupervisionEvent(seq: 6, time: history[5].time, level: "notice", unit: "worker-1", event: "recovered",
                             message: "running again after giving up at \(history[2].time)", reason: "start limit hit"),
            SupervisionEvent(seq: 13, time: history[12].time, level: "notice", unit: nil, event: "recovered",
                             message: "Docker API reachable again after it was lost at \(history[10].time)",
                             reason: "connection refused"),
        ])
    }

    @Test("stop() ends the delivery thread promptly; later events are dropped; a stopped notifier stays stopped")
    func stopEndsThread() throws {
        let receiver = try HookReceiver()
        defer { receiver.stop() }
        let name = WebhookNotifier.threadName
        let before = Self.threads(named: name)
        let notifier = WebhookNotifier(spec: NotifySpec(webhooks: [Self.webhook(receiver.port)]), log: { _ in })
        defer { notifier.stop() }
        #expect(Self.threads(named: name) == before, "no thread before start()")
        notifier.start()
        notifier.start()
        #expect(eventually(timeout: 5) { Self.threads(named: name) == before + 1 }, "one thread, named \(name)")
        notifier.publish(Self.event(1, "gave-up"))
        #expect(eventually(timeout: 10) { notifier.counters.sent == 1 })

        let stopping = Date()
        notifier.stop()
        #expect(Date().timeIntervalSince(stopping) < 1)
        #expect(eventually(timeout: 2) { Self.threads(named: name) == before }, "the thread is gone")
        notifier.publish(Self.event(2, "gave-up"))
        notifier.start()
        notifier.stop()
        #expect(Self.threads(named: name) == before)
        #expect(notifier.counters == WebhookCounters(sent: 1, dropped: 1))
        #expect(receiver.requests.count == 1)

        // Without webhooks there is no thread at all.
        let idle = WebhookNotifier(spec: .none, log: { _ in })
        idle.start()
        idle.publish(Self.event(3, "gave-up"))
        #expect(Self.threads(named: name) == before)
        #expect(idle.counters == WebhookCounters())
        idle.stop()
    }
}

/// Log lines of a notifier, collected for the test.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    @Sendable func append(_ line: String) { lines.withLock { $0.append(line) } }
}

/// The test's own webhook receiver (not part of supervise): a plain-socket HTTP/1.1 server on 127.0.0.1 that
/// records every request and answers as `reply` says for the n-th one (0-based), on one thread of its own.
/// `stop()` closes the listening socket and every connection and joins the thread; `deinit` calls it.
final class HookReceiver: @unchecked Sendable {
    // @unchecked: `listener` and `held` are touched by the server thread only until `stop()` has joined it;
    // `recorded` and `stopping` are behind their mutexes.
    enum Reply: Sendable {
        case status(Int, String)
        /// Read the request, never answer, keep the connection open until `stop()`.
        case silence
    }

    struct Request: Sendable {
        var method: String
        var path: String
        /// Names lowercased.
        var headers: [String: String]
        var body: String
        /// Seconds on a monotonic clock when the whole request had arrived.
        var received: Double
    }

    let port: Int
    private let listener: Int32
    private let reply: @Sendable (Int) -> Reply
    private let recorded = Mutex<[Request]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private var held: [Int32] = []
    private var joined = false

    /// Listens on 127.0.0.1:`port` (a free port from the test's block by default).
    init(port: Int? = nil, reply: @escaping @Sendable (Int) -> Reply = { _ in .status(200, "") }) throws {
        self.port = port ?? freeLoopbackPort()
        self.reply = reply
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard withLoopbackAddress(port: self.port, { bind(fd, $0, $1) }) == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        listener = fd
        let thread = Thread { [self] in
            serve()
            finished.signal()
        }
        thread.start()
    }

    deinit { stop() }

    var requests: [Request] { recorded.withLock { $0 } }

    func stop() {
        guard !joined else { return }
        joined = true
        stopping.store(true, ordering: .releasing)
        finished.wait()
        for fd in held { close(fd) }
        held.removeAll()
        close(listener)
    }

    private func serve() {
        while !stopping.load(ordering: .acquiring) {
            var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            handle(connection)
        }
    }

    private func handle(_ fd: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard var request = Self.read(fd) else {
            close(fd)
            return
        }
        request.received = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        let index = recorded.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
        switch reply(index) {
        case .silence:
            held.append(fd)
        case .status(let status, let body):
            let response = "HTTP/1.1 \(status) X\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n"
                + "Connection: close\r\n\r\n\(body)"
            _ = response.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            close(fd)
        }
    }

    /// One request: the head up to the blank line, then `Content-Length` bytes of body.
    private static func read(_ fd: Int32) -> Request? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var contentLength = 0
        while true {
            if let end = headEnd, data.count >= end + contentLength { break }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return nil }
            data.append(contentsOf: buffer[0..<n])
            if headEnd == nil, let range = data.firstRange(of: separator) {
                headEnd = range.upperBound
                let head = String(decoding: data[..<range.lowerBound], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: data[..<(headEnd - 4)], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        let body = String(decoding: data[headEnd..<(headEnd + contentLength)], as: UTF8.self)
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body,
                       received: 0)
    }
}
