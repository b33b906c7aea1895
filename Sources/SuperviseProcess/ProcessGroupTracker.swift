import CSuperviseSys
import Foundation
import Synchronization

/// A unit's processes where no cgroup holds them (the fallback containment): its main process's
/// process group, the orphans the daemon (a child subreaper) inherits from it, and everything
/// descended from those.
///
/// An orphan is attributed to the unit named by its environment (`SUPERVISE_UNIT`, with this
/// daemon's `SUPERVISE_INSTANCE`), read once per process. A process that leaves the unit's
/// process group while its parent still runs is found as a descendant of that parent; one that
/// does that, outlives its parent and clears its environment is lost: cgroups do not lose it.
final class ProcessGroupTracker: Sendable {
    let instance: String?
    /// Orphans (children of the daemon that are no unit's main process) by pid: their unit, or
    /// nil when they belong to none; the start time tells a reused pid apart.
    private let learned = Mutex<[Int32: (ticks: UInt64, unit: String?)]>([:])
    /// Processes found at boot by their environment (a predecessor's units' processes), by unit.
    private let adopted = Mutex<[String: Set<Int32>]>([:])

    init(instance: String?) { self.instance = instance }

    /// Remembers processes of `unit` found by their environment after a daemon restart.
    func adopt(_ pids: [Int32], unit: String) {
        adopted.withLock { $0[unit, default: []].formUnion(pids) }
    }

    /// The live processes of `unit`, whose main process is (or was) `main`; `mains` are the main
    /// processes of every unit (never taken for orphans). Walks the unit's own tree through
    /// `/proc/PID/task/*/children`, so it costs what the unit has, not what the host runs: a
    /// shutdown signals a thousand units, and a /proc scan each took 30 s. `outsideTheGroup`: only
    /// those a signal to the main process's group would miss are needed, so members of the group
    /// outside the tree are not looked for. `orphans`: the daemon's children that are no unit's main
    /// process, if already read.
    func members(of unit: String, main: Int32, mains: Set<Int32>, orphans: [Int32]? = nil,
                 outsideTheGroup: Bool = false) -> Set<Int32> {
        var roots: [Int32] = main > 1 ? [main] : []
        for pid in orphans ?? Self.orphans(mains: mains) where owner(of: pid) == unit { roots.append(pid) }
        roots += adopted.withLock { $0[unit] ?? [] }
        var result: Set<Int32> = []
        var queue = roots
        while let pid = queue.popLast() {
            guard !result.contains(pid), let entry = ProcessTable.stat(of: pid), !entry.zombie else { continue }
            result.insert(pid)
            queue += Self.children(of: pid)
        }
        // A process of the main process's group outside its tree (reparented to init): rare, and
        // kill(-pgid) reaches it anyway; counted with one scan when the group says it exists.
        if !outsideTheGroup, main > 1, kill(-main, 0) == 0, !result.contains(where: { getpgid($0) == main }) {
            result.formUnion(ProcessTable.snapshot().members(ofGroup: main))
        }
        return result
    }

    /// The live processes of `unit` from a table already read (status answers for every unit).
    /// `orphans`: the daemon's children in `table` that are no unit's main process, found once
    /// for all units (``orphans(in:mains:)``).
    func members(of unit: String, main: Int32, orphans: [Int32], table: ProcessTable) -> Set<Int32> {
        var roots: Set<Int32> = [main]
        if main > 1 { roots.formUnion(table.members(ofGroup: main)) }
        for pid in orphans where owner(of: pid) == unit { roots.insert(pid) }
        roots.formUnion(adopted.withLock { $0[unit] ?? [] })
        return table.withDescendants(of: roots)
    }

    /// Whether `unit` (main process `main`, ended) can have anything left, without a /proc scan:
    /// its process group is empty, and none of `orphans` (the daemon's children that are no unit's
    /// main process) is the unit's.
    func surelyEmpty(_ unit: String, main: Int32, orphans: [Int32]) -> Bool {
        if main > 1 && kill(-main, 0) == 0 { return false }
        if !(adopted.withLock { $0[unit]?.isEmpty ?? true }) { return false }
        for pid in orphans where owner(of: pid) == unit { return false }
        return true
    }

    /// The daemon's children in `table` that are no unit's main process.
    static func orphans(in table: ProcessTable, mains: Set<Int32>) -> [Int32] {
        (table.children[getpid()] ?? []).filter { !mains.contains($0) }
    }

    /// The daemon's children that are no unit's main process (nor an exec probe's).
    static func orphans(mains: Set<Int32>) -> [Int32] {
        daemonChildren().filter { !mains.contains($0) }
    }

    /// Called when `unit`'s main process has just been reaped: its children were reparented to
    /// the daemon a moment before. Every child of the daemon not known yet is taken for the
    /// unit's, unless its environment names another unit (PostgreSQL's backends call setsid and
    /// overwrite their environment with their process titles, so only this moment tells).
    func learnOrphans(of unit: String, orphans: [Int32]) {
        for pid in orphans {
            let ticks = LeftoverProcesses.startTicks(of: pid)
            guard ticks != 0 else { continue }
            if let known = learned.withLock({ $0[pid] }), known.ticks == ticks, known.unit != nil { continue }
            let owner = Self.unitFromEnvironment(pid, instance: instance) ?? unit
            learned.withLock { $0[pid] = (ticks, owner) }
        }
    }

    /// The unit an orphan belongs to, from its environment (cached per process).
    private func owner(of pid: Int32) -> String? {
        let ticks = LeftoverProcesses.startTicks(of: pid)
        if let known = learned.withLock({ $0[pid] }), known.ticks == ticks { return known.unit }
        let unit = Self.unitFromEnvironment(pid, instance: instance)
        learned.withLock { $0[pid] = (ticks, unit) }
        return unit
    }

    /// Forgets what was learned of processes that are gone.
    func forget(_ pid: Int32) {
        learned.withLock { _ = $0.removeValue(forKey: pid) }
        adopted.withLock { all in for key in all.keys { all[key]?.remove(pid) } }
    }

    static func unitFromEnvironment(_ pid: Int32, instance: String?) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        var unit: String?
        var mine = instance == nil
        for variable in data.split(separator: 0) {
            let text = String(decoding: variable, as: UTF8.self)
            if text.hasPrefix("SUPERVISE_UNIT=") { unit = String(text.dropFirst(15)) }
            if let instance, text == "\(UnitProcessScan.instanceVariable)=\(instance)" { mine = true }
        }
        return mine ? unit : nil
    }

    /// The daemon's children, from `/proc/self/task/*/children` (each thread's own): orphans are
    /// reparented to one of the daemon's threads. Parsed byte by byte: with a thousand units this
    /// runs at every exit, and the lists run to kilobytes.
    static func daemonChildren() -> [Int32] { children(of: getpid()) }

    /// The children of `pid`, from each of its threads' `children` file.
    static func children(of pid: Int32) -> [Int32] {
        var result: [Int32] = []
        for tid in ProcessTable.numberedEntries(of: "/proc/\(pid)/task") {
            var value: Int32 = 0, inNumber = false
            for byte in CgroupHierarchy.bytes("/proc/\(pid)/task/\(tid)/children") {
                if byte >= 48 && byte <= 57 {
                    value = value &* 10 &+ Int32(byte - 48)
                    inNumber = true
                } else if inNumber {
                    result.append(value)
                    (value, inNumber) = (0, false)
                }
            }
            if inNumber { result.append(value) }
        }
        return result
    }
}
