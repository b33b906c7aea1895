import SuperviseControl
import SuperviseCore

/// Everything that reaches the supervision loop, in order, through one stream.
package enum DaemonInput: Sendable {
    case event(Event)
    /// Probe results gathered over a few milliseconds (see ``ProbeResultBatcher``).
    case probeResults([Event])
    case control(ControlRequest, CheckedContinuation<ControlResponse, Never>)
    /// Stop every unit and finish: the service group's graceful shutdown, after SIGTERM or SIGINT
    /// (`signal`) or asked for in-process (nil).
    case terminate(signal: Int32?)
    /// SIGHUP: the config file was read again (off the loop).
    case reload(Result<SupervisorConfig, ReloadFailure>)
    case timer
    case watchdog
    /// Time to write the state: changes since the last write are taken in one snapshot.
    case persist
}

/// A new configuration that could not be loaded; the old one keeps running.
package struct ReloadFailure: Error, Sendable {
    package var message: String

    package init(message: String) { self.message = message }
}
