import CSystemd
import Foundation

/// Talks to systemd's notify socket (`Type=notify`): readiness, status, reload and stop, watchdog.
///
/// Every call is a single non-blocking datagram; without `NOTIFY_SOCKET` they do nothing.
public struct SystemdNotifier: Sendable {
    /// Half of `WATCHDOG_USEC` when systemd's watchdog is on for this process, as systemd recommends.
    public let watchdogInterval: Duration?

    public init() {
        var usec: UInt64 = 0
        if sd_watchdog_enabled(0, &usec) > 0, usec > 0 {
            watchdogInterval = .microseconds(Int64(usec / 2))
        } else {
            watchdogInterval = nil
        }
    }

    /// Whether a notify socket is configured. `getenv`, not `ProcessInfo.environment`, which copies
    /// the whole environment into a dictionary: this runs after every input of the loop.
    public var isEnabled: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends `fields` ("READY=1", "STATUS=…") in one datagram.
    public func send(_ fields: String...) {
        guard isEnabled else { return }
        _ = csupervise_sd_notify(0, fields.joined(separator: "\n"))
    }

    public func ready(status: String) { send("READY=1", "STATUS=" + oneLine(status)) }
    public func status(_ status: String) { send("STATUS=" + oneLine(status)) }
    public func reloading() { send("RELOADING=1", "STATUS=reloading configuration") }
    public func stopping() { send("STOPPING=1", "STATUS=stopping all units") }
    public func watchdog() { send("WATCHDOG=1") }

    private func oneLine(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: " ") }
}
