import SuperviseConfig
import SuperviseCore
import Testing

let queueKeys = "redis, list, db, username, password_file, password_env, service, interval or timeout"
let redisAddressExpected = "a Redis address HOST:PORT or unix:PATH, such as 127.0.0.1:6379 or unix:/run/redis/redis.sock"

/// A file with no units and `body` (the lines under `queues:`).
func queuesFile(_ body: String) -> String { "units: {}\nqueues:\n" + body }

@Suite("queues: Redis lists whose length is reported")
struct QueueConfigTests {
    @Test("a queue needs only its Redis: the list is the queue's name, db 0, no AUTH, every 5s with a 1s timeout")
    func minimal() throws {
        let config = try ConfigLoader.parse(yaml: queuesFile("  call-queue:\n    redis: 127.0.0.1:6379\n"),
                                            file: testFile)
        #expect(config.queues == [QueueSpec(name: "call-queue", redis: .tcp(host: "127.0.0.1", port: 6379))])
        let queue = try #require(config.queues.first)
        #expect(queue.list == "call-queue")
        #expect(queue.db == 0)
        #expect(queue.username == nil && queue.password == nil && queue.service == nil)
        #expect(queue.interval == .seconds(5) && queue.timeout == .seconds(1))
    }

    @Test("without queues, or with an empty one, there is nothing to read")
    func none() throws {
        #expect(try ConfigLoader.parse(yaml: "units: {}\n", file: testFile).queues == [])
        #expect(try ConfigLoader.parse(yaml: "units: {}\nqueues: {}\n", file: testFile).queues == [])
        #expect(try ConfigLoader.parse(yaml: "units: {}\nqueues:\n", file: testFile).queues == [])
    }

