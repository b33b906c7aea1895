import SuperviseCore

/// Why a Redis list's length could not be read. Its ``description`` names the server, the step that failed and
/// the cause, such as `redis 127.0.0.1:6390: connection refused` or
/// `redis 127.0.0.1:6390: LLEN call-queue: WRONGTYPE Operation against a key holding the wrong kind of value`.
public struct RedisReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// Nothing listens at the address (`ECONNREFUSED`).
        case connectionRefused
        /// The connection could not be made for another reason: the resolver's or the system's text, such as
        /// `Name or service not known` or `No such file or directory` (a missing Unix socket).
        case connectFailed(String)
        /// The reading took longer than the queue's timeout (connecting, or waiting for a reply).
        case timedOut(after: Duration)
        /// `AUTH` was refused: the server's error, such as `WRONGPASS invalid username-password pair …`.
        case authenticationFailed(String)
        /// The server answered a command with an error, such as `WRONGTYPE …`, `NOAUTH …` or
        /// `ERR DB index is out of range`.
        case commandFailed(String)
        /// The connection ended while a command waited for its reply: `connection closed by the server`,
        /// `connection reset by the server`, or another system error.
        case connectionLost(String)
        /// The reply was not what the command returns (not an integer for `LLEN`, say), or not RESP at all.
        case unexpectedReply(String)
        /// The reading was cut short because its poller is stopping.
        case interrupted
    }

    /// The server as configured: `127.0.0.1:6379` or `unix:/run/redis/redis.sock`.
    public var server: RedisAddress
    /// The command that failed, without its arguments when they are secret: `AUTH`, `SELECT 2`, `LLEN call-queue`;
    /// nil while connecting.
    public var command: String?
    public var kind: Kind

    public init(server: RedisAddress, command: String?, kind: Kind) {
        self.server = server
        self.command = command
        self.kind = kind
    }

    public var description: String {
        var text = "redis \(server): "
        switch kind {
        case .connectionRefused: return text + "connection refused"
        case .connectFailed(let reason): return text + "cannot connect: \(reason)"
        case .authenticationFailed(let reply): return text + "authentication failed (\(reply))"
        default: break
        }
        if let command { text += "\(command): " }
        switch kind {
        case .timedOut(let after):
            text += command == nil ? "connect timed out after " : "timed out after "
            text += DurationText.format(after)
        case .commandFailed(let reply): text += reply
        case .connectionLost(let reason): text += reason
        case .unexpectedReply(let what): text += "unexpected reply: \(what)"
        case .interrupted: text += "interrupted (stopping)"
        case .connectionRefused, .connectFailed, .authenticationFailed: break
        }
        return text
    }
}
