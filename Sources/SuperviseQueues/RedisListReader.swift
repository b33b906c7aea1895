import CHiredis
import Foundation
import SuperviseCore

/// Holds one connection to the Redis server of a queue and reads the length of its list (`LLEN`).
///
/// The first ``length()`` connects (`redisConnectWithTimeout`, or the Unix-socket form), authenticates
/// (`AUTH password`, or `AUTH username password` for a Redis 6 ACL user) and selects the database when it is not 0;
/// later readings reuse the connection. After any failure the connection is closed and the next reading connects
/// again, so a restarted Redis (or a changed password, or a reply left half read by a timeout) costs one reading.
///
/// Every hiredis call blocks, for up to the queue's `timeout` in all: call ``length()`` only from a thread of your
/// own (``QueueDepthPoller`` has one), never from Swift's cooperative pool. Not thread-safe: one thread uses a
/// reader at a time.
public final class RedisListReader {
    /// The queue whose list is read.
    public let queue: QueueSpec
    private let password: String?
    private let interruption: ReadInterruption?
    private var context: UnsafeMutablePointer<redisContext>?

    /// A reader for `queue`, not connected yet; `password` is the queue's, from ``QueuePassword/resolve(for:environment:)``
    /// (nil: no `AUTH`).
    public convenience init(queue: QueueSpec, password: String?) {
        self.init(queue: queue, password: password, interruption: nil)
    }

    init(queue: QueueSpec, password: String?, interruption: ReadInterruption?) {
        self.queue = queue
        self.password = password
        self.interruption = interruption
    }

    deinit { disconnect() }

    /// Whether a connection is open (it is kept between readings).
    public var isConnected: Bool { context != nil }

    /// The length of the list, connecting first when no connection is open. A list that does not exist has length 0.
    /// Takes at most the queue's `timeout` once connected (each reply is waited for only as long as is left of it);
    /// resolving a host name comes on top.
    ///
    /// - Throws: ``RedisReadError``, after which the connection is closed.
    public func length() throws(RedisReadError) -> Int {
        let deadline = Monotonic.now() + queue.timeout
        return try BlockedSIGPIPE.run { () throws(RedisReadError) -> Int in
            do throws(RedisReadError) {
                if context == nil { try connect(until: deadline) }
                let command = "LLEN \(queue.list)"
                let reply = try self.command(["LLEN", queue.list], shown: command, until: deadline)
                defer { freeReplyObject(reply) }
                guard reply.pointee.type == REDIS_REPLY_INTEGER else {
                    throw failure(command, errorOrUnexpected(reply, command: command))
                }
                return Int(reply.pointee.integer)
            } catch {
                disconnect()
                throw error
            }
        }
    }

    /// Closes the connection, if one is open; the next reading connects again.
    public func disconnect() {
        guard let context else { return }
        interruption?.detach()
        redisFree(context)
        self.context = nil
    }

    // MARK: - Connecting

    private func connect(until deadline: Instant) throws(RedisReadError) {
        let remaining = deadline - Monotonic.now()
        guard remaining > .zero else { throw failure(nil, .timedOut(after: queue.timeout)) }
        let made: UnsafeMutablePointer<redisContext>?
        switch queue.redis {
        case .tcp(let host, let port): made = redisConnectWithTimeout(host, Int32(port), timeval(remaining))
        case .unix(let path): made = redisConnectUnixWithTimeout(path, timeval(remaining))
        }
        let code = errno
        guard let made else { throw failure(nil, .connectFailed("out of memory")) }
        guard made.pointee.err == 0 else {
            let kind = connectFailure(made, errno: code)
            redisFree(made)
            throw failure(nil, kind)
        }
        context = made
        guard interruption?.attach(made.pointee.fd) ?? true else { throw failure(nil, .interrupted) }
        if let password {
            // The password never appears in an error: the command is shown as plain AUTH.
            let arguments = queue.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            let reply = try command(arguments, shown: "AUTH", until: deadline)
            defer { freeReplyObject(reply) }
            switch reply.pointee.type {
            case REDIS_REPLY_STATUS: break
            case REDIS_REPLY_ERROR: throw failure(nil, .authenticationFailed(text(of: reply)))
            default: throw failure("AUTH", errorOrUnexpected(reply, command: "AUTH"))
            }
        }
        if queue.db != 0 {
            let shown = "SELECT \(queue.db)"
            let reply = try command(["SELECT", String(queue.db)], shown: shown, until: deadline)
            defer { freeReplyObject(reply) }
            guard reply.pointee.type == REDIS_REPLY_STATUS else {
                throw failure(shown, errorOrUnexpected(reply, command: shown))
            }
        }
    }

