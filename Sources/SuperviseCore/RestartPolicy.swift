/// When a unit that stopped on its own is started again.
public enum RestartPolicy: String, Sendable, Codable, CaseIterable {
    /// Never restarted.
    case no
    /// Restarted when the exit was not clean (see ``ExitStatus/isClean(successCodes:successSignals:stopSignal:)``).
    case onFailure = "on-failure"
    /// Always restarted; an operator's `stop` lasts until the daemon restarts.
    case always
    /// Always restarted, except after an operator's `stop`, which is remembered across daemon restarts.
    case unlessStopped = "unless-stopped"

    /// Whether an exit with this cleanliness leads to a restart.
    public func restarts(afterCleanExit clean: Bool) -> Bool {
        switch self {
        case .no: false
        case .onFailure: !clean
        case .always, .unlessStopped: true
        }
    }
}
