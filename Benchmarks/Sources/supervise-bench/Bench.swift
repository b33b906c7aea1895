import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore

/// Benchmarks of a release build of `supervise`, printing figures (not pass/fail).
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervise-bench",
        abstract: "Measure restart latency after kill -9, and idle RSS and CPU, with N supervised sleep processes.",
        subcommands: [RestartBench.self, ContainmentBench.self, ProbeBench.self, DockerBench.self, RollingBench.self, RolloutBench.self, OutputBench.self,
                      MetricsBench.self, AutoscaleBench.self],
        defaultSubcommand: RestartBench.self)
}

struct RestartBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart")

    @Option(help: "Unit counts to measure, comma separated.") var units = "100,1000"
    @Option(help: "kill -9 events per unit count.") var kills = 200
    @Option(name: .customLong("idle-seconds"), help: "How long to measure idle RSS and CPU.") var idleSeconds = 60
    @Option(help: ArgumentHelp("""
        A supervise binary to measure (default: the root package's, \(ProductBinaries.supervise)). \
        Repeat it to compare builds, e.g. the static release build with a dynamic one: a table of their idle RSS closes \
        the run.
        """, valueName: "path")) var supervise: [String] = []

    func run() throws {
        StartedProcesses.stopOnSignals()
        let binaries = supervise.isEmpty ? [ProductBinaries.supervise] : supervise
        print("supervise-bench restart: \(binaries.joined(separator: ", "))")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory / 1_048_576) MiB")
        var rows: [(binary: String, result: RestartScenario.Result)] = []
        for binary in binaries {
            for n in units.split(separator: ",").compactMap({ Int($0) }) {
                let result = try RestartScenario(binary: binary, units: n, kills: kills, idleSeconds: idleSeconds).run()
                if binaries.count > 1 { print("\n[\(binary)]", terminator: "") }
                result.print()
                rows.append((binary, result))
            }
        }
        print("\n== idle RSS by build (goal at 1000 units: < 30 MiB, supervisord with 100 programs: 31.7 MB) ==")
        print("  " + "binary".padding(toLength: 40, withPad: " ", startingAt: 0)
              + "Swift runtime  units    RSS MiB   private MiB   file-backed MiB")
        for (binary, r) in rows {
            print("  " + binary.padding(toLength: 40, withPad: " ", startingAt: 0)
                  + r.swiftRuntime.padding(toLength: 15, withPad: " ", startingAt: 0)
                  + String(format: "%5d   %8.2f   %11.2f   %15.2f", r.units, r.idleRSSMiB, r.idleAnonMiB, r.idleFileMiB))
        }
    }
}

/// One run: N sleep units, `kills` kill -9s, then an idle window.
struct RestartScenario {
    let binary: String
    let units: Int
    let kills: Int
    let idleSeconds: Int

    struct Result {
        var units: Int
        var startAllSeconds: Double
        var latenciesMs: [Double]
        var idleCPUPercent: Double
        var idleRSSMiB: Double
        var peakRSSMiB: Double
        /// Private memory (heap, stacks) and file-backed pages (shared libraries) of the idle RSS.
        var idleAnonMiB: Double
        var idleFileMiB: Double
        var shutdownSeconds: Double
        /// "static" when the daemon maps no libswiftCore.so (--static-swift-stdlib), else "shared".
        var swiftRuntime: String

        func print() {
            let sorted = latenciesMs.sorted()
            func pct(_ p: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            Swift.print("""

                == \(units) supervised sleep processes ==
                  all \(units) running after start:         \(fmt(startAllSeconds * 1000)) ms
                  kill -9 -> new process running (\(sorted.count) kills):
                    p50 \(fmt(pct(0.50))) ms   p99 \(fmt(pct(0.99))) ms   max \(fmt(sorted.last ?? .nan)) ms   (goal p99 < 10 ms; supervisord/s6 ~1000 ms)
                  idle over the window:  CPU \(fmt(idleCPUPercent))% of one core (goal < 1%)   RSS \(fmt(idleRSSMiB)) MiB (goal < 30 MiB at 1000), peak \(fmt(peakRSSMiB)) MiB
                    of the idle RSS: \(fmt(idleAnonMiB)) MiB private (heap, stacks), \(fmt(idleFileMiB)) MiB file-backed pages (the binary, shared libraries); Swift runtime \(swiftRuntime)
                  SIGTERM -> all stopped, daemon exited:   \(fmt(shutdownSeconds * 1000)) ms
                """)
        }
    }

