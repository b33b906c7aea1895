import ArgumentParser
import CRespawnFloor
import Foundation
import SuperviseControl
import SuperviseCore

/// kill -9 → new process running, in the same run: supervise with a cgroup per unit, supervise
/// with process groups (`--no-cgroups`), and a bare C loop doing the same respawn (the floor).
///
/// "Running" is when the new program has exec'd, by the kernel's own timestamp of the exec
/// (the process connector), for all three arms alike: not the control API, so the figure is the
/// daemon's own reaction and spawn, comparable with the C loop's.
struct ContainmentBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "containment",
        abstract: "Restart latency after kill -9 with cgroup containment, with process groups, and of a bare C loop (needs root).")

    @Option(help: "Supervised units (each killed in turn).") var units = 100
    @Option(help: "kill -9 events per arm.") var kills = 300
    @Option(help: ArgumentHelp(ProductBinaries.help("supervise"))) var supervise: String?
    @Option(help: "Milliseconds between a restart and the next kill, in every arm: each restart is timed from a quiet start, not queued behind the last one's bookkeeping.")
    var gap = 2

    func run() throws {
        guard getuid() == 0 else { throw BenchError("containment needs root (it mounts a cgroup2 hierarchy of its own)") }
        StartedProcesses.stopOnSignals()
        let binary = supervise ?? ProductBinaries.supervise
        print("supervise-bench containment: \(binary), \(units) units, \(kills) kills per arm, \(gap) ms after each restart")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, kernel \(kernelRelease())")

        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("supervise-bench-cgroup2-\(getpid())").path
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        guard shell("/bin/mount", ["-t", "cgroup2", "none", mount]) == 0 else { throw BenchError("mount -t cgroup2 failed") }
        defer {
            _ = shell("/bin/umount", [mount])
            try? FileManager.default.removeItem(atPath: mount)
        }
        let root = mount + "/supervise-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { removeCgroups(root) }

        let floor = try floorLatencies()
        let cgroup = try RespawnArm(binary: binary, units: units, kills: kills, gap: gap, arguments: ["--cgroup-root", root]).run()
        let groups = try RespawnArm(binary: binary, units: units, kills: kills, gap: gap, arguments: ["--no-cgroups"]).run()
        let adopted = try RespawnArm(binary: binary, units: units, kills: kills, gap: gap, arguments: ["--cgroup-root", root],
                                     adopted: true).run()

        func line(_ name: String, _ l: [Double]) -> String {
            "  \(name.padding(toLength: 36, withPad: " ", startingAt: 0)) p50 \(fmt(pct(l, 0.5))) ms   p99 \(fmt(pct(l, 0.99))) ms   max \(fmt(l.max() ?? .nan)) ms"
        }
        print("""

            == kill -9 -> new process exec'd (\(kills) kills each) ==
            \(line("supervise, cgroup per unit", cgroup))
            \(line("supervise, process groups", groups))
            \(line("supervise, cgroup, adopted (\(adopted.count) kills)", adopted))
            \(line("bare C loop (posix_spawn, waitpid)", floor))
              cgroup / process groups at p99: \(fmt(pct(cgroup, 0.99) / pct(groups, 0.99)))x (goal <= 1.2x)
              cgroup / bare C loop at p99:    \(fmt(pct(cgroup, 0.99) / pct(floor, 0.99)))x (goal <= 2x)
              adopted / started here at p50:  \(fmt(pct(adopted, 0.5) / pct(cgroup, 0.5)))x, at p99: \(fmt(pct(adopted, 0.99) / pct(cgroup, 0.99)))x
                (a unit the daemon adopted after its predecessor was SIGKILLed: its end is seen by pidfd, not waitpid)
            """)
    }

    private func floorLatencies() throws -> [Double] {
        var latencies = [Double](repeating: 0, count: kills)
        let argv = ["sleep", "100000"]
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let rc = cArgs.withUnsafeBufferPointer { args in
            crespawn_floor("/bin/sleep", UnsafeMutablePointer(mutating: args.baseAddress!), Int32(kills), Int32(gap * 1000), &latencies)
        }
        guard rc == 0 else { throw BenchError("the C loop failed: \(String(cString: strerror(errno)))") }
        return latencies
    }

    private func removeCgroups(_ dir: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDir), isDir.boolValue { removeCgroups(dir + "/" + name) }
        }
        rmdir(dir)
    }
}

/// One arm: a daemon with `units` sleep units, each killed in turn, timed until its new `sleep`
/// has exec'd as a child of the daemon.
struct RespawnArm {
    let binary: String
    let units: Int
    let kills: Int
    let gap: Int
    let arguments: [String]
    /// SIGKILL the first daemon once every unit runs and time a second one, which adopts the
    /// units (not its children: it learns of their end by pidfd), killing each unit once.
    var adopted = false

