import CHiredis

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One connection to the Redis server of a call queue, through hiredis's blocking API: take a job (`BLPOP`), queue
/// jobs (`RPUSH`), give one back to the head (`LPUSH`), read the length (`LLEN`).
///
/// The first command connects (`redisConnectWithTimeout`), authenticates (`AUTH [USER] PASSWORD`) and selects the
/// database when it is not 0; later commands reuse the connection. After a failure of the connection itself the
/// connection is closed and the next command connects again, so a restarted Redis costs one failed command.
///
/// Every call blocks (``pop(waiting:)`` for as long as it waits, the others for at most ``timeout``): call them from
/// a thread of your own, never from Swift's cooperative pool or an event loop. Not thread-safe: one thread uses a
/// connection at a time. `SIGPIPE` is blocked on the calling thread while hiredis writes, so a server that went
/// away makes a command fail instead of killing the process.
public final class CallQueueConnection {
    /// The queue this connection serves.
    public let location: CallQueueLocation
    /// Seconds a connection attempt, or the reply to a command other than a pop, may take.
    public let timeout: Double
    private let password: String?
    private var context: UnsafeMutablePointer<redisContext>?

    /// A connection to `location`'s server, not made yet. `password` (nil: no `AUTH`) is sent as `AUTH PASSWORD`, or
    /// `AUTH USER PASSWORD` when the location names a user.
    public init(location: CallQueueLocation, password: String? = nil, timeout: Double = 5) {
        self.location = location
        self.password = password
        self.timeout = timeout
    }

    deinit { disconnect() }

    /// Whether a connection is open.
    public var isConnected: Bool { context != nil }

    /// Connects (and authenticates, and selects the database) unless a connection is open.
    ///
    /// - Throws: ``CallQueueError``.
    public func connect() throws(CallQueueError) {
        guard context == nil else { return }
        try withSIGPIPEBlocked { () throws(CallQueueError) in
            guard let made = redisConnectWithTimeout(location.host, Int32(location.port), timeval(seconds: timeout)) else {
                throw failure(nil, "cannot connect: out of memory")
            }
            guard made.pointee.err == 0 else {
                let reason = errorText(made)
                redisFree(made)
                throw failure(nil, reason == "Connection refused" ? "connection refused" : "cannot connect: \(reason)")
            }
            context = made
            do throws(CallQueueError) {
                if let password {
                    // Shown as plain AUTH: the password never appears in an error.
                    let arguments = location.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
                    try freeing(try command(arguments.map { Array($0.utf8) }, shown: "AUTH", waiting: timeout)) { reply throws(CallQueueError) in
                        guard reply.pointee.type == REDIS_REPLY_STATUS else {
                            throw failure(nil, "authentication failed (\(text(of: reply)))")
                        }
                    }
                }
                if location.database != 0 {
                    let shown = "SELECT \(location.database)"
                    try freeing(try command([Array("SELECT".utf8), Array(String(location.database).utf8)],
                                            shown: shown, waiting: timeout)) { reply throws(CallQueueError) in
                        guard reply.pointee.type == REDIS_REPLY_STATUS else { throw failure(shown, describe(reply)) }
                    }
                }
            } catch {
                disconnect()
                throw error
            }
        }
    }

    /// Closes the connection, if one is open; the next command connects again.
    public func disconnect() {
        guard let context else { return }
        redisFree(context)
        self.context = nil
    }

