import CSuperviseSys
import Foundation
import SuperviseCore

/// Processes a previous daemon started and left running (it was killed with SIGKILL, outside
/// systemd's cgroup cleanup). They are stopped before the new daemon starts its own, so a unit
/// never runs twice.
public enum LeftoverProcesses {
    /// One process group to stop.
    public struct Leftover: Sendable {
        public var unit: String
        public var pid: Int32
        public var stopSignal: Int32
    }

    /// The recorded processes that are still alive and still the same process (same start time).
    public static func find(in state: PersistedState, specs: [UnitSpec]) -> [Leftover] {
        let signals = Dictionary(specs.map { ($0.name, $0.stopSignal) }, uniquingKeysWith: { a, _ in a })
        return state.units.compactMap { name, unit in
            // A container unit's pid is Docker's process: never ours to stop.
            guard unit.containerID == nil, let pid = unit.pid, pid > 1, let ticks = unit.pidStartTicks, ticks != 0,
                  csupervise_process_start_ticks(pid) == ticks else { return nil }
            return Leftover(unit: name, pid: pid, stopSignal: signals[name] ?? Signals.term)
        }.sorted { $0.unit < $1.unit }
    }

    /// Sends each group its stop signal, waits up to `timeout` for them to go, then SIGKILLs the rest.
    /// Blocking: call before the supervision loop starts.
    public static func stop(_ leftovers: [Leftover], timeout: Duration, log: (String) -> Void) {
        guard !leftovers.isEmpty else { return }
        for l in leftovers {
            log("\(l.unit): stopping process group \(l.pid) left by the previous daemon (\(Signals.name(l.stopSignal)))")
            kill(-l.pid, l.stopSignal)
        }
        let deadline = Date().addingTimeInterval(timeout.seconds)
        while Date() < deadline, leftovers.contains(where: { groupAlive($0.pid) }) { usleep(20_000) }
        for l in leftovers where groupAlive(l.pid) {
            log("\(l.unit): process group \(l.pid) did not stop within \(DurationText.format(timeout)); SIGKILL")
            kill(-l.pid, SIGKILL)
        }
    }

    static func groupAlive(_ pgid: Int32) -> Bool { kill(-pgid, 0) == 0 }

    /// Start time of `pid` (clock ticks since boot), recorded at spawn.
    public static func startTicks(of pid: Int32) -> UInt64 { UInt64(csupervise_process_start_ticks(pid)) }
}
