import Foundation

/// What `/proc` tells about processes, for the real-daemon tests: who is whose child, which
/// session and group, at what nice level, and a `ProcessRecord` that names a process by pid
/// *and* start time, so a test never signals a pid the kernel has since given to someone else.
enum ProcFS {
    /// One line of `/proc/PID/stat`, the fields the tests use.
    struct Stat: Sendable {
        var pid: Int32
        var comm: String
        var state: Character
        var ppid: Int32
        var pgid: Int32
        var sid: Int32
        var nice: Int
        /// Clock ticks since boot (field 22): with the pid, names one process for good.
        var startTime: UInt64
    }

    static func stat(_ pid: Int32) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        let comm = String(text[text.index(after: open)..<close])
        // Fields from 3 (state) on; field N is at index N - 3.
        let fields = text[text.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let ppid = Int32(fields[1]), let pgid = Int32(fields[2]),
              let sid = Int32(fields[3]), let nice = Int(fields[16]), let start = UInt64(fields[19]) else { return nil }
        return Stat(pid: pid, comm: comm, state: state, ppid: ppid, pgid: pgid, sid: sid, nice: nice, startTime: start)
    }

    /// Every pid in `/proc` now.
    static func allPids() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    }

    /// Live (not zombie) processes whose parent is `parent`.
    static func liveChildren(of parent: Int32) -> [Int32] {
        allPids().filter { pid in
            guard let s = stat(pid) else { return false }
            return s.ppid == parent && s.state != "Z" && s.state != "X"
        }
    }

    /// Live descendants of `root` (not `root` itself), parents before children.
    static func liveDescendants(of root: Int32) -> [Int32] {
        let stats = allPids().compactMap(stat).filter { $0.state != "Z" && $0.state != "X" }
        var byParent: [Int32: [Int32]] = [:]
        for s in stats { byParent[s.ppid, default: []].append(s.pid) }
        var result: [Int32] = []
        var queue = byParent[root] ?? []
        while !queue.isEmpty {
            let pid = queue.removeFirst()
            result.append(pid)
            queue += byParent[pid] ?? []
        }
        return result
    }

    /// The command line with its NULs as spaces ("" when gone or a kernel thread).
    static func commandLine(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    /// Whether `/proc/PID/environ` holds exactly the entry `entry` (`NAME=value`).
    static func environment(of pid: Int32, contains entry: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == entry }
    }

    /// Live processes whose environment holds `entry`: a marker a test put in a unit's `env`
    /// finds every process of the unit that kept its environment, wherever it was reparented.
    static func livePids(withEnvironment entry: String) -> [Int32] {
        allPids().filter { pid in
            guard let s = stat(pid), s.state != "Z", s.state != "X" else { return false }
            return environment(of: pid, contains: entry)
        }
    }

    /// The nice value of `pid` (field 19 of its stat line).
    static func nice(_ pid: Int32) -> Int? { stat(pid)?.nice }

    /// `pid comm state ppid pgid sid: cmdline`, for failure messages.
    static func describe(_ pid: Int32) -> String {
        guard let s = stat(pid) else { return "\(pid) (gone)" }
        return "\(pid) \(s.comm) state \(s.state) ppid \(s.ppid) pgid \(s.pgid) sid \(s.sid) nice \(s.nice): \(commandLine(pid))"
    }

    static func describe(_ pids: [Int32]) -> String {
        pids.isEmpty ? "none" : pids.map { "\n  " + describe($0) }.joined()
    }
}

/// A process named by pid and start time. `isAlive` and `kill` act only on that very process.
struct ProcessRecord: Hashable, Sendable, CustomStringConvertible {
    let pid: Int32
    let startTime: UInt64
    let label: String

    init?(_ pid: Int32) {
        guard let s = ProcFS.stat(pid) else { return nil }
        self.pid = pid
        startTime = s.startTime
        label = ProcFS.commandLine(pid).isEmpty ? s.comm : ProcFS.commandLine(pid)
    }

    /// Still the same process, and not a zombie.
    var isAlive: Bool {
        guard let s = ProcFS.stat(pid), s.startTime == startTime else { return false }
        return s.state != "Z" && s.state != "X"
    }

    func kill(_ signal: Int32 = SIGKILL) {
        if isAlive { _ = Foundation.kill(pid, signal) }
    }

    var description: String { "\(pid) (\(label))" }

    static func == (a: ProcessRecord, b: ProcessRecord) -> Bool { a.pid == b.pid && a.startTime == b.startTime }
    func hash(into hasher: inout Hasher) {
        hasher.combine(pid)
        hasher.combine(startTime)
    }
}

/// Every process a test saw and must not leave behind. `sweep()` kills, by pid and start time, those
/// still alive and says which they were; it runs on every path, after the daemon is stopped.
final class ProcessTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var records: Set<ProcessRecord> = []
    /// Environment entries (`NAME=value`) whose holders are swept too.
    private var markers: [String] = []

    func note(_ pids: [Int32]) {
        let new = pids.compactMap(ProcessRecord.init)
        lock.withLock { records.formUnion(new) }
    }

    func note(_ pid: Int32) { note([pid]) }

    /// Notes `root` and its live descendants now.
    func noteTree(_ root: Int32) { note([root] + ProcFS.liveDescendants(of: root)) }

    /// Processes holding this environment entry are the test's as well.
    func noteMarker(_ entry: String) { lock.withLock { markers.append(entry) } }

    /// Those noted (or holding a marker) that are alive now.
    func alive() -> [ProcessRecord] {
        let (known, marks) = lock.withLock { (records, markers) }
        var found = known.filter(\.isAlive)
        for mark in marks { found.formUnion(ProcFS.livePids(withEnvironment: mark).compactMap(ProcessRecord.init)) }
        return found.sorted { $0.pid < $1.pid }
    }

    /// Kills (SIGKILL) everything noted that is still alive; waits a moment for them to go.
    /// Returns what it killed.
    @discardableResult
    func sweep() -> [ProcessRecord] {
        let survivors = alive()
        for r in survivors { r.kill(SIGKILL) }
        _ = eventually(timeout: 3) { survivors.allSatisfy { !$0.isAlive } }
        return survivors
    }
}
