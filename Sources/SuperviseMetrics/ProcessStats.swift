import Foundation

/// The daemon's own `process_*` figures, from `/proc/self` as Prometheus' client libraries read
/// them: CPU (`stat` fields 14 and 15), virtual and resident memory (`stat` 23 and 24), open
/// descriptors (`fd/`), the descriptor limit (`limits`) and the start time (`stat` 22 after
/// the boot time in `/proc/stat`).
struct ProcessStats: Sendable {
    struct Reading: Sendable {
        var cpuSeconds: Double
        var virtualBytes: UInt64
        var residentBytes: UInt64
        var openFDs: Int
        var maxFDs: Int?
        var startTime: Double
    }

    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    private let bootTime: Double? = Self.bootTime()

    /// nil when `/proc/self/stat` cannot be read (no /proc).
    func read() -> Reading? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the parenthesised name start at field 3 (state).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ n: Int) -> Double? { fields.count > n - 3 ? Double(fields[n - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23), let rss = field(24) else { return nil }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return Reading(cpuSeconds: (utime + stime) / ticksPerSecond, virtualBytes: UInt64(vsize), residentBytes: UInt64(rss) * pageSize,
                       openFDs: fds, maxFDs: Self.maxFDs(), startTime: (bootTime ?? 0) + start / ticksPerSecond)
    }

    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }

    private static func maxFDs() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return limit.rlim_cur == rlim_t.max ? nil : Int(limit.rlim_cur)
    }
}
