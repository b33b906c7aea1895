import Foundation
import SuperviseCore

/// Finds the live processes a daemon instance started, from their environment, for when its
/// state file is unusable: each unit's process leads its own process group and carries
/// `SUPERVISE_UNIT` and `SUPERVISE_INSTANCE` (the daemon's state directory).
public enum UnitProcessScan {
    public static let instanceVariable = "SUPERVISE_INSTANCE"

    /// A state with the pid and start time of every live group leader started by `instance` for
    /// a unit `wanted` names; adopting them keeps a lost state file from starting any unit twice.
    public static func state(instance: String, bootID: String, where wanted: (String) -> Bool) -> PersistedState {
        var found: [String: PersistedUnit] = [:]
        for pid in ProcessTable.numberedEntries(of: "/proc") {
            guard pid > 1, getpgid(pid) == pid,
                  let unit = ProcessGroupTracker.unitFromEnvironment(pid, instance: instance),
                  found[unit] == nil, wanted(unit) else { continue }
            let ticks = LeftoverProcesses.startTicks(of: pid)
            guard ticks != 0 else { continue }
            found[unit] = PersistedUnit(pid: pid, pidStartTicks: ticks)
        }
        return PersistedState(bootID: bootID, units: found)
    }

    /// A state with the main process of every unit `wanted` names that has processes in its cgroup:
    /// the oldest process there that leads its own process group (every unit's main process does),
    /// else the oldest one.
    public static func state(in hierarchy: CgroupHierarchy, bootID: String, where wanted: (String) -> Bool) -> PersistedState {
        var found: [String: PersistedUnit] = [:]
        for unit in hierarchy.unitNames() where wanted(unit) {
            let members = hierarchy.processes(of: unit).map { (pid: $0, ticks: LeftoverProcesses.startTicks(of: $0)) }
                .filter { $0.ticks != 0 }.sorted { $0.ticks < $1.ticks }
            guard let main = members.first(where: { getpgid($0.pid) == $0.pid }) ?? members.first else { continue }
            found[unit] = PersistedUnit(pid: main.pid, pidStartTicks: main.ticks)
        }
        return PersistedState(bootID: bootID, units: found)
    }

    /// Every live process started for a unit by daemon `instance` (its environment says so), by
    /// unit: what is left of units whose main process ended while no daemon watched.
    public static func members(instance: String) -> [String: [Int32]] {
        var result: [String: [Int32]] = [:]
        for pid in ProcessTable.numberedEntries(of: "/proc") {
            guard pid > 1, pid != getpid(),
                  let unit = ProcessGroupTracker.unitFromEnvironment(pid, instance: instance),
                  let stat = ProcessTable.stat(of: pid), !stat.zombie else { continue }
            result[unit, default: []].append(pid)
        }
        return result
    }
}
