import SuperviseSystemd

/// Tells the service manager how the daemon is doing: `Type=notify` readiness, status, reload,
/// stop and watchdog pings (``SystemdNotifier``: datagrams to `NOTIFY_SOCKET`).
package protocol ReadinessNotifying: Sendable {
    /// `READY=1` with a status line: the daemon runs (also sent after each reload).
    func ready(status: String)
    /// `STATUS=`: the one-line summary.
    func status(_ status: String)
    /// `RELOADING=1`: a reload has begun.
    func reloading()
    /// `STOPPING=1`: shutdown has begun.
    func stopping()
    /// `WATCHDOG=1`: the supervision loop is alive.
    func watchdog()
}

extension SystemdNotifier: ReadinessNotifying {}