    /// `BLPOP LIST SECONDS`: takes the item at the head of the list, waiting up to `seconds` (a fraction is fine:
    /// Redis 6 and later take one) for one to arrive; nil when none did.
    ///
    /// - Throws: ``CallQueueError``; a failed connection is closed first.
    public func pop(waiting seconds: Double) throws(CallQueueError) -> [UInt8]? {
        let shown = "BLPOP \(location.list)"
        let reply = try command([Array("BLPOP".utf8), Array(location.list.utf8), Array(Self.secondsText(seconds).utf8)],
                                shown: shown, waiting: timeout + seconds)
        return try freeing(reply) { reply throws(CallQueueError) -> [UInt8]? in
            switch reply.pointee.type {
            case REDIS_REPLY_NIL:
                return nil
            case REDIS_REPLY_ARRAY where reply.pointee.elements == 2:
                guard let item = reply.pointee.element[1], item.pointee.type == REDIS_REPLY_STRING else {
                    throw failure(shown, "unexpected reply: the item is not a string")
                }
                return bytes(of: item)
            default:
                throw failure(shown, describe(reply))
            }
        }
    }

    /// `RPUSH LIST ITEM...` (or `LPUSH` with `front`, which puts the items at the head, where the next pop takes
    /// them): returns the list's length afterwards.
    ///
    /// - Throws: ``CallQueueError``; a failed connection is closed first.
    @discardableResult
    public func push(_ items: [[UInt8]], front: Bool = false) throws(CallQueueError) -> Int {
        let verb = front ? "LPUSH" : "RPUSH"
        let shown = "\(verb) \(location.list)"
        guard !items.isEmpty else { return try length() }
        let reply = try command([Array(verb.utf8), Array(location.list.utf8)] + items, shown: shown, waiting: timeout)
        return try freeing(reply) { reply throws(CallQueueError) -> Int in
            guard reply.pointee.type == REDIS_REPLY_INTEGER else { throw failure(shown, describe(reply)) }
            return Int(reply.pointee.integer)
        }
    }

    /// `LLEN LIST`: the number of jobs queued (0 when the list does not exist).
    ///
    /// - Throws: ``CallQueueError``; a failed connection is closed first.
    public func length() throws(CallQueueError) -> Int {
        let shown = "LLEN \(location.list)"
        let reply = try command([Array("LLEN".utf8), Array(location.list.utf8)], shown: shown, waiting: timeout)
        return try freeing(reply) { reply throws(CallQueueError) -> Int in
            guard reply.pointee.type == REDIS_REPLY_INTEGER else { throw failure(shown, describe(reply)) }
            return Int(reply.pointee.integer)
        }
    }

    // MARK: - Plumbing