    /// What a failed connection attempt reports: hiredis's error code, and `errno` for an I/O error.
    private func connectFailure(_ context: UnsafeMutablePointer<redisContext>, errno code: Int32) -> RedisReadError.Kind {
        let reason = errorText(context)
        guard context.pointee.err == REDIS_ERR_IO else { return .connectFailed(reason) }
        switch code {
        case ECONNREFUSED: return .connectionRefused
        case ETIMEDOUT, EAGAIN, EINPROGRESS: return .timedOut(after: queue.timeout)
        default: return .connectFailed(reason)
        }
    }

    // MARK: - Commands

    /// Sends `arguments` (each byte for byte, with its length) and waits for the reply until `deadline`.
    private func command(_ arguments: [String], shown: String,
                         until deadline: Instant) throws(RedisReadError) -> UnsafeMutablePointer<redisReply> {
        guard let context else { throw failure(shown, .connectionLost("not connected")) }
        let remaining = deadline - Monotonic.now()
        // redisSetTimeout with zero would mean no timeout at all.
        guard remaining >= .milliseconds(1) else { throw failure(shown, .timedOut(after: queue.timeout)) }
        guard redisSetTimeout(context, timeval(remaining)) == REDIS_OK else {
            throw failure(shown, .connectionLost(errorText(context)))
        }
        // Copies of the exact bytes, with their lengths: a NUL inside an argument is sent, not taken for its end.
        let bytes = arguments.map { Array($0.utf8) }
        let copies = bytes.map { argument in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(argument.count, 1))
            argument.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: copy, count: argument.count).copyMemory(from: $0) }
            return copy
        }
        defer { copies.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        var lengths = bytes.map(\.count)
        let reply = csupervise_redis_command(context, Int32(arguments.count), &argv, &lengths)
        let code = errno
        guard let reply else {
            if interruption?.isInterrupted == true { throw failure(shown, .interrupted) }
            throw failure(shown, transportFailure(context, errno: code))
        }
        return reply
    }

    /// What a command that got no reply reports.
    private func transportFailure(_ context: UnsafeMutablePointer<redisContext>, errno code: Int32) -> RedisReadError.Kind {
        switch context.pointee.err {
        case REDIS_ERR_EOF: return .connectionLost("connection closed by the server")
        case REDIS_ERR_PROTOCOL: return .unexpectedReply(errorText(context))
        case REDIS_ERR_IO:
            switch code {
            // SO_RCVTIMEO ran out: recv fails with EAGAIN.
            case EAGAIN, ETIMEDOUT: return .timedOut(after: queue.timeout)
            case ECONNRESET: return .connectionLost("connection reset by the server")
            case EPIPE: return .connectionLost("connection closed by the server")
            default: return .connectionLost(errorText(context))
            }
        default: return .connectionLost(errorText(context))
        }
    }

    /// A server error reply's text, or a description of a reply of the wrong type.
    private func errorOrUnexpected(_ reply: UnsafeMutablePointer<redisReply>, command: String) -> RedisReadError.Kind {
        switch reply.pointee.type {
        case REDIS_REPLY_ERROR: return .commandFailed(text(of: reply))
        case REDIS_REPLY_STATUS, REDIS_REPLY_STRING: return .unexpectedReply("\"\(text(of: reply))\"")
        case REDIS_REPLY_INTEGER: return .unexpectedReply("the integer \(reply.pointee.integer)")
        case REDIS_REPLY_NIL: return .unexpectedReply("nil")
        case REDIS_REPLY_ARRAY: return .unexpectedReply("an array of \(reply.pointee.elements)")
        default: return .unexpectedReply("a reply of type \(reply.pointee.type)")
        }
    }

    /// The text of a status, error or string reply (at most 200 bytes of it, control characters as `?`).
    private func text(of reply: UnsafeMutablePointer<redisReply>) -> String {
        guard let bytes = reply.pointee.str else { return "" }
        let buffer = UnsafeRawBufferPointer(start: bytes, count: min(Int(reply.pointee.len), 200))
        let shown = String(decoding: buffer.map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
        return Int(reply.pointee.len) > 200 ? shown + "…" : shown
    }

    /// hiredis's `errstr`.
    private func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private func failure(_ command: String?, _ kind: RedisReadError.Kind) -> RedisReadError {
        RedisReadError(server: queue.redis, command: command, kind: kind)
    }
}

extension timeval {
    /// `duration`, whole microseconds.
    init(_ duration: Duration) {
        let microseconds = max(duration.nanosecondsClamped / 1000, 1)
        self.init(tv_sec: Int(microseconds / 1_000_000), tv_usec: Int(microseconds % 1_000_000))
    }
}
