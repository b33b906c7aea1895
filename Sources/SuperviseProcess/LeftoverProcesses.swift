import CSuperviseSys
import Foundation
import SuperviseCore

/// Processes a previous daemon started and left running (it was killed with SIGKILL, outside
/// systemd's cgroup cleanup). They are stopped before the new daemon starts its own, so a unit
/// never runs twice.
public enum LeftoverProcesses {
    /// One process (group leader) a previous daemon started.
    public struct Leftover: Sendable {
        public var unit: String
        public var pid: Int32
        /// How long the process has been running (from its start time in `/proc`), when readable.
        public var uptime: Duration?
    }

    /// The processes `state` records that are still alive and still the same process (same start
    /// time), by unit name. A container unit's pid is Docker's process: never listed.
    public static func find(in state: PersistedState) -> [Leftover] {
        state.units.compactMap { name, unit in
            guard unit.containerID == nil, let pid = unit.pid,
                  AdoptedProcess.isAlive(pid: pid, startTicks: unit.pidStartTicks ?? 0) else { return nil }
            return Leftover(unit: name, pid: pid, uptime: uptime(startTicks: unit.pidStartTicks ?? 0))
        }.sorted { $0.unit < $1.unit }
    }

    /// Sends each group SIGTERM (and SIGCONT, so a stopped process acts on it), waits up to
    /// `timeout` for them to go, then SIGKILLs the rest.
    /// For units no longer configured, so there is no stop signal of theirs to use.
    /// Blocking: call before the supervision loop starts.
    public static func stop(_ leftovers: [Leftover], timeout: Duration, hierarchy: CgroupHierarchy? = nil, log: (String) -> Void) {
        guard !leftovers.isEmpty else { return }
        // Each process gets the stop signal once (a second SIGTERM makes a LiveKit worker exit at
        // once): its unit's cgroup where it has one with processes in it, else its process group.
        func signal(_ l: Leftover, _ signal: Int32) {
            if let hierarchy, hierarchy.populated(l.unit) { hierarchy.signal(l.unit, signal) } else { kill(-l.pid, signal) }
        }
        for l in leftovers {
            log("\(l.unit): stopping process group \(l.pid) left by the previous daemon (\(Signals.name(Signals.term)))")
            signal(l, Signals.term)
            signal(l, SIGCONT)
        }
        let deadline = Date().addingTimeInterval(timeout.seconds)
        func alive(_ l: Leftover) -> Bool { groupAlive(l.pid) || hierarchy?.populated(l.unit) == true }
        while Date() < deadline, leftovers.contains(where: alive) { usleep(20_000) }
        for l in leftovers where alive(l) {
            log("\(l.unit): process group \(l.pid) did not stop within \(DurationText.format(timeout)); SIGKILL")
            kill(-l.pid, SIGKILL)
            hierarchy?.signal(l.unit, SIGKILL)
        }
    }

    /// Stops whatever is left in the cgroups of units no longer configured (SIGTERM and SIGCONT,
    /// SIGKILL after `timeout`) and removes those cgroups. Blocking: before the loop starts.
    public static func stopUnconfigured(in hierarchy: CgroupHierarchy, configured: Set<String>, timeout: Duration,
                                        log: (String) -> Void) {
        let gone = hierarchy.unitNames().filter { !configured.contains($0) }
        let populated = gone.filter(hierarchy.populated)
        for unit in populated {
            log("\(unit): no longer configured; stopping the \(hierarchy.processes(of: unit).count) processes left in its cgroup (SIGTERM)")
            hierarchy.signal(unit, Signals.term)
            hierarchy.signal(unit, SIGCONT)
        }
        let deadline = Date().addingTimeInterval(timeout.seconds)
        while Date() < deadline, populated.contains(where: hierarchy.populated) { usleep(20_000) }
        for unit in populated where hierarchy.populated(unit) {
            log("\(unit): its processes did not stop within \(DurationText.format(timeout)); SIGKILL")
            hierarchy.signal(unit, SIGKILL)
        }
        let killDeadline = Date().addingTimeInterval(5)
        while Date() < killDeadline, populated.contains(where: hierarchy.populated) { usleep(10_000) }
        gone.forEach(hierarchy.removeIfEmpty)
    }

    /// Configured process units whose saved main process is gone (not in `adopted`) but which
    /// still have processes: in their cgroup, or (process-group mode) found by their environment,
    /// which `adopt` hands to the spawner. By unit, with how many processes are left.
    public static func orphaned(in state: PersistedState?, except adopted: Set<String>, configured: Set<String>,
                                containment: Containment, instance: String,
                                adopt: (String, [Int32]) -> Void) -> [String: Int] {
        guard let state else { return [:] }
        let candidates = state.units.filter { name, unit in
            unit.containerID == nil && unit.pid != nil && configured.contains(name) && !adopted.contains(name)
        }.map(\.key)
        guard !candidates.isEmpty else { return [:] }
        var result: [String: Int] = [:]
        if let hierarchy = containment.hierarchy {
            for unit in candidates {
                let count = hierarchy.processes(of: unit).count
                if count > 0 { result[unit] = count }
            }
            return result
        }
        // By environment, and by process group: nginx's workers overwrite their environment with
        // their titles, but stay in their dead master's group.
        let found = UnitProcessScan.members(instance: instance)
        let table = ProcessTable.snapshot()
        for unit in candidates {
            guard let main = state.units[unit]?.pid else { continue }
            let grouped = table.members(ofGroup: main)
            let pids = Array(Set((found[unit] ?? []) + grouped))
            guard !pids.isEmpty else { continue }
            adopt(unit, pids)
            result[unit] = pids.count
        }
        return result
    }

    /// A process of group `pgid` still runs: kill(-pgid, 0) also finds zombies, which whoever
    /// inherited them (init, for a dead daemon's orphans) may take a second to reap.
    static func groupAlive(_ pgid: Int32) -> Bool {
        guard kill(-pgid, 0) == 0 else { return false }
        return !ProcessTable.snapshot().members(ofGroup: pgid).isEmpty
    }

    /// How long ago a process with start time `startTicks` (clock ticks since boot) started:
    /// the kernel's boot-time clock now, less that start.
    public static func uptime(startTicks: UInt64) -> Duration? {
        let hz = sysconf(Int32(_SC_CLK_TCK))
        var ts = timespec()
        guard startTicks > 0, hz > 0, clock_gettime(CLOCK_BOOTTIME, &ts) == 0 else { return nil }
        let now = Duration.seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
        let start = Duration.seconds(Int64(startTicks / UInt64(hz))) + .milliseconds(Int64(startTicks % UInt64(hz)) * 1000 / Int64(hz))
        return now > start ? now - start : .zero
    }

    /// Start time of `pid` (clock ticks since boot), recorded at spawn.
    public static func startTicks(of pid: Int32) -> UInt64 { UInt64(csupervise_process_start_ticks(pid)) }
}
