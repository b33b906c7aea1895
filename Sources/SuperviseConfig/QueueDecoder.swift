import SuperviseCore
import Yams

/// Where a Redis list is read, as a queue or a queue trigger gives it; nil or 0 where not given.
struct RedisConnection {
    /// Nil when `redis` is missing or wrong (reported).
    var redis: RedisAddress?
    var db = 0
    var username: String?
    var password: QueuePasswordSource?
}

/// Reading `queues`: the Redis lists whose length is reported.
extension Diagnostics {
    static let queuesExpected = "a mapping of queue names to queues, such as {call-queue: {redis: \"127.0.0.1:6379\"}}"
    static let queueExpected = "a mapping with at least \"redis\" (the server's address), such as "
        + "{redis: \"127.0.0.1:6379\", list: call-queue}"
    static let queueNameExpected =
        "a queue name of at most 64 letters, digits, _ . @ and -, starting with a letter or digit"
    static let redisAddressExpected = "a Redis address HOST:PORT or unix:PATH, such as 127.0.0.1:6379 or "
        + "unix:/run/redis/redis.sock"
    static let redisListExpected = "a Redis key, not empty and without control characters, such as call-queue"
    static let redisDatabaseExpected = "a database number, 0 or more, such as 0"
    static let redisUsernameExpected = "a Redis user name without blanks or control characters, such as supervise"
    static let passwordEnvExpected =
        "an environment variable name of letters, digits and _, not starting with a digit, such as REDIS_PASSWORD"
    static let onePasswordSourceExpected = "at most one of password_file or password_env (where the password is read)"
    static let queueServiceExpected =
        "a service name of at most 64 letters, digits, _ . @ and -, starting with a letter or digit, such as worker"

    /// `queues`: each entry in file order; an entry with a problem is reported and left out.
    func queues(_ entry: Entry) -> [QueueSpec] {
        guard let entries = entries(of: entry.value, at: entry.path, expected: Diagnostics.queuesExpected) else {
            return []
        }
        return entries.compactMap(queue)
    }

    /// One entry of `queues`: nil when anything in it is wrong.
    private func queue(_ entry: Entry) -> QueueSpec? {
        let errorsBefore = errors.count
        // Queue names become the `queue` label of the metrics: the rule of unit names keeps them plain.
        if !Diagnostics.isUnitName(entry.key) {
            report(entry.keyNode, entry.path, found: quoted(entry.key), expected: Diagnostics.queueNameExpected)
        }
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.queue,
                                  expected: Diagnostics.queueExpected) else { return nil }
        let connection = redisConnection(entry, fields: fields)
        var spec = QueueSpec(name: entry.key, redis: connection.redis ?? .tcp(host: "", port: 0), db: connection.db,
                             username: connection.username, password: connection.password)
        if let list = fields["list"], let key = redisList(list) { spec.list = key }
        if let service = fields["service"],
           let name = text(service.value, service.path, expected: Diagnostics.queueServiceExpected) {
            if Diagnostics.isUnitName(name) {
                spec.service = name
            } else {
                report(service.value, service.path, expected: Diagnostics.queueServiceExpected)
            }
        }
        if let entry = fields["interval"], let interval = duration(entry.value, entry.path, positive: true) {
            spec.interval = interval
        }
        if let entry = fields["timeout"], let timeout = duration(entry.value, entry.path, positive: true) {
            spec.timeout = timeout
        }
        return errors.count == errorsBefore ? spec : nil
    }

    /// The connection keys of a queue or a queue trigger (`entry`, read into `fields`): `redis` (required), `db`,
    /// `username`, and at most one of `password_file` and `password_env`, a user needing a password.
    func redisConnection(_ entry: Entry, fields: [String: Entry]) -> RedisConnection {
        var connection = RedisConnection()
        if let address = fields["redis"] {
            connection.redis = redisAddress(address)
        } else {
            report(entry.keyNode, KeyPath.join(entry.path, "redis"), found: "no \"redis\"",
                   expected: Diagnostics.redisAddressExpected)
        }
        if let db = fields["db"], let number = integer(db.value, db.path, in: 0...Int(Int32.max),
                                                        expected: Diagnostics.redisDatabaseExpected) {
            connection.db = number
        }
        let sources = exclusive(Schema.queuePasswordSources, in: fields,
                                expected: Diagnostics.onePasswordSourceExpected)
        if let file = fields["password_file"],
           let path = absolutePath(file.value, file.path, example: "/etc/supervise/redis.pass") {
            connection.password = .file(path: path)
        }
        if let variable = fields["password_env"], let name = passwordVariable(variable) {
            connection.password = .environment(variable: name)
        }
        if let username = fields["username"] {
            connection.username = redisUsername(username)
            if sources.isEmpty {
                // AUTH takes a user name only with a password: without one the user would never be used.
                report(username.keyNode, username.path, found: "\"username\" without password_file or password_env",
                       expected: "a password for the user beside it (AUTH username password): "
                           + "password_file: PATH or password_env: NAME")
            }
        }
        return connection
    }

    /// `redis`: `HOST:PORT`, `[IPv6]:PORT` or `unix:PATH` (a path short enough for a socket address).
    private func redisAddress(_ entry: Entry) -> RedisAddress? {
        guard let text = text(entry.value, entry.path, expected: Diagnostics.redisAddressExpected) else { return nil }
        guard let address = RedisAddress.parse(text) else {
            report(entry.value, entry.path, expected: Diagnostics.redisAddressExpected)
            return nil
        }
        if case .unix(let path) = address, path.utf8.count > Diagnostics.maximumSocketPathBytes {
            report(entry.value, entry.path, found: "a path of \(path.utf8.count) bytes",
                   expected: "a unix: path of at most \(Diagnostics.maximumSocketPathBytes) bytes "
                       + "(the limit of a Unix socket address)")
            return nil
        }
        return address
    }

    /// `list`: any Redis key a terminal can show (it appears in errors), not empty.
    func redisList(_ entry: Entry) -> String? {
        guard let key = text(entry.value, entry.path, expected: Diagnostics.redisListExpected) else { return nil }
        guard !key.isEmpty, !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            report(entry.value, entry.path, expected: Diagnostics.redisListExpected)
            return nil
        }
        return key
    }

    /// `username`: an ACL user name, one word.
    private func redisUsername(_ entry: Entry) -> String? {
        guard let name = text(entry.value, entry.path, expected: Diagnostics.redisUsernameExpected) else { return nil }
        guard !name.isEmpty, !name.unicodeScalars.contains(where: Diagnostics.isBlankOrControl) else {
            report(entry.value, entry.path, expected: Diagnostics.redisUsernameExpected)
            return nil
        }
        return name
    }

    /// `password_env`: the name of an environment variable of the daemon.
    private func passwordVariable(_ entry: Entry) -> String? {
        guard let name = text(entry.value, entry.path, expected: Diagnostics.passwordEnvExpected) else { return nil }
        guard Diagnostics.isEnvironmentName(name) else {
            report(entry.value, entry.path, expected: Diagnostics.passwordEnvExpected)
            return nil
        }
        return name
    }
}
