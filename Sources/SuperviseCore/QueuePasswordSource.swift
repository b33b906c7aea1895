/// Where the password of a queue's Redis comes from. The configuration never holds the password itself, only
/// where the daemon reads it when it starts reading the queue.
public enum QueuePasswordSource: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A file holding the password (one trailing line break is not part of it).
    case file(path: String)
    /// An environment variable of the daemon.
    case environment(variable: String)

    /// `password_file /etc/supervise/redis.pass` or `password_env REDIS_PASSWORD`, as the configuration key names it.
    public var description: String {
        switch self {
        case .file(let path): "password_file \(path)"
        case .environment(let variable): "password_env \(variable)"
        }
    }
}
