import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// `queues:` through a real daemon against a real `redis-server` of the test's own (``QueueRedisServer``: private port,
/// socket and directory, killed by PID on every path): the length in `supervise status`, `GET /v1/units` and
/// `/metrics`; Redis going away and coming back; `requirepass`; a password file that is missing.
@Suite(.serialized) struct DaemonQueueTests {
    static func config(_ queues: String, units: String = "  worker:\n    command: [/bin/sleep, \"1000\"]") -> String {
        "units:\n\(units)\nqueues:\n\(queues)\n"
    }

    /// The queues as `GET /v1/units` has them.
    static func queues(_ daemon: DaemonHarness) throws -> [QueueStatus] {
        let response = try daemon.client.request("GET", "/v1/units")
        return try DaemonHarness.decoder.decode(UnitsResponse.self, from: Data(response.body)).queues ?? []
    }

    /// `supervise status`'s line for queue `name`.
    static func statusLine(_ daemon: DaemonHarness, _ name: String) -> String? {
        guard let status = try? daemon.cli(["status"]), status.code == 0 else { return nil }
        return status.output.split(separator: "\n").map(String.init).first { $0.hasPrefix("queue \(name) (") }
    }

    static func length(_ daemon: DaemonHarness, _ queue: String, service: String) -> Double? {
        (try? daemon.metrics()).flatMap { metricSample($0, "supervise_queue_length", ["queue": queue, "service": service]) }
    }

    static func up(_ daemon: DaemonHarness, _ queue: String) -> Double? {
        (try? daemon.metrics()).flatMap { metricSample($0, "supervise_queue_up", ["queue": queue]) }
    }

