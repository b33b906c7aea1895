import Foundation

/// One look at every process in `/proc`: parent, process group and state of each, for finding a
/// unit's processes where there is no cgroup to ask.
struct ProcessTable: Sendable {
    struct Entry: Sendable {
        var pid: Int32
        var ppid: Int32
        var pgid: Int32
        /// Ended, not yet reaped (or dead): not a process of anyone's any more.
        var zombie: Bool
    }

    var entries: [Int32: Entry] = [:]

    /// Reads `/proc/PID/stat` of every process.
    static func snapshot() -> ProcessTable {
        var table = ProcessTable()
        guard let dir = opendir("/proc") else { return table }
        defer { closedir(dir) }
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(name), let entry = stat(of: pid) else { continue }
            table.entries[pid] = entry
        }
        return table
    }

    /// The fields of `/proc/PID/stat` this table keeps, or nil when the process is gone.
    static func stat(of pid: Int32) -> Entry? {
        let text = CgroupHierarchy.read("/proc/\(pid)/stat")
        // comm (field 2) may hold spaces and parentheses: fields after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 3, let ppid = Int32(fields[1]), let pgid = Int32(fields[2]) else { return nil }
        return Entry(pid: pid, ppid: ppid, pgid: pgid, zombie: fields[0] == "Z" || fields[0] == "X")
    }

    /// The live (not zombie) processes of process group `pgid`.
    func members(ofGroup pgid: Int32) -> [Int32] {
        entries.values.filter { $0.pgid == pgid && !$0.zombie }.map(\.pid)
    }

    /// `roots` and every live process descended from one of them.
    func withDescendants(of roots: Set<Int32>) -> Set<Int32> {
        var children: [Int32: [Int32]] = [:]
        for e in entries.values where !e.zombie { children[e.ppid, default: []].append(e.pid) }
        var result = Set(roots.filter { entries[$0].map { !$0.zombie } ?? false })
        var queue = Array(result)
        while let pid = queue.popLast() {
            for child in children[pid] ?? [] where result.insert(child).inserted { queue.append(child) }
        }
        return result
    }
}
