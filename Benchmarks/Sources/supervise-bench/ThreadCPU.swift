import Foundation

/// CPU ticks (utime + stime) of each thread of a process, by thread id, with the thread's name.
struct ThreadCPU {
    var ticks: [Int32: (name: String, ticks: Int)] = [:]

    init(_ pid: Int32) {
        let tasks = "/proc/\(pid)/task"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            guard let tid = Int32(entry), let thread = cpuTicks(statPath: "\(tasks)/\(entry)/stat") else { continue }
            ticks[tid] = thread
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