    /// `0.5`, `1`, `2.25`: BLPOP's timeout, at millisecond precision, at least 1 ms (0 would wait for ever).
    static func secondsText(_ seconds: Double) -> String {
        let milliseconds = max(Int((seconds * 1000).rounded()), 1)
        if milliseconds % 1000 == 0 { return String(milliseconds / 1000) }
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// Sends `arguments` (each byte for byte, with its length; connecting first when needed) and waits up to
    /// `seconds` for the reply, which the caller frees.
    private func command(_ arguments: [[UInt8]], shown: String,
                         waiting seconds: Double) throws(CallQueueError) -> UnsafeMutablePointer<redisReply> {
        try connect()
        guard let context else { throw failure(shown, "not connected") }
        return try withSIGPIPEBlocked { () throws(CallQueueError) -> UnsafeMutablePointer<redisReply> in
            guard redisSetTimeout(context, timeval(seconds: seconds)) == REDIS_OK else {
                let reason = errorText(context)
                disconnect()
                throw failure(shown, reason)
            }
            let copies = arguments.map { argument in
                let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(argument.count, 1))
                argument.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: copy, count: argument.count).copyMemory(from: $0) }
                return copy
            }
            defer { copies.forEach { $0.deallocate() } }
            var argv: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
            var lengths = arguments.map(\.count)
            let reply = csupervise_redis_command(context, Int32(arguments.count), &argv, &lengths)
            let code = errno
            guard let reply else {
                let reason = lostReason(context, errno: code)
                disconnect()
                throw failure(shown, reason)
            }
            return reply
        }
    }

    /// Runs `body` on `reply`, then frees it.
    private func freeing<T>(_ reply: UnsafeMutablePointer<redisReply>,
                            _ body: (UnsafeMutablePointer<redisReply>) throws(CallQueueError) -> T) throws(CallQueueError) -> T {
        defer { freeReplyObject(reply) }
        return try body(reply)
    }

    /// Why a command got no reply.
    private func lostReason(_ context: UnsafeMutablePointer<redisContext>, errno code: Int32) -> String {
        switch context.pointee.err {
        case REDIS_ERR_EOF: return "connection closed by the server"
        case REDIS_ERR_IO where code == EAGAIN || code == ETIMEDOUT: return "no reply within the timeout"
        case REDIS_ERR_IO where code == ECONNRESET: return "connection reset by the server"
        case REDIS_ERR_IO where code == EPIPE: return "connection closed by the server"
        default: return errorText(context)
        }
    }

    /// A server error reply's text, or what a reply of the wrong type was.
    private func describe(_ reply: UnsafeMutablePointer<redisReply>) -> String {
        switch reply.pointee.type {
        case REDIS_REPLY_ERROR: return text(of: reply)
        case REDIS_REPLY_STATUS, REDIS_REPLY_STRING: return "unexpected reply \"\(text(of: reply))\""
        case REDIS_REPLY_INTEGER: return "unexpected reply: the integer \(reply.pointee.integer)"
        case REDIS_REPLY_NIL: return "unexpected reply: nil"
        case REDIS_REPLY_ARRAY: return "unexpected reply: an array of \(reply.pointee.elements)"
        default: return "unexpected reply of type \(reply.pointee.type)"
        }
    }

    private func bytes(of reply: UnsafeMutablePointer<redisReply>) -> [UInt8] {
        guard let start = reply.pointee.str else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: Int(reply.pointee.len)))
    }

    /// A status or error reply's text (at most 200 bytes, control characters as `?`).
    private func text(of reply: UnsafeMutablePointer<redisReply>) -> String {
        let all = bytes(of: reply)
        let shown = String(decoding: all.prefix(200).map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
        return all.count > 200 ? shown + "…" : shown
    }

    private func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private func failure(_ command: String?, _ reason: String) -> CallQueueError {
        CallQueueError(server: location.server, command: command, reason: reason)
    }
}

/// Why a call-queue command failed: `redis 127.0.0.1:6379: connection refused`,
/// `redis 127.0.0.1:6379: BLPOP call-queue: WRONGTYPE Operation against a key holding the wrong kind of value`.
public struct CallQueueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `HOST:PORT`.
    public var server: String
    /// The command that failed (without secret arguments); nil while connecting.
    public var command: String?
    /// The server's error reply, or what went wrong with the connection.
    public var reason: String

    /// `redis HOST:PORT: [COMMAND: ]REASON`.
    public var description: String { "redis \(server): " + (command.map { "\($0): " } ?? "") + reason }
}

extension timeval {
    /// `seconds`, whole microseconds, at least one (hiredis takes zero as no timeout at all).
    init(seconds: Double) {
        let microseconds = max(Int((seconds * 1e6).rounded()), 1)
        self.init(tv_sec: microseconds / 1_000_000, tv_usec: microseconds % 1_000_000)
    }
}

/// Runs `body` with `SIGPIPE` blocked on this thread: hiredis writes with `write(2)`, and a write to a connection the
/// server closed would otherwise raise `SIGPIPE`, whose default action ends the process. Blocked, the write fails
/// with `EPIPE`; a `SIGPIPE` that became pending meanwhile is taken off before the mask is restored.
private func withSIGPIPEBlocked<T>(_ body: () throws(CallQueueError) -> T) throws(CallQueueError) -> T {
    var pipeOnly = sigset_t()
    sigemptyset(&pipeOnly)
    sigaddset(&pipeOnly, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous)
    func pending() -> Bool {
        var set = sigset_t()
        sigpending(&set)
        return sigismember(&set, SIGPIPE) == 1
    }
    let pendingBefore = pending()
    defer {
        if !pendingBefore && pending() {
            var now = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&pipeOnly, nil, &now)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
    return try body()
}
