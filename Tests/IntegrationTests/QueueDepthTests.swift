import Foundation
import SuperviseCore
import SuperviseQueues
import Testing

/// The queue-depth reader and poller against a real `redis-server` of the test's own (private port, socket and
/// directory; stopped by PID on every path).
@Suite("Queue depth: LLEN against a real redis-server", .serialized)
struct QueueDepthTests {
    func queue(_ name: String = "call-queue", at address: RedisAddress, list: String? = nil, db: Int = 0,
               username: String? = nil, interval: Duration = .milliseconds(100),
               timeout: Duration = .seconds(1)) -> QueueSpec {
        QueueSpec(name: name, redis: address, list: list, db: db, username: username,
                  password: username == nil ? nil : .environment(variable: "QUEUE_TEST_PASSWORD"),
                  interval: interval, timeout: timeout)
    }

    @Test("the length after RPUSHes, over TCP and a Unix socket, on one connection kept between readings")
    func length() async throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let tcp = ThreadedReader(queue(at: .tcp(host: "127.0.0.1", port: redis.port)))
        let unix = ThreadedReader(queue(at: .unix(path: redis.socketPath)))
        #expect(await tcp.read() == "0")
        #expect(tcp.isConnected)
        #expect(redis.cli(["RPUSH", "call-queue", "a", "b", "c"]).output == "3")
        #expect(await tcp.read() == "3")
        #expect(await unix.read() == "3")
        redis.cli(["RPUSH", "call-queue", "d"])
        redis.cli(["RPUSH", "other", "x"])
        #expect(await tcp.read() == "4")
        #expect(await unix.read() == "4")
        // Three readings over TCP, two over the socket: still one client each (whose last command was LLEN).
        let clients = redis.cli(["CLIENT", "LIST"]).output.split(separator: "\n").filter { $0.contains("cmd=llen") }
        #expect(clients.count == 2, "\(clients)")
        // A list name is sent byte for byte.
        redis.cli(["RPUSH", "voice calls:\"eu\"", "1", "2"])
        let spaced = ThreadedReader(queue(at: .tcp(host: "127.0.0.1", port: redis.port), list: "voice calls:\"eu\""))
        #expect(await spaced.read() == "2")
    }

    @Test("requirepass: the right password reads; a wrong one, or none, is refused with Redis's reason")
    func requirepass() async throws {
        let redis = try QueueRedisServer(password: "s3cret")
        defer { redis.finish() }
        redis.cli(["RPUSH", "call-queue", "a", "b"])
        let address = RedisAddress.tcp(host: "127.0.0.1", port: redis.port)
        #expect(await ThreadedReader(queue(at: address), password: "s3cret").read() == "2")
        #expect(await ThreadedReader(queue(at: .unix(path: redis.socketPath)), password: "s3cret").read() == "2")
        let wrong = ThreadedReader(queue(at: address), password: "guess")
        #expect(await wrong.read() == "redis 127.0.0.1:\(redis.port): authentication failed "
            + "(WRONGPASS invalid username-password pair or user is disabled.)")
        #expect(!wrong.isConnected)
        #expect(await ThreadedReader(queue(at: address)).read()
            == "redis 127.0.0.1:\(redis.port): LLEN call-queue: NOAUTH Authentication required.")
    }

    @Test("a Redis 6 ACL user: AUTH username password, with only the rights it needs")
    func aclUser() async throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        #expect(redis.cli(["ACL", "SETUSER", "supervise", "on", ">u-s3cret", "~call-queue", "+llen", "+select"]).output
            == "OK")
        redis.cli(["RPUSH", "call-queue", "a", "b", "c", "d", "e"])
        let address = RedisAddress.tcp(host: "127.0.0.1", port: redis.port)
        #expect(await ThreadedReader(queue(at: address, username: "supervise"), password: "u-s3cret").read() == "5")
        #expect(await ThreadedReader(queue(at: address, username: "supervise"), password: "nope").read()
            == "redis 127.0.0.1:\(redis.port): authentication failed "
            + "(WRONGPASS invalid username-password pair or user is disabled.)")
        // The user may read no other key.
        let other = ThreadedReader(queue(at: address, list: "secrets", username: "supervise"), password: "u-s3cret")
        #expect(await other.read() == "redis 127.0.0.1:\(redis.port): LLEN secrets: NOPERM this user has no "
            + "permissions to access one of the keys used as arguments")
    }

    @Test("db: SELECT before LLEN; a database that does not exist is an error")
    func selectDatabase() async throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        redis.cli(["-n", "2", "RPUSH", "call-queue", "a", "b", "c", "d", "e", "f", "g"])
        redis.cli(["RPUSH", "call-queue", "a"])
        let address = RedisAddress.tcp(host: "127.0.0.1", port: redis.port)
        #expect(await ThreadedReader(queue(at: address, db: 2)).read() == "7")
        #expect(await ThreadedReader(queue(at: address)).read() == "1")
        #expect(await ThreadedReader(queue(at: address, db: 99)).read()
            == "redis 127.0.0.1:\(redis.port): SELECT 99: ERR DB index is out of range")
    }

    @Test("a key that is not a list: WRONGTYPE, and the next reading works once it is one")
    func wrongType() async throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        redis.cli(["SET", "call-queue", "not a list"])
        let reader = ThreadedReader(queue(at: .tcp(host: "127.0.0.1", port: redis.port)))
        #expect(await reader.read() == "redis 127.0.0.1:\(redis.port): LLEN call-queue: "
            + "WRONGTYPE Operation against a key holding the wrong kind of value")
        redis.cli(["DEL", "call-queue"])
        redis.cli(["RPUSH", "call-queue", "a", "b"])
        #expect(await reader.read() == "2")
    }

    @Test("nothing listening: connection refused on a port; no such socket file")
    func unreachable() async throws {
        let port = freeLoopbackPort()
        let refused = ThreadedReader(queue(at: .tcp(host: "127.0.0.1", port: port)))
        #expect(await refused.read() == "redis 127.0.0.1:\(port): connection refused")
        #expect(!refused.isConnected)
        let directory = makeTemporaryDirectory("supervise-queues")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("redis.sock").path
        #expect(await ThreadedReader(queue(at: .unix(path: path))).read()
            == "redis unix:\(path): cannot connect: No such file or directory")
        #expect(await ThreadedReader(queue(at: .tcp(host: "no-such-host.invalid", port: 6379))).read()
            .hasPrefix("redis no-such-host.invalid:6379: cannot connect: "))
    }

    @Test("the poller: Redis killed mid-run gives errors, then the right length once it is back")
    func redisKilledAndRestarted() async throws {
        let redis = try QueueRedisServer(password: "s3cret")
        defer { redis.finish() }
        redis.cli(["RPUSH", "call-queue", "a", "b"])
        let spec = QueueSpec(name: "calls", redis: .tcp(host: "127.0.0.1", port: redis.port), list: "call-queue",
                             password: .environment(variable: "QUEUE_TEST_PASSWORD"),
                             interval: .milliseconds(100), timeout: .milliseconds(500))
        let passwords = try QueuePassword.resolve(for: [spec], environment: ["QUEUE_TEST_PASSWORD": "s3cret"])
        let log = ReadingLog()
        let poller = QueueDepthPoller(queues: [spec], passwords: passwords) { log.append($0) }
        poller.start()
        defer { poller.stop() }
        #expect(await log.wait(seconds: 5) { $0.contains { $0.length == 2 } })

        redis.kill()
        let killedAt = log.all.count
        #expect(await log.wait(seconds: 5) { readings in
            readings.dropFirst(killedAt).contains { $0.error == "redis 127.0.0.1:\(redis.port): connection refused" }
        })
        // The first failure is on the kept connection; later ones are new attempts, refused.
        let errors = log.all.dropFirst(killedAt).compactMap(\.error)
        let first = try #require(errors.first)
        #expect(["LLEN call-queue: connection closed by the server", "LLEN call-queue: connection reset by the server",
                 "connection refused"].map { "redis 127.0.0.1:\(redis.port): \($0)" }.contains(first), "\(errors)")
        #expect(log.all.dropFirst(killedAt).allSatisfy { $0.length == nil })

        try redis.start()
        redis.cli(["RPUSH", "call-queue", "a", "b", "c", "d", "e"])
        #expect(await log.wait(seconds: 5) { $0.last?.length == 5 }, "\(log.all.suffix(5))")
        poller.stop()
        #expect(gaps(log.all).allSatisfy { $0 >= .milliseconds(100) }, "\(gaps(log.all))")
    }

    @Test("a Redis that does not answer delays another queue by at most its own timeout; each queue at most once per interval")
    func slowQueueIsolated() async throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let silent = try SilentListener()
        redis.cli(["RPUSH", "fast", "a", "b"])
        let slowTimeout = Duration.milliseconds(300)
        let queues = [
            queue("slow", at: .tcp(host: "127.0.0.1", port: silent.port), interval: .milliseconds(100),
                  timeout: slowTimeout),
            queue("fast", at: .tcp(host: "127.0.0.1", port: redis.port), interval: .milliseconds(100)),
        ]
        let log = ReadingLog()
        let poller = QueueDepthPoller(queues: queues) { log.append($0) }
        poller.start()
        try await Task.sleep(for: .milliseconds(2500))
        await onOwnThread { poller.stop() }

        let slow = log.of("slow"), fast = log.of("fast")
        #expect(slow.count >= 4 && fast.count >= 4, "slow \(slow.count), fast \(fast.count)")
        for reading in slow {
            #expect(reading.error == "redis 127.0.0.1:\(silent.port): LLEN slow: timed out after 300ms")
            #expect(reading.took >= slowTimeout && reading.took < slowTimeout + .milliseconds(250), "\(reading.took)")
        }
        #expect(fast.allSatisfy { $0.length == 2 }, "\(fast)")
        // The fast queue waits at most for one slow reading beyond its own interval (plus scheduling slack).
        let bound = Duration.milliseconds(100) + slowTimeout + .milliseconds(250)
        #expect(gaps(fast).allSatisfy { $0 <= bound }, "\(gaps(fast))")
        for readings in [slow, fast] {
            #expect(gaps(readings).allSatisfy { $0 >= .milliseconds(100) }, "\(gaps(readings))")
        }
    }

    @Test("stop() ends the thread at once, even while a reading waits for a reply; nothing is delivered after it")
    func stopEndsThread() async throws {
        let silent = try SilentListener()
        let log = ReadingLog()
        let poller = QueueDepthPoller(queues: [
            queue("hung", at: .tcp(host: "127.0.0.1", port: silent.port), interval: .seconds(1), timeout: .seconds(10)),
        ]) { log.append($0) }
        #expect(eventually(timeout: 0.5) { !threadNames().contains(QueueDepthPoller.threadName) }, "no poller thread left by an earlier test")
        poller.start()
        #expect(await log.wait(seconds: 2) { _ in threadNames().contains(QueueDepthPoller.threadName) })
        #expect(threadNames().filter { $0 == QueueDepthPoller.threadName }.count == 1)
        // The reading is now blocked in recv for up to 10 s.
        try await Task.sleep(for: .milliseconds(300))
        let took = await onOwnThread { () -> Duration in
            let start = ContinuousClock.now
            poller.stop()
            return ContinuousClock.now - start
        }
        #expect(took < .milliseconds(500), "stop() took \(took)")
        // stop() returns once the thread has said it ends; the kernel takes it out of /proc a moment later.
        #expect(eventually(timeout: 0.5) { !threadNames().contains(QueueDepthPoller.threadName) }, "\(threadNames())")
        #expect(log.all.isEmpty, "\(log.all)")
        poller.stop()
        poller.start()
        try await Task.sleep(for: .milliseconds(100))
        #expect(!threadNames().contains(QueueDepthPoller.threadName))
    }

    @Test("stop() from an idle poller, from onReading itself, and before start()")
    func stopFromAnywhere() async throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let spec = queue(at: .tcp(host: "127.0.0.1", port: redis.port), interval: .seconds(30))

        let idleLog = ReadingLog()
        let idle = QueueDepthPoller(queues: [spec]) { idleLog.append($0) }
        idle.start()
        #expect(await idleLog.wait(seconds: 5) { $0.count == 1 })
        let took = await onOwnThread { () -> Duration in
            let start = ContinuousClock.now
            idle.stop()
            return ContinuousClock.now - start
        }
        #expect(took < .milliseconds(200), "stop() took \(took)")

        let selfLog = ReadingLog()
        let box = PollerBox()
        box.poller = QueueDepthPoller(queues: [queue(at: .tcp(host: "127.0.0.1", port: redis.port))]) { reading in
            selfLog.append(reading)
            box.poller?.stop()
        }
        box.poller?.start()
        #expect(await selfLog.wait(seconds: 5) { $0.count == 1 && !threadNames().contains(QueueDepthPoller.threadName) })
        try await Task.sleep(for: .milliseconds(300))
        #expect(selfLog.all.count == 1)
        box.poller = nil

        let never = QueueDepthPoller(queues: [spec]) { _ in Issue.record("a reading after stop()") }
        never.stop()
        never.start()
        try await Task.sleep(for: .milliseconds(100))
        #expect(!threadNames().contains(QueueDepthPoller.threadName))
    }

    @Test("a queue whose password was not given to the poller says so in every reading")
    func missingPassword() async throws {
        let log = ReadingLog()
        let spec = QueueSpec(name: "calls", redis: .tcp(host: "127.0.0.1", port: 1),
                             password: .file(path: "/etc/supervise/redis.pass"), interval: .milliseconds(100))
        let poller = QueueDepthPoller(queues: [spec]) { log.append($0) }
        poller.start()
        #expect(await log.wait(seconds: 5) { $0.count >= 2 })
        await onOwnThread { poller.stop() }
        #expect(log.all.allSatisfy {
            $0.error == "queue calls: no password was given for its password_file /etc/supervise/redis.pass"
        })
    }
}

/// Lets a poller's own callback reach it.
final class PollerBox: @unchecked Sendable {
    var poller: QueueDepthPoller?
}
