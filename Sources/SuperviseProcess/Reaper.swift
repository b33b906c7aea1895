import CSuperviseSys
import Foundation
import Synchronization
import SuperviseCore

/// Reaps every child of the daemon on one dedicated thread and reports exits of registered pids.
///
/// `waitpid(-1)` blocks on its own thread, never on Swift's cooperative pool. The daemon is a child
/// subreaper, so orphaned grandchildren end up here too and are reaped (no zombies) without a report.
public final class Reaper: Sendable {
    /// pid -> handler. Held by the spawner across fork+register so an instant exit is never missed.
    let registry = Mutex<[Int32: @Sendable (ExitStatus) -> Void]>([:])
    private let wakeup = DispatchSemaphore(value: 0)

    public init() {
        _ = csupervise_set_child_subreaper()
        let thread = Thread { [self] in self.run() }
        thread.name = "supervise-reaper"
        thread.start()
    }

    /// Tells the reaper thread there are children to wait for.
    func childrenExist() { wakeup.signal() }

    private func run() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid > 0 {
                let handler = registry.withLock { $0.removeValue(forKey: pid) }
                handler?(ExitStatus(waitStatus: status))
            } else if errno == ECHILD {
                wakeup.wait()
            } else if errno != EINTR {
                usleep(10_000)
            }
        }
    }
}
