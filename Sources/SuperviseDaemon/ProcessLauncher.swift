import SuperviseCore
import SuperviseProcess

/// Starts unit processes, signals, counts and watches every process of a unit, and watches
/// processes adopted from a predecessor daemon: everything the supervision loop asks of the
/// operating system's processes.
///
/// ``ProcessSpawner`` (fork/exec on a thread of its own, a reaper thread, a cgroup per unit or
/// process groups) is the real one; tests give the loop a double that answers with made-up pids.
package protocol ProcessLauncher: Sendable {
    /// Starts `spec`. `completion` gets the pid or the reason, always before `onExit` fires (once,
    /// when that process ends); `onLine` gets each captured output line. Never blocks the caller.
    func spawn(
        _ spec: UnitSpec,
        onLine: @escaping @Sendable (Int32, OutputStream, String) -> Void,
        onExit: @escaping @Sendable (MainProcessEnd) -> Void,
        completion: @escaping @Sendable (Result<Int32, SpawnError>) -> Void)

    /// Sends `signal` to every process of `unit`, whose main process is (or was) `pid`; false
    /// when it has none left.
    @discardableResult
    func signalUnit(_ unit: String, pid: Int32, signal: Int32) -> Bool

    /// Calls `onExit` with what is left of `unit` once `pid`, a process this daemon did not start,
    /// has ended.
    func watchAdopted(_ unit: String, pid: Int32, onExit: @escaping @Sendable (_ remaining: Int) -> Void)

    /// Reports what is left of `unit` (main process `pid`, ended) now and whenever it changes,
    /// until it is empty.
    func watchUnit(_ unit: String, pid: Int32, report: @escaping @Sendable (Int) -> Void)

    /// What each unit uses (processes; CPU and memory from its cgroup), by name; a unit whose
    /// use is unknown is left out. `main`: the unit's main process, if it has one.
    func resources(of units: [(name: String, main: Int32?)]) -> [String: UnitResources]

    /// How the launcher holds each unit's processes together, for `status`.
    var containmentStatus: ContainmentStatus { get }

    /// Where the supervision loop runs: the thread spawns run on, so a spawn asked for by the
    /// loop happens in place rather than after another thread's wake-up. Nil: the cooperative pool.
    var loopExecutor: (any TaskExecutor)? { get }

    /// `pid`'s start time (clock ticks since boot), which tells it apart from a later process
    /// reusing the pid; 0 when there is no such process.
    func startTicks(of pid: Int32) -> UInt64

    /// Ends the launcher's threads once the loop has stopped every unit (the last thing the daemon does).
    func shutdown()
}

extension ProcessSpawner: ProcessLauncher {
    package func spawn(_ spec: UnitSpec, onLine: @escaping @Sendable (Int32, OutputStream, String) -> Void,
                       onExit: @escaping @Sendable (MainProcessEnd) -> Void,
                       completion: @escaping @Sendable (Result<Int32, SpawnError>) -> Void) {
        spawn(spec, contained: true, onLine: onLine, onExit: onExit, completion: completion)
    }

    package func watchUnit(_ unit: String, pid: Int32, report: @escaping @Sendable (Int) -> Void) {
        watchUnit(unit, main: pid, report: report)
    }

    package func startTicks(of pid: Int32) -> UInt64 { LeftoverProcesses.startTicks(of: pid) }

    package var containmentStatus: ContainmentStatus { containment.status }

    package var loopExecutor: (any TaskExecutor)? { spawnExecutor }
}
