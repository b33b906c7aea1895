import Synchronization
import SuperviseDaemon

/// A double for ``ReadinessNotifying``. Why: the real notifier sends datagrams to systemd's
/// `NOTIFY_SOCKET`, which an in-process test has none of. Here each notification is recorded as
/// the fields it would send.
final class RecordingNotifier: ReadinessNotifying {
    private let sent = Mutex<[String]>([])

    /// What was sent, in order: `READY=1`, `STATUS=...`, `RELOADING=1`, `STOPPING=1`, `WATCHDOG=1`.
    var notifications: [String] { sent.withLock { $0 } }

    func ready(status: String) { record("READY=1") }
    func status(_ status: String) { record("STATUS=\(status)") }
    func reloading() { record("RELOADING=1") }
    func stopping() { record("STOPPING=1") }
    func watchdog() { record("WATCHDOG=1") }

    private func record(_ fields: String) { sent.withLock { $0.append(fields) } }
}
