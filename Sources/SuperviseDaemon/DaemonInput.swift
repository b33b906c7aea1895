import SuperviseControl
import SuperviseCore

/// Everything that reaches the supervision loop, in order, through one stream.
enum DaemonInput: Sendable {
    case event(Event)
    case control(ControlRequest, CheckedContinuation<ControlResponse, Never>)
    /// SIGTERM or SIGINT.
    case terminate(signal: Int32)
    /// SIGHUP: the config file was read again (off the loop).
    case reload(Result<SupervisorConfig, ReloadFailure>)
    case timer
    case watchdog
}

/// A new configuration that could not be loaded; the old one keeps running.
struct ReloadFailure: Error, Sendable {
    var message: String
}