    func run() throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("supervise-bench-\(getpid())-\(units)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var keepDirectory = false
        defer { if !keepDirectory { try? FileManager.default.removeItem(at: dir) } }
        let socket = dir.appendingPathComponent("control.sock").path
        let config = dir.appendingPathComponent("bench.yaml").path
        try sleepUnitsConfig(units: units, sleep: "sleep").write(toFile: config, atomically: true, encoding: .utf8)

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: binary)
        daemon.arguments = ["run", "--config", config, "--socket", socket, "--state-dir", dir.appendingPathComponent("state").path]
        let logPath = dir.appendingPathComponent("daemon.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        daemon.standardError = log
        daemon.standardOutput = log
        let started = Date()
        try daemon.run()
        StartedProcesses.add(daemon.processIdentifier)
        defer { stop(daemon) }
        let client = ControlClient(socketPath: socket, timeoutSeconds: 30)

        var pids: [String: Int32] = [:]
        func failure(_ why: String) -> BenchError {
            keepDirectory = true
            return BenchError("\(why) (daemon log: \(logPath))")
        }
        while pids.count < units {
            if !daemon.isRunning { throw failure("the daemon exited (status \(daemon.terminationStatus))") }
            if Date().timeIntervalSince(started) > 120 { throw failure("units did not all start within 120 s") }
            usleep(5_000)
            guard let list = try? decode(UnitsResponse.self, client.request("GET", "/v1/units").body) else { continue }
            pids = Dictionary(uniqueKeysWithValues: list.units.compactMap { u in u.state == "running" ? u.pid.map { (u.name, $0) } : nil })
        }
        let startAll = Date().timeIntervalSince(started)
        usleep(1_200_000)  // past reset_after, so every kill below is a first restart

        var latencies: [Double] = []
        var lastKill: [String: Date] = [:]
        for k in 0..<kills {
            let name = "s\(k % units)"
            if let last = lastKill[name], Date().timeIntervalSince(last) < 1.2 {
                usleep(UInt32((1.2 - Date().timeIntervalSince(last)) * 1e6))
            }
            let old = pids[name]!
            let t0 = DispatchTime.now().uptimeNanoseconds
            kill(old, SIGKILL)
            var newPid: Int32?
            while newPid == nil {
                if let u = try? decode(UnitStatus.self, client.request("GET", "/v1/units/\(name)").body),
                   u.state == "running", let p = u.pid, p != old { newPid = p } else { usleep(200) }
                if !daemon.isRunning { throw failure("the daemon exited (status \(daemon.terminationStatus))") }
                if Double(DispatchTime.now().uptimeNanoseconds - t0) > 10e9 { throw failure("\(name) not restarted within 10 s") }
            }
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            pids[name] = newPid
            lastKill[name] = Date()
        }

        // Idle window: CPU from /proc/PID/stat, RSS from /proc/PID/status.
        let pid = daemon.processIdentifier
        usleep(1_000_000)
        let cpu0 = cpuTicks(pid), t0 = Date()
        var peak = 0.0
        for _ in 0..<idleSeconds {
            usleep(1_000_000)
            peak = max(peak, rssMiB(pid))
        }
        let cpu1 = cpuTicks(pid), elapsed = Date().timeIntervalSince(t0)
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpuPercent = Double(cpu1 - cpu0) / ticksPerSecond / elapsed * 100
        let rss = rssMiB(pid)
        let anon = status(pid, "RssAnon:"), file = status(pid, "RssFile:")
        peak = max(peak, status(pid, "VmHWM:"))
        // Read to its end: a /proc file reports a size of 0.
        let maps = FileHandle(forReadingAtPath: "/proc/\(pid)/maps").map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? ""
        let runtime = maps.contains("libswiftCore.so") ? "shared" : "static"

        let stopStart = Date()
        kill(pid, SIGTERM)
        daemon.waitUntilExit()
        StartedProcesses.remove(pid)
        let shutdown = Date().timeIntervalSince(stopStart)
        return Result(units: units, startAllSeconds: startAll, latenciesMs: latencies, idleCPUPercent: cpuPercent,
                      idleRSSMiB: rss, peakRSSMiB: peak, idleAnonMiB: anon, idleFileMiB: file, shutdownSeconds: shutdown,
                      swiftRuntime: runtime)
    }
}

/// A configuration of `units` units `s0`, `s1`, … each running `sleep 100000`, restarted always,
/// with no backoff between kills spaced past `reset_after` and a start limit no benchmark reaches.
func sleepUnitsConfig(units: Int, sleep: String) -> String {
    var yaml = """
        defaults:
          stop_timeout: 5s
          restart:
            policy: always
            backoff: {reset_after: 1s}
            start_limit: {burst: 1000, interval: 10s}
        units:

        """
    for i in 0..<units { yaml += "  s\(i): {command: [\(sleep), \"100000\"]}\n" }
    return yaml
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
    let d = JSONDecoder()
    d.keyDecodingStrategy = .convertFromSnakeCase
    return try d.decode(T.self, from: Data(body))
}

/// Stops a process this benchmark started: SIGTERM (a daemon then stops its units), SIGKILL after 20 s.
func stop(_ process: Process) {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGTERM)
    let deadline = Date().addingTimeInterval(20)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    StartedProcesses.remove(process.processIdentifier)
}

func cpuTicks(_ pid: Int32) -> Int { cpuTicks(statPath: "/proc/\(pid)/stat")?.ticks ?? 0 }

/// utime + stime (fields 14 and 15) of a `/proc/…/stat` file, with the name in its parentheses.
func cpuTicks(statPath: String) -> (name: String, ticks: Int)? {
    guard let stat = try? String(contentsOfFile: statPath, encoding: .utf8),
          let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
    let f = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
    return (String(stat[stat.index(after: open)..<close]), (Int(f[11]) ?? 0) + (Int(f[12]) ?? 0))
}

func status(_ pid: Int32, _ key: String) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(key) {
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
    return 0
}

func rssMiB(_ pid: Int32) -> Double { status(pid, "VmRSS:") }

func fmt(_ v: Double) -> String { String(format: "%.2f", v) }
