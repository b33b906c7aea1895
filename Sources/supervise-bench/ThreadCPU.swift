import Foundation

/// CPU ticks (utime + stime) of each thread of a process, by thread id, with the thread's name.
struct ThreadCPU {
    var ticks: [Int32: (name: String, ticks: Int)] = [:]

    init(_ pid: Int32) {
        let tasks = "/proc/\(pid)/task"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            guard let tid = Int32(entry),
                  let stat = try? String(contentsOfFile: "\(tasks)/\(entry)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let name = String(stat[stat.index(after: open)..<close])
            let f = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            ticks[tid] = (name, (Int(f[11]) ?? 0) + (Int(f[12]) ?? 0)) // utime + stime (fields 14, 15)
        }
    }

    /// Percent of one core the threads named `name` took between `earlier` and `later`.
    static func percent(named name: String, from earlier: ThreadCPU, to later: ThreadCPU, seconds: Double) -> Double {
        let used = later.ticks.reduce(0) { sum, entry in
            guard entry.value.name == name else { return sum }
            return sum + entry.value.ticks - (earlier.ticks[entry.key]?.ticks ?? 0)
        }
        return Double(used) / Double(sysconf(Int32(_SC_CLK_TCK))) / seconds * 100
    }
}