    func run() throws -> [Double] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("supervise-bench-arm-\(getpid())-\(arguments[0])")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = dir.appendingPathComponent("control.sock").path
        let config = dir.appendingPathComponent("bench.yaml").path
        try sleepUnitsConfig(units: units, sleep: "/bin/sleep").write(toFile: config, atomically: true, encoding: .utf8)
        func launch() throws -> Process {
            let daemon = Process()
            daemon.executableURL = URL(fileURLWithPath: binary)
            daemon.arguments = ["run", "--config", config, "--socket", socket, "--state-dir", dir.appendingPathComponent("state").path] + arguments
            daemon.standardError = FileHandle.nullDevice
            daemon.standardOutput = FileHandle.nullDevice
            try daemon.run()
            StartedProcesses.add(daemon.processIdentifier)
            return daemon
        }
        let client = ControlClient(socketPath: socket, timeoutSeconds: 30)
        func running(_ daemon: Process) throws -> [String: Int32] {
            var pids: [String: Int32] = [:]
            let started = Date()
            while pids.count < units {
                if !daemon.isRunning { throw BenchError("the daemon (\(arguments.joined(separator: " "))) exited: \(daemon.terminationStatus)") }
                if Date().timeIntervalSince(started) > 60 { throw BenchError("units did not all start within 60 s") }
                usleep(10_000)
                guard let list = try? decode(UnitsResponse.self, client.request("GET", "/v1/units").body) else { continue }
                pids = Dictionary(uniqueKeysWithValues: list.units.compactMap { u in u.state == "running" ? u.pid.map { (u.name, $0) } : nil })
            }
            return pids
        }
        var daemon = try launch()
        defer {
            kill(daemon.processIdentifier, SIGTERM)
            daemon.waitUntilExit()
            StartedProcesses.remove(daemon.processIdentifier)
        }
        var pids = try running(daemon)
        var kills = self.kills
        if adopted {
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
            StartedProcesses.remove(daemon.processIdentifier)
            daemon = try launch()
            let found = try running(daemon)
            guard found == pids else { throw BenchError("the second daemon did not adopt every unit's process") }
            kills = min(kills, units)
        }
        let dpid = daemon.processIdentifier
        usleep(1_200_000)
        var known = Set(pids.values)
        var latencies: [Double] = []
        var lastKill: [String: Date] = [:]
        let watch = crespawn_exec_watch_open()
        guard watch >= 0 else { throw BenchError("the process connector refused a listener: \(String(cString: strerror(errno)))") }
        defer { close(watch) }
        for k in 0..<kills {
            let name = "s\(k % units)"
            usleep(UInt32(gap * 1000))
            if let last = lastKill[name], Date().timeIntervalSince(last) < 1.2 {
                usleep(UInt32((1.2 - Date().timeIntervalSince(last)) * 1e6))
            }
            let t0 = crespawn_now_ms()
            kill(pids[name]!, SIGKILL)
            var fresh: Int32?
            var at = 0.0
            // Sleeps in the kernel until something execs: a poller would take a core from the
            // daemon on a two-core machine, where the C loop has no poller beside it.
            while fresh == nil {
                var pid: Int32 = 0
                let rc = crespawn_exec_watch_next(watch, Int32(max(1, 10_000 - (crespawn_now_ms() - t0))), &pid, &at)
                if rc < 0 { throw BenchError("the process connector failed: \(String(cString: strerror(errno)))") }
                if rc == 0 { throw BenchError("\(name) not restarted within 10 s") }
                if !known.contains(pid) && parent(of: pid) == dpid && comm(pid) == "sleep" { fresh = pid }
            }
            latencies.append(at - t0)
            known.insert(fresh!)
            pids[name] = fresh!
            lastKill[name] = Date()
        }
        return latencies
    }

    /// The parent's pid from `/proc/PID/stat` (the field after the parenthesised name), or nil.
    private func parent(of pid: Int32) -> Int32? {
        let stat = readSmall("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 1 else { return nil }
        return Int32(String(decoding: fields[1], as: UTF8.self))
    }

    private func comm(_ pid: Int32) -> String {
        String(decoding: readSmall("/proc/\(pid)/comm").prefix { $0 != 10 }, as: UTF8.self)
    }
}

/// The bytes of a /proc file (a thousand children's pids run past 4 KiB), empty when it cannot be read.
func readSmall(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16384)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return result }
        result += buffer[0..<n]
    }
}

func pct(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func kernelRelease() -> String {
    ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
}

@discardableResult
func shell(_ path: String, _ arguments: [String]) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    guard (try? p.run()) != nil else { return -1 }
    p.waitUntilExit()
    return p.terminationStatus
}
