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

    private(set) var entries: [Int32: Entry] = [:]
    /// Live processes by parent and by process group, indexed once: a status or a scrape looks up
    /// a thousand units in one table.
    private(set) var children: [Int32: [Int32]] = [:]
    private(set) var groups: [Int32: [Int32]] = [:]

    init(entries: [Int32: Entry] = [:]) {
        self.entries = entries
        for e in entries.values where !e.zombie {
            children[e.ppid, default: []].append(e.pid)
            groups[e.pgid, default: []].append(e.pid)
        }
    }

    /// Reads `/proc/PID/stat` of every process.
    static func snapshot() -> ProcessTable {
        var entries: [Int32: Entry] = [:]
        for pid in numberedEntries(of: "/proc") {
            if let entry = stat(of: pid) { entries[pid] = entry }
        }
        return ProcessTable(entries: entries)
    }

    /// The entries of a `/proc` directory named by a number (`/proc` itself: processes; `/proc/PID/task`: threads),
    /// read with `readdir`: every exit in the process-group mode lists the daemon's threads.
    static func numberedEntries(of directory: String) -> [Int32] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var result: [Int32] = []
        while let item = readdir(dir) {
            let number = withUnsafeBytes(of: item.pointee.d_name) { name -> Int32? in
                var value: Int32 = 0
                for byte in name {
                    if byte == 0 { break }
                    guard byte >= 48 && byte <= 57 else { return nil }
                    value = value &* 10 &+ Int32(byte - 48)
                }
                return name.first == 0 ? nil : value
            }
            if let number { result.append(number) }
        }
        return result
    }

    /// The fields of `/proc/PID/stat` this table keeps, or nil when the process is gone. Parsed
    /// from the bytes, with one read into a stack buffer: a scrape or a status reads a thousand.
    static func stat(of pid: Int32) -> Entry? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer -> Entry? in
            let n = read(fd, buffer.baseAddress, buffer.count)
            guard n > 0 else { return nil }
            let text = UnsafeBufferPointer(rebasing: buffer[..<n])
            // comm (field 2) may hold spaces and parentheses: fields after the last ')'.
            guard let close = text.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            var i = close + 2
            guard i < text.count else { return nil }
            let state = text[i]
            i += 2
            func number() -> Int32? {
                var value: Int32 = 0, digits = 0
                while i < text.count, text[i] >= 48, text[i] <= 57 {
                    value = value &* 10 &+ Int32(text[i] - 48)
                    digits += 1
                    i += 1
                }
                i += 1
                return digits > 0 ? value : nil
            }
            guard let ppid = number(), let pgid = number() else { return nil }
            return Entry(pid: pid, ppid: ppid, pgid: pgid, zombie: state == UInt8(ascii: "Z") || state == UInt8(ascii: "X"))
        }
    }

    /// The live (not zombie) processes of process group `pgid`.
    func members(ofGroup pgid: Int32) -> [Int32] { groups[pgid] ?? [] }

    /// `roots` and every live process descended from one of them.
    func withDescendants(of roots: Set<Int32>) -> Set<Int32> {
        var result = Set(roots.filter { entries[$0].map { !$0.zombie } ?? false })
        var queue = Array(result)
        while let pid = queue.popLast() {
            for child in children[pid] ?? [] where result.insert(child).inserted { queue.append(child) }
        }
        return result
    }
}
