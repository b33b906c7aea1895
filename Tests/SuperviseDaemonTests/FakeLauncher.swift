import Foundation
import Synchronization
import SuperviseCore
import SuperviseProcess
import SuperviseDaemon

/// A double for ``ProcessLauncher``. Why: a real spawn makes the test depend on fork/exec timing
/// and on when a process acts on a signal. Here no process exists: each spawn is recorded and
/// answered with a made-up pid (at once, or when the test says), signals are recorded, and a
/// "process" ends when the test says so, or at once on a stop signal when `exitsOnStopSignal`.
final class FakeLauncher: ProcessLauncher {
    /// One signal the loop sent, to the unit's made-up process group.
    struct SentSignal: Equatable, CustomStringConvertible {
        var unit: String
        var pid: Int32
        var signal: Int32
        var description: String { "\(Signals.name(signal)) to \(unit)[\(pid)]" }
    }

    private struct Process {
        var unit: String
        var onLine: @Sendable (Int32, SuperviseProcess.OutputStream, String) -> Void
        var onExit: @Sendable (MainProcessEnd) -> Void
    }

    private struct PendingSpawn {
        var unit: String
        var onLine: @Sendable (Int32, SuperviseProcess.OutputStream, String) -> Void
        var onExit: @Sendable (MainProcessEnd) -> Void
        var completion: @Sendable (Result<Int32, SpawnError>) -> Void
    }

    private struct State {
        var nextPid: Int32 = 1000
        var spawns: [String] = []
        var pending: [PendingSpawn] = []
        var running: [Int32: Process] = [:]
        var signals: [SentSignal] = []
        var adopted: [Int32] = []
        var exitsOnStopSignal: Bool
    }

    private let state: Mutex<State>
    /// Answer each spawn with a pid as it is asked for; otherwise ``answerSpawn(of:)`` does.
    let answersAtOnce: Bool

    /// - Parameter exitsOnStopSignal: Whether a stop signal ends a process at once (see
    ///   ``exitsOnStopSignal``); otherwise only SIGKILL and ``end(_:_:)`` do.
    init(answersAtOnce: Bool = true, exitsOnStopSignal: Bool = true) {
        self.answersAtOnce = answersAtOnce
        state = Mutex(State(exitsOnStopSignal: exitsOnStopSignal))
    }

    /// A stop signal (anything but SIGCONT) ends the process at once, killed by that signal.
    var exitsOnStopSignal: Bool {
        get { state.withLock { $0.exitsOnStopSignal } }
        set { state.withLock { $0.exitsOnStopSignal = newValue } }
    }

    /// Units spawned, in the order the loop asked.
    var spawns: [String] { state.withLock { $0.spawns } }
    /// Signals sent, in order, SIGCONT left out (it follows every stop signal).
    var stopSignals: [SentSignal] { state.withLock { $0.signals.filter { $0.signal != SIGCONT } } }
    /// Units whose made-up process has not ended, by pid.
    var live: [Int32: String] { state.withLock { $0.running.mapValues(\.unit) } }
    /// Units with a spawn asked for and not answered yet.
    var unanswered: [String] { state.withLock { $0.pending.map(\.unit) } }

    func spawn(_ spec: UnitSpec, onLine: @escaping @Sendable (Int32, SuperviseProcess.OutputStream, String) -> Void,
               onExit: @escaping @Sendable (MainProcessEnd) -> Void,
               completion: @escaping @Sendable (Result<Int32, SpawnError>) -> Void) {
        let pending = PendingSpawn(unit: spec.name, onLine: onLine, onExit: onExit, completion: completion)
        state.withLock {
            $0.spawns.append(spec.name)
            $0.pending.append(pending)
        }
        if answersAtOnce { _ = answerSpawn(of: spec.name) }
    }

    /// Answers the oldest unanswered spawn of `unit` with a new pid, as the real spawner does once
    /// the child has exec'd; returns that pid.
    @discardableResult
    func answerSpawn(of unit: String) -> Int32? {
        let answered: (PendingSpawn, Int32)? = state.withLock { state in
            guard let i = state.pending.firstIndex(where: { $0.unit == unit }) else { return nil }
            let spawn = state.pending.remove(at: i)
            state.nextPid += 1
            state.running[state.nextPid] = Process(unit: unit, onLine: spawn.onLine, onExit: spawn.onExit)
            return (spawn, state.nextPid)
        }
        guard let (spawn, pid) = answered else { return nil }
        spawn.completion(.success(pid))
        return pid
    }

    func signalUnit(_ unit: String, pid: Int32, signal: Int32) -> Bool {
        let (found, ends): (Bool, Bool) = state.withLock { state in
            guard let process = state.running[pid] else { return (false, false) }
            state.signals.append(SentSignal(unit: process.unit, pid: pid, signal: signal))
            return (true, signal == SIGKILL || (state.exitsOnStopSignal && signal != SIGCONT))
        }
        if ends { end(pid, .signaled(signal: signal, coreDumped: false)) }
        return found
    }

    /// The process `pid` writes `lines`, handed over as the output pump would.
    func write(_ pid: Int32, _ lines: [String], stream: SuperviseProcess.OutputStream = .stdout) {
        guard let process = state.withLock({ $0.running[pid] }) else { return }
        for line in lines { process.onLine(pid, stream, line) }
    }

    /// The process `pid` ends with `status`, reported as the reaper would.
    func end(_ pid: Int32, _ status: ExitStatus) {
        guard let process = state.withLock({ $0.running.removeValue(forKey: pid) }) else { return }
        process.onExit(MainProcessEnd(pid: pid, status: status, remaining: 0, oomKilled: false))
    }

    func watchAdopted(_ unit: String, pid: Int32, onExit: @escaping @Sendable (Int) -> Void) {
        state.withLock { $0.adopted.append(pid) }
    }

    /// Made-up processes leave nothing behind: the unit is empty as soon as its process ends.
    func watchUnit(_ unit: String, pid: Int32, report: @escaping @Sendable (Int) -> Void) { report(0) }

    func resources(of units: [(name: String, main: Int32?)]) -> [String: UnitResources] { [:] }

    var containmentStatus: ContainmentStatus { ContainmentStatus(mode: "process-group", reason: "a test double") }
    var loopExecutor: (any TaskExecutor)? { nil }

    /// Made-up, but stable per pid, as a real start time is.
    func startTicks(of pid: Int32) -> UInt64 { UInt64(pid) * 100 }

    /// Nothing to end: the double has no threads.
    func shutdown() {}
}
