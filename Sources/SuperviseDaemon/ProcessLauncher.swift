import SuperviseCore
import SuperviseProcess

/// Starts unit processes, signals their process groups and watches processes adopted from a
/// predecessor daemon: everything the supervision loop asks of the operating system's processes.
///
/// ``ProcessSpawner`` (fork/exec on a queue of its own, a reaper thread) is the real one; tests
/// give the loop a double that answers with made-up pids.
package protocol ProcessLauncher: Sendable {
    /// Starts `spec`. `completion` gets the pid or the reason, always before `onExit` fires (once,
    /// when that process ends); `onLine` gets each captured output line. Never blocks the caller.
    func spawn(
        _ spec: UnitSpec,
        onLine: @escaping @Sendable (Int32, OutputStream, String) -> Void,
        onExit: @escaping @Sendable (Int32, ExitStatus) -> Void,
        completion: @escaping @Sendable (Result<Int32, SpawnError>) -> Void)

    /// Sends `signal` to the process group led by `pid`; false when no such group exists.
    @discardableResult
    func signalGroup(pid: Int32, signal: Int32) -> Bool

    /// Calls `onExit` once `pid`, a process this daemon did not start, has ended.
    func watchAdopted(pid: Int32, onExit: @escaping @Sendable () -> Void)

    /// `pid`'s start time (clock ticks since boot), which tells it apart from a later process
    /// reusing the pid; 0 when there is no such process.
    func startTicks(of pid: Int32) -> UInt64
}

extension ProcessSpawner: ProcessLauncher {
    package func watchAdopted(pid: Int32, onExit: @escaping @Sendable () -> Void) {
        AdoptedProcess.watch(pid: pid, onExit: onExit)
    }

    package func startTicks(of pid: Int32) -> UInt64 { LeftoverProcesses.startTicks(of: pid) }
}
