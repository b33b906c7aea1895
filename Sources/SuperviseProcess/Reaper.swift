import CSuperviseSys
import Foundation
import Synchronization
import SuperviseCore
import SuperviseThreads

/// Reaps every child of the daemon on one dedicated thread and reports exits of registered pids.
///
/// `waitpid(-1)` blocks on its own thread, never on Swift's cooperative pool. The daemon is a child
/// subreaper, so orphaned grandchildren end up here too and are reaped (no zombies) without a report.
public final class Reaper: Sendable {
    /// pid -> handler. Held by the spawner across fork+register so an instant exit is never missed.
    let registry = Mutex<[Int32: @Sendable (ExitStatus) -> Void]>([:])
    private let wakeup = DispatchSemaphore(value: 0)
    private let orphanHandler = Mutex<(@Sendable (Int32) -> Void)?>(nil)

    public init() {
        _ = csupervise_set_child_subreaper()
        startThread(named: "sv-reaper") { [self] in self.run() }
    }

    /// Calls `handler` (on the reaper thread) with each process reaped that no one registered:
    /// an orphan the daemon took in as a subreaper, often the last process of a unit.
    func onOrphanReaped(_ handler: @escaping @Sendable (Int32) -> Void) {
        orphanHandler.withLock { $0 = handler }
    }

    /// The pids of the registered processes that have not ended: every unit's main process.
    func mains() -> Set<Int32> { registry.withLock { Set($0.keys) } }

    /// Tells the reaper thread there are children to wait for.
    func childrenExist() { wakeup.signal() }

    private func run() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid > 0 {
                let handler = registry.withLock { $0.removeValue(forKey: pid) }
                if let handler { handler(ExitStatus(waitStatus: status)) } else { orphanHandler.withLock { $0 }?(pid) }
            } else if errno == ECHILD {
                wakeup.wait()
            } else if errno != EINTR {
                usleep(10_000)
            }
        }
    }
}
