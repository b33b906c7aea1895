import CSuperviseSys
import Foundation
import Synchronization
import SuperviseCore
import SuperviseThreads

/// Reaps the daemon's children: every main process it started (a unit's, an exec probe's) on the
/// thread that started it, woken by the process's pidfd; every other child on a thread of its own.
///
/// A main process is reaped where it was spawned (``ProcessSpawner``'s spawn thread, which also
/// runs the supervision loop), so a crash reaches the loop without another thread's wake-up. The
/// daemon is a child subreaper, so the processes a unit leaves when its parent dies are reparented
/// to it; the reaper thread reaps those (no zombies) and reports them. It waits with `WNOWAIT`, so
/// it never takes a main process from the spawn thread: one that ends is left to its pidfd.
/// Where `pidfd_open` is refused (kernels before 5.3), the reaper thread reaps main processes too.
public final class Reaper: Sendable {
    struct Registration {
        /// The pidfd that the spawn thread watches for this process; -1: the reaper thread reaps it.
        var pidfd: Int32
        var onExit: @Sendable (ExitStatus) -> Void
    }

    /// pid -> how its end is reported. Held by the spawner across fork+register, so the reaper
    /// thread never takes a main process for an orphan, however soon it ends.
    let registry = Mutex<[Int32: Registration]>([:])
    /// The main process the reaper thread waits for the spawn thread to reap, if any.
    private let awaiting = Mutex<Int32?>(nil)
    private let reapedAwaited = DispatchSemaphore(value: 0)
    private let wakeup = DispatchSemaphore(value: 0)
    private let orphanHandler = Mutex<(@Sendable (Int32) -> Void)?>(nil)
    private let stopping = Atomic<Bool>(false)

    public init() {
        _ = csupervise_set_child_subreaper()
        startThread(named: "sv-reaper") { [self] in
            // Orphans wait: the thread wakes with every main process's end too (and leaves it to
            // the spawn thread), and must not take a core from the restart that follows.
            _ = csupervise_set_thread_nice(10)
            self.run()
        }
    }

    /// Calls `handler` (on the reaper thread) with each process reaped that no one registered:
    /// an orphan the daemon took in as a subreaper, often the last process of a unit.
    func onOrphanReaped(_ handler: @escaping @Sendable (Int32) -> Void) {
        orphanHandler.withLock { $0 = handler }
    }

    /// The pids of the registered processes that have not been reaped: every unit's main process.
    func mains() -> Set<Int32> { registry.withLock { Set($0.keys) } }

    /// Tells the reaper thread there are children to wait for.
    func childrenExist() { wakeup.signal() }

    /// Ends the reaper thread once the daemon has no child left (its units are stopped by then); a
    /// thread waiting for children cannot be woken otherwise, and nothing is lost by its waiting.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        wakeup.signal()
    }

    /// Hands over the end of main process `pid`, which its pidfd's thread has just reaped: the
    /// handler to call with its status (nil when it was not registered).
    func takeMain(_ pid: Int32) -> (@Sendable (ExitStatus) -> Void)? {
        let registration = registry.withLock { $0.removeValue(forKey: pid) }
        let release = awaiting.withLock { waited -> Bool in
            guard waited == pid else { return false }
            waited = nil
            return true
        }
        if release { reapedAwaited.signal() }
        return registration?.onExit
    }

    private func run() {
        while true {
            let pid = csupervise_wait_exited_child()
            if pid > 0 {
                settle(pid)
            } else if errno == ECHILD {
                if stopping.load(ordering: .acquiring) { return }
                wakeup.wait()
            } else if errno != EINTR {
                usleep(10_000)
            }
        }
    }

    /// `pid` has ended and is not reaped: reaps it, unless its pidfd's thread will.
    private func settle(_ pid: Int32) {
        if let registration = registry.withLock({ $0[pid] }), registration.pidfd >= 0 {
            // The spawn thread reaps it. Wait for that rather than see it again at once; the
            // check for a still unreaped process covers a pid reaped and reused meanwhile.
            awaiting.withLock { $0 = pid }
            if registry.withLock({ $0[pid] != nil }) && csupervise_is_unreaped_exited(pid) == 1 {
                reapedAwaited.wait()
            } else {
                awaiting.withLock { if $0 == pid { $0 = nil } }
            }
            return
        }
        var status: Int32 = 0
        // The lookup and the reap under the lock: a spawn registering a reused pid waits for both.
        let registration = registry.withLock { registry -> Registration?? in
            guard csupervise_reap(pid, &status) == pid else { return .none }
            return .some(registry.removeValue(forKey: pid))
        }
        switch registration {
        case .none: return
        case .some(.some(let registered)): registered.onExit(ExitStatus(waitStatus: status))
        case .some(.none): orphanHandler.withLock { $0 }?(pid)
        }
    }
}
