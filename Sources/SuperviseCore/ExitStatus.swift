/// How a process ended.
public enum ExitStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    case exited(code: Int32)
    case signaled(signal: Int32, coreDumped: Bool)
    /// The process ended but was not this daemon's child (adopted from a predecessor), so its status is unknown.
    case unknown

    /// Clean like systemd's: exit code in `successCodes`, or killed by `stopSignal` or one of `successSignals`.
    public func isClean(successCodes: Set<Int32>, successSignals: Set<Int32>, stopSignal: Int32) -> Bool {
        switch self {
        case .exited(let code): successCodes.contains(code)
        case .signaled(let signal, _): signal == stopSignal || successSignals.contains(signal)
        case .unknown: false
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal, let core): "killed by \(Signals.name(signal))" + (core ? " (core dumped)" : "")
        case .unknown: "exit status unknown (not a child of this daemon)"
        }
    }

    /// Short form for tables: `0`, `1`, `SIGKILL`.
    public var short: String {
        switch self {
        case .exited(let code): "\(code)"
        case .signaled(let signal, _): Signals.name(signal)
        case .unknown: "?"
        }
    }
}