    @Test("every key, a Unix socket, an IPv6 address and a host name; queues are kept in file order")
    func everyKey() throws {
        let config = try ConfigLoader.parse(yaml: queuesFile("""
              call-queue:
                redis: 10.0.0.5:6380
                list: voice:calls
                db: 3
                username: supervise
                password_file: /etc/supervise/redis.pass
                service: worker
                interval: 2s
                timeout: 250ms
              local:
                redis: unix:/run/redis/redis.sock
                password_env: REDIS_PASSWORD
              v6:
                redis: "[::1]:6379"
              named: {redis: "redis.internal:6379", interval: 1m}
            """), file: testFile)
        #expect(config.queues == [
            QueueSpec(name: "call-queue", redis: .tcp(host: "10.0.0.5", port: 6380), list: "voice:calls", db: 3,
                      username: "supervise", password: .file(path: "/etc/supervise/redis.pass"), service: "worker",
                      interval: .seconds(2), timeout: .milliseconds(250)),
            QueueSpec(name: "local", redis: .unix(path: "/run/redis/redis.sock"),
                      password: .environment(variable: "REDIS_PASSWORD")),
            QueueSpec(name: "v6", redis: .tcp(host: "::1", port: 6379)),
            QueueSpec(name: "named", redis: .tcp(host: "redis.internal", port: 6379), interval: .seconds(60)),
        ])
        #expect(config.queues.map(\.redis.description)
            == ["10.0.0.5:6380", "unix:/run/redis/redis.sock", "[::1]:6379", "redis.internal:6379"])
    }

    @Test("addresses: HOST:PORT, [IPv6]:PORT or unix:/PATH, and nothing else")
    func addresses() {
        #expect(RedisAddress.parse("127.0.0.1:6379") == .tcp(host: "127.0.0.1", port: 6379))
        #expect(RedisAddress.parse("[fe80::1]:7000") == .tcp(host: "fe80::1", port: 7000))
        #expect(RedisAddress.parse("unix:/tmp/r.sock") == .unix(path: "/tmp/r.sock"))
        for bad in ["127.0.0.1", "6379", ":6379", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "host:6379x",
                    "::1:6379", "[::1]", "[::1]6379", "[127.0.0.1]:6379", "unix:run/redis.sock", "unix:", "a b:6379",
                    "redis://127.0.0.1:6379", "127.0.0.1:-1"] {
            #expect(RedisAddress.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("bad values name the file, line, column and key path, and say what was expected")
    func badValues() {
        let longPath = "/" + String(repeating: "s", count: 110)
        let found = errors(queuesFile("""
              a:
                redis: 127.0.0.1
                list: ""
                db: -1
                interval: 0s
                timeout: -1s
              b:
                redis: unix:\(longPath)
                password_file: redis.pass
                service: "worker 1"
              c:
                redis: [127.0.0.1, 6379]
                password_env: 1PASSWORD
                db: zero
                interval: 5
              d:
                redis: localhost:6379
                username: "two words"
                password_env: REDIS_PASSWORD
            """))
        #expect(found == [
            error(4, 12, "queues.a.redis", found: "\"127.0.0.1\"", expected: redisAddressExpected),
            error(5, 11, "queues.a.list", found: "\"\"",
                  expected: "a Redis key, not empty and without control characters, such as call-queue"),
            error(6, 9, "queues.a.db", found: "-1", expected: "a database number, 0 or more, such as 0"),
            error(7, 15, "queues.a.interval", found: "\"0s\"", expected: positiveDurationExpected),
            error(8, 14, "queues.a.timeout", found: "\"-1s\"", expected: positiveDurationExpected),
            error(10, 12, "queues.b.redis", found: "a path of 111 bytes",
                  expected: "a unix: path of at most 107 bytes (the limit of a Unix socket address)"),
            error(11, 20, "queues.b.password_file", found: "\"redis.pass\"",
                  expected: "an absolute path such as /etc/supervise/redis.pass"),
            error(12, 14, "queues.b.service", found: "\"worker 1\"",
                  expected: "a service name of at most 64 letters, digits, _ . @ and -, starting with a letter or "
                      + "digit, such as worker"),
            error(14, 12, "queues.c.redis", found: "a list", expected: redisAddressExpected),
            error(15, 19, "queues.c.password_env", found: "\"1PASSWORD\"",
                  expected: "an environment variable name of letters, digits and _, not starting with a digit, "
                      + "such as REDIS_PASSWORD"),
            error(16, 9, "queues.c.db", found: "\"zero\"", expected: "a database number, 0 or more, such as 0"),
            error(17, 15, "queues.c.interval", found: "5", expected: durationExpected),
            error(20, 15, "queues.d.username", found: "\"two words\"",
                  expected: "a Redis user name without blanks or control characters, such as supervise"),
        ])
        #expect(found.first?.description == "supervise.yaml:4:12: queues.a.redis: found \"127.0.0.1\", "
            + "expected \(redisAddressExpected)")
    }

    @Test("the password comes from one place, never from the file itself; a user needs one")
    func passwords() {
        let found = errors(queuesFile("""
              a:
                redis: 127.0.0.1:6379
                password_file: /etc/supervise/redis.pass
                password_env: REDIS_PASSWORD
              b:
                redis: 127.0.0.1:6379
                password: hunter2
              c:
                redis: 127.0.0.1:6379
                username: supervise
            """))
        #expect(found == [
            error(6, 5, "queues.a.password_env", found: "\"password_env\" besides \"password_file\"",
                  expected: "at most one of password_file or password_env (where the password is read)"),
            error(9, 5, "queues.b.password", found: "unknown key \"password\"",
                  expected: "a key of a queue (the password is never written in the file: password_file: PATH or "
                      + "password_env: NAME)"),
            error(12, 5, "queues.c.username", found: "\"username\" without password_file or password_env",
                  expected: "a password for the user beside it (AUTH username password): password_file: PATH or "
                      + "password_env: NAME"),
        ])
    }

    @Test("a queue without redis, unknown and misplaced keys, bad names and shapes")
    func keysAndShapes() {
        let found = errors("""
            units: {}
            redis: 127.0.0.1:6379
            queues:
              call-queue:
                list: calls
                intervall: 5s
                host: 127.0.0.1
                key: calls
              bad name:
                redis: 127.0.0.1:6379
              scalar: 127.0.0.1:6379
            """)
        #expect(found == [
            error(2, 1, "redis", found: "unknown key \"redis\"",
                  expected: "a top-level key (redis goes under queues.NAME: queues: {NAME: {redis: HOST:PORT}})"),
            error(4, 3, "queues.call-queue.redis", found: "no \"redis\"", expected: redisAddressExpected),
            error(6, 5, "queues.call-queue.intervall", found: "unknown key \"intervall\"",
                  expected: "a known key (did you mean \"interval\"?)"),
            error(7, 5, "queues.call-queue.host", found: "unknown key \"host\"",
                  expected: "a key of a queue (give the address in redis: HOST:PORT, such as redis: 127.0.0.1:6379)"),
            error(8, 5, "queues.call-queue.key", found: "unknown key \"key\"",
                  expected: "a key of a queue (the list's key is list)"),
            error(9, 3, "queues.bad name", found: "\"bad name\"",
                  expected: "a queue name of at most 64 letters, digits, _ . @ and -, starting with a letter or digit"),
            error(11, 11, "queues.scalar", found: "\"127.0.0.1:6379\"",
                  expected: "a mapping with at least \"redis\" (the server's address), such as "
                      + "{redis: \"127.0.0.1:6379\", list: call-queue}"),
        ])
        #expect(errors("units: {}\nqueues: [call-queue]\n") == [
            error(2, 9, "queues", found: "a list",
                  expected: "a mapping of queue names to queues, such as {call-queue: {redis: \"127.0.0.1:6379\"}}"),
        ])
        #expect(errors(queuesFile("  q:\n    redis: 127.0.0.1:6379\n    tiemout: 1s\n")) == [
            error(5, 5, "queues.q.tiemout", found: "unknown key \"tiemout\"", expected: "a known key (did you mean \"timeout\"?)"),
        ])
        #expect(errors(queuesFile("  q:\n    redis: 127.0.0.1:6379\n    colour: red\n")) == [
            error(5, 5, "queues.q.colour", found: "unknown key \"colour\"", expected: "one of \(queueKeys)"),
        ])
    }

    @Test("queues are checked beside units: both sets of errors come at once")
    func withUnits() {
        let found = errors("""
            units:
              a:
                stop_timeout: 1s
            queues:
              q:
                redis: nowhere
            """)
        #expect(found == [
            error(2, 3, "units.a.command", found: "no \"command\"", expected: commandExpected),
            error(6, 12, "queues.q.redis", found: "\"nowhere\"", expected: redisAddressExpected),
        ])
    }
}