    @Test("the length after RPUSHes in status, GET /v1/units and the metrics, with the service label; over TCP and a Unix socket")
    func lengthEverywhere() throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let daemon = try DaemonHarness(config: Self.config("""
              call-queue:
                redis: 127.0.0.1:\(redis.port)
                list: calls
                service: worker
                interval: 100ms
              outbound:
                redis: unix:\(redis.socketPath)
                interval: 100ms
            """))
        defer { daemon.stop() }
        #expect(redis.cli(["RPUSH", "calls", "a", "b", "c"]).output == "3")
        #expect(eventually(timeout: 10) { Self.length(daemon, "call-queue", service: "worker") == 3 },
                "\((try? daemon.metrics()).map { $0.split(separator: "\n").filter { $0.contains("queue") } } ?? [])")
        #expect(Self.up(daemon, "call-queue") == 1)
        #expect(eventually(timeout: 5) { Self.length(daemon, "outbound", service: "") == 0 },
                "a list that does not exist is empty; no service: empty label")
        #expect(Self.up(daemon, "outbound") == 1)

        let line = Self.statusLine(daemon, "call-queue")
        #expect(line == "queue call-queue (127.0.0.1:\(redis.port) list calls, service worker): 3 waiting", "\(line ?? "none")")
        #expect(Self.statusLine(daemon, "outbound") == "queue outbound (unix:\(redis.socketPath)): 0 waiting")

        let queues = try Self.queues(daemon)
        #expect(queues.map(\.name) == ["call-queue", "outbound"])
        let callQueue = try #require(queues.first)
        #expect(callQueue.redis == "127.0.0.1:\(redis.port)")
        #expect(callQueue.list == "calls")
        #expect(callQueue.service == "worker")
        #expect(callQueue.length == 3)
        #expect(callQueue.error == nil)
        #expect(callQueue.readSecondsAgo.map { $0 >= 0 && $0 < 5 } == true, "\(callQueue)")
        #expect(queues.last?.service == nil)

        // More, and fewer.
        redis.cli(["RPUSH", "calls", "d", "e"])
        redis.cli(["RPUSH", "outbound", "x"])
        #expect(eventually(timeout: 10) { Self.length(daemon, "call-queue", service: "worker") == 5 })
        #expect(eventually(timeout: 10) { Self.length(daemon, "outbound", service: "") == 1 })
        redis.cli(["LPOP", "calls"])
        #expect(eventually(timeout: 10) { Self.statusLine(daemon, "call-queue")?.hasSuffix(": 4 waiting") == true })
        #expect(Self.length(daemon, "call-queue", service: "worker") == 4)
    }

    @Test("redis stopped: up 0, the length gone, status says why, queue-lost once; redis back: queue-recovered once and the length again")
    func redisGoesAndComesBack() throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let daemon = try DaemonHarness(config: Self.config("""
              call-queue:
                redis: 127.0.0.1:\(redis.port)
                service: worker
                interval: 100ms
                timeout: 500ms
            """))
        defer { daemon.stop() }
        let log = try EventSocket(daemon.socketPath, query: "?since=1h")
        defer { log.close() }
        log.startReading()
        func events(_ name: String) -> [SupervisionEvent] { log.events.filter { $0.event == name } }

        redis.cli(["RPUSH", "call-queue", "a", "b"])
        #expect(eventually(timeout: 10) { Self.length(daemon, "call-queue", service: "worker") == 2 })
        #expect(events("queue-lost").isEmpty && events("queue-recovered").isEmpty)

        redis.kill()
        #expect(eventually(timeout: 10) { Self.up(daemon, "call-queue") == 0 })
        let metrics = try daemon.metrics()
        #expect(metricSample(metrics, "supervise_queue_length", ["queue": "call-queue", "service": "worker"]) == nil,
                "\(metrics.split(separator: "\n").filter { $0.contains("supervise_queue") })")
        #expect(!metrics.contains("supervise_queue_length{"), "no stale length")
        // The first failed reading is on the kept connection ("LLEN call-queue: connection closed by the server");
        // the next one connects again, and is refused.
        let refused = "redis 127.0.0.1:\(redis.port): connection refused"
        #expect(eventually(timeout: 10) { Self.statusLine(daemon, "call-queue")
            == "queue call-queue (127.0.0.1:\(redis.port), service worker): cannot be read: \(refused)" },
                "\(Self.statusLine(daemon, "call-queue") ?? "none")")
        let status = try #require(try Self.queues(daemon).first)
        #expect(status.length == nil)
        #expect(status.error == refused)
        // Many failed readings (every 100 ms), one event.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(events("queue-lost").count == 1, "\(events("queue-lost").map(\.message))")
        let lost = try #require(events("queue-lost").first)
        #expect(lost.level == "warning")
        #expect(lost.unit == nil)
        #expect(["LLEN call-queue: connection closed by the server", "connection refused"].map {
            "queue call-queue cannot be read: redis 127.0.0.1:\(redis.port): \($0)"
        }.contains(lost.message), "\(lost.message)")
        #expect(events("queue-recovered").isEmpty)

        // Back, empty (no persistence), then filled.
        try redis.start()
        #expect(eventually(timeout: 10) { Self.up(daemon, "call-queue") == 1 })
        redis.cli(["RPUSH", "call-queue", "a", "b", "c", "d"])
        #expect(eventually(timeout: 10) { Self.length(daemon, "call-queue", service: "worker") == 4 })
        #expect(eventually(timeout: 10) { Self.statusLine(daemon, "call-queue")?.hasSuffix("service worker): 4 waiting") == true })
        Thread.sleep(forTimeInterval: 1)
        #expect(events("queue-recovered").count == 1, "\(events("queue-recovered").map(\.message))")
        let recovered = try #require(events("queue-recovered").first)
        #expect(recovered.level == "notice")
        #expect(recovered.message.hasPrefix("queue call-queue can be read again (length "), "\(recovered.message)")
        #expect(recovered.message.hasSuffix("it failed with: \(refused)"), "\(recovered.message)")
        #expect(recovered.seq > lost.seq)
        #expect(events("queue-lost").count == 1)
    }

    @Test("requirepass: password_file logs in (its trailing line break is not the password); a wrong password_env says authentication failed")
    func requirepass() throws {
        let redis = try QueueRedisServer(password: "s3cret")
        defer { redis.finish() }
        let scratch = makeTemporaryDirectory("queue-password")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let passwordFile = scratch.appendingPathComponent("redis.pass").path
        try "s3cret\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["QUEUE_WRONG_PASSWORD"] = "guess"
        let daemon = try DaemonHarness(config: Self.config("""
              call-queue:
                redis: 127.0.0.1:\(redis.port)
                password_file: \(passwordFile)
                service: worker
                interval: 100ms
              guessed:
                redis: 127.0.0.1:\(redis.port)
                list: call-queue
                password_env: QUEUE_WRONG_PASSWORD
                interval: 100ms
            """), environment: environment)
        defer { daemon.stop() }
        redis.cli(["RPUSH", "call-queue", "a", "b"])
        #expect(eventually(timeout: 10) { Self.length(daemon, "call-queue", service: "worker") == 2 }, "\(daemon.output.suffix(1000))")
        #expect(Self.statusLine(daemon, "call-queue") == "queue call-queue (127.0.0.1:\(redis.port), service worker): 2 waiting")
        #expect(eventually(timeout: 10) { Self.up(daemon, "guessed") == 0 })
        let guessed = Self.statusLine(daemon, "guessed")
        #expect(guessed == "queue guessed (127.0.0.1:\(redis.port) list call-queue): cannot be read: redis 127.0.0.1:\(redis.port): "
            + "authentication failed (WRONGPASS invalid username-password pair or user is disabled.)", "\(guessed ?? "none")")
        // Neither password shows anywhere.
        let everything = try daemon.cli(["status", "--json"]).output + (try daemon.metrics()) + daemon.output
        #expect(!everything.contains("s3cret") && !everything.contains("guess\""))
    }

    @Test("a missing password_file: supervise run exits 78 naming the queue and the file; a reload to one is refused and the queues go on")
    func missingPasswordFile() throws {
        let missing = "/nonexistent-\(UUID().uuidString.prefix(8))/redis.pass"
        let refused = try DaemonHarness(config: Self.config("""
              call-queue:
                redis: 127.0.0.1:6379
                password_file: \(missing)
            """), start: false)
        defer { refused.stop() }
        try refused.launch()
        let process = try #require(refused.process)
        let code = process.waitForExit(timeout: 20)
        #expect(code == 78, "\(process.output)")
        #expect(process.output.contains("queue call-queue: cannot read password_file \(missing): No such file or directory"),
                "\(process.output)")
        #expect(!FileManager.default.fileExists(atPath: refused.socketPath), "it never listened")

        // Running with a good configuration, a reload to a missing file is refused.
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let good = Self.config("""
              call-queue:
                redis: 127.0.0.1:\(redis.port)
                interval: 100ms
            """)
        let daemon = try DaemonHarness(config: good)
        defer { daemon.stop() }
        let log = try EventSocket(daemon.socketPath, query: "?since=1h")
        defer { log.close() }
        log.startReading()
        redis.cli(["RPUSH", "call-queue", "a"])
        #expect(eventually(timeout: 10) { Self.length(daemon, "call-queue", service: "") == 1 })
        try daemon.writeConfig(Self.config("""
              call-queue:
                redis: 127.0.0.1:\(redis.port)
                interval: 100ms
              outbound:
                redis: 127.0.0.1:\(redis.port)
                password_file: \(missing)
            """))
        daemon.process?.signal(SIGHUP)
        #expect(eventually(timeout: 10) { log.events.contains { $0.event == "reload-failed" } }, "\(daemon.output.suffix(1000))")
        let failed = try #require(log.events.first { $0.event == "reload-failed" })
        #expect(failed.level == "error")
        #expect(failed.message.contains("queue outbound: cannot read password_file \(missing): No such file or directory"), "\(failed.message)")
        #expect(!log.events.contains { $0.event == "reload" })
        #expect(metricSample(try daemon.metrics(), "supervise_reloads_total", ["result": "failure"]) == 1)
        // The running configuration stays: one queue, still read.
        redis.cli(["RPUSH", "call-queue", "b"])
        #expect(eventually(timeout: 10) { Self.length(daemon, "call-queue", service: "") == 2 })
        #expect(try Self.queues(daemon).map(\.name) == ["call-queue"])
        #expect(Self.up(daemon, "outbound") == nil)
    }
}
