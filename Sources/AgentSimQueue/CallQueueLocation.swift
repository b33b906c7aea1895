/// Where a call queue is: a Redis server, a database on it and a list, written as
/// `redis://[USER@]HOST[:PORT][/DB]/LIST`.
///
/// Examples: `redis://127.0.0.1:6379/0/call-queue`, `redis://127.0.0.1/call-queue` (port 6379, database 0),
/// `redis://worker@[::1]:6380/2/calls/eu` (ACL user `worker`, database 2, list `calls/eu`). The first path segment
/// is the database when it is all digits and more segments follow; the rest, slashes and all, is the list's name.
/// A password never goes in the location (it would show in `ps` and in logs): it is given apart, from a file or an
/// environment variable.
public struct CallQueueLocation: Sendable, Hashable, CustomStringConvertible {
    /// Host name or address (without brackets for IPv6).
    public var host: String
    /// TCP port (6379 when the location names none).
    public var port: Int
    /// The database `SELECT`ed after connecting (0, Redis's default, is not selected).
    public var database: Int
    /// The Redis list calls are queued on.
    public var list: String
    /// The ACL user for `AUTH USER PASSWORD` (Redis 6+); nil for `AUTH PASSWORD`.
    public var username: String?

    /// Redis's own default port.
    public static let defaultPort = 6379

    /// A location from its parts.
    public init(host: String, port: Int = defaultPort, database: Int = 0, list: String, username: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.list = list
        self.username = username
    }

    /// Parses `redis://[USER@]HOST[:PORT][/DB]/LIST`.
    ///
    /// - Throws: ``CallQueueLocationError`` saying what is wrong with `text`.
    public init(parsing text: String) throws(CallQueueLocationError) {
        func failure(_ reason: String) -> CallQueueLocationError { CallQueueLocationError(text: text, reason: reason) }
        let scheme = "redis://"
        guard text.hasPrefix(scheme) else { throw failure("it must start with redis://") }
        let rest = text.dropFirst(scheme.count)
        guard let slash = rest.firstIndex(of: "/") else { throw failure("it names no list (redis://HOST:PORT/DB/LIST)") }
        var authority = rest[..<slash]
        let path = rest[rest.index(after: slash)...]

        var username: String?
        if let at = authority.lastIndex(of: "@") {
            let user = authority[..<at]
            guard !user.contains(":") else {
                throw failure("a password does not go in the location; give it in a file or an environment variable")
            }
            guard !user.isEmpty else { throw failure("the user name before @ is empty") }
            username = String(user)
            authority = authority[authority.index(after: at)...]
        }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw failure("an IPv6 address lacks its closing ]") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw failure("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw failure("the host is empty") }
        var port = Self.defaultPort
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw failure("the port '\(portText)' is not a number from 1 to 65535")
            }
            port = number
        }

        let segments = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        var database = 0
        var list = Substring(path)
        if segments.count == 2, !segments[0].isEmpty, segments[0].allSatisfy(\.isASCII), let number = Int(segments[0]) {
            guard number >= 0 else { throw failure("the database must be 0 or more") }
            database = number
            list = segments[1]
        }
        guard !list.isEmpty else { throw failure("the list name is empty") }

        self.init(host: String(host), port: port, database: database, list: String(list), username: username)
    }

    /// `redis://[USER@]HOST:PORT/DB/LIST`, always with port and database: what logs and `/worker` show.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://" + (username.map { "\($0)@" } ?? "") + "\(shownHost):\(port)/\(database)/\(list)"
    }

    /// `HOST:PORT`, for error messages.
    public var server: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
}

/// A call-queue location that does not parse, with the reason.
public struct CallQueueLocationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text as given.
    public var text: String
    /// What is wrong with it.
    public var reason: String

    /// `invalid queue 'TEXT': REASON (expected …)`.
    public var description: String {
        "invalid queue '\(text)': \(reason) (expected redis://[USER@]HOST[:PORT][/DB]/LIST)"
    }
}
