import Foundation
import Synchronization
import SuperviseThreads

/// Watches processes this daemon did not start (adopted from a predecessor that was killed) where
/// the kernel refuses a pidfd (before 5.3; ``ProcessSpawner/watchAdopted(pid:onExit:)`` uses one
/// where it can): not children, so no `waitpid`. One thread checks every 100 ms whether each pid
/// still names the same process (same start time, not a zombie) and reports the ones that are
/// gone; a thousand adopted units cost one thread, not a thousand.
public enum AdoptedProcess {
    private struct Watched {
        var pid: Int32
        var ticks: UInt64
        var onExit: @Sendable () -> Void
    }

    private static let watched = Mutex<[Watched]>([])
    private static let started = Mutex(false)
    private static let stopping = Atomic<Bool>(false)

    /// Calls `onExit` (on the watcher thread) once `pid` has ended.
    public static func watch(pid: Int32, onExit: @escaping @Sendable () -> Void) {
        let ticks = LeftoverProcesses.startTicks(of: pid)
        guard ticks != 0 else { return onExit() }
        watched.withLock { $0.append(Watched(pid: pid, ticks: ticks, onExit: onExit)) }
        started.withLock { started in
            guard !started else { return }
            startThread(named: "sv-adopted") { poll() }
            started = true
        }
    }

    /// Ends the polling thread (within 100 ms), if it runs; what it watched is no longer reported.
    public static func stop() { stopping.store(true, ordering: .releasing) }

    private static func poll() {
        while !stopping.load(ordering: .acquiring) {
            usleep(100_000)
            let gone = watched.withLock { list -> [Watched] in
                var alive: [Watched] = [], ended: [Watched] = []
                for w in list {
                    if isAlive(pid: w.pid, startTicks: w.ticks) { alive.append(w) } else { ended.append(w) }
                }
                list = alive
                return ended
            }
            gone.forEach { $0.onExit() }
        }
    }

    /// Whether `pid` is still the process that started at `startTicks`.
    public static func isAlive(pid: Int32, startTicks: UInt64) -> Bool {
        pid > 1 && startTicks != 0 && LeftoverProcesses.startTicks(of: pid) == startTicks
    }
}
