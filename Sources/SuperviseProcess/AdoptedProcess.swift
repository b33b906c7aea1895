import CSuperviseSys
import Foundation

/// Watches a process this daemon did not start (adopted from a predecessor that was killed in
/// the middle of a drain): not a child, so no `waitpid`. A thread checks every 100 ms whether the
/// pid still names the same process (same start time) and reports once it is gone.
public enum AdoptedProcess {
    public static func watch(pid: Int32, onExit: @escaping @Sendable () -> Void) {
        let ticks = csupervise_process_start_ticks(pid)
        let thread = Thread {
            while ticks != 0 && csupervise_process_start_ticks(pid) == ticks { usleep(100_000) }
            onExit()
        }
        thread.name = "supervise.adopted-\(pid)"
        thread.start()
    }

    /// Whether `pid` is still the process that started at `startTicks`.
    public static func isAlive(pid: Int32, startTicks: UInt64) -> Bool {
        pid > 1 && startTicks != 0 && UInt64(csupervise_process_start_ticks(pid)) == startTicks
    }
}
