import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore

/// One unit writing flat out (`yes LINE`) under a real daemon: what reaches the daemon's log, and what
/// it costs the daemon (CPU, peak RSS), with the unit's `output` limits and, as the anchor, without them.
struct OutputBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "output")

    @Option(help: "Seconds each limited run lasts.") var seconds = 20
    @Option(name: .customLong("anchor-seconds"),
            help: "Seconds of the anchor run with rate_limit_burst 0 (every line logged); 0 skips it.") var anchorSeconds = 5
    @Option(help: "The unit's rate_limit_burst.") var burst = 10_000
    @Option(help: "The unit's rate_limit_interval.") var interval = "30s"
    @Option(name: .customLong("max-line"), help: "The unit's max_line, in bytes.") var maxLine = 16_384
    @Option(name: .customLong("long-line-bytes"),
            help: "Length of the lines of the long-line run (at most 131071); 0 skips it.") var longLineBytes = 65_536
    @Option(help: ArgumentHelp(ProductBinaries.help("supervise"))) var supervise: String?

    func run() throws {
        StartedProcesses.stopOnSignals()
        let binary = supervise ?? ProductBinaries.supervise
        print("supervise-bench output: \(binary)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let limits = "{rate_limit_burst: \(burst), rate_limit_interval: \(interval), max_line: \(maxLine)}"
        var runs = [OutputScenario(binary: binary, title: "yes 'some line of output', output: \(limits)",
                                   line: "some line of output", output: limits, seconds: seconds)]
        if longLineBytes > 0 {
            runs.append(OutputScenario(binary: binary, title: "yes with a \(longLineBytes)-byte line, output: \(limits)",
                                       line: String(repeating: "x", count: min(longLineBytes, 131_071)),
                                       output: limits, seconds: seconds))
        }
        if anchorSeconds > 0 {
            runs.append(OutputScenario(binary: binary, title: "anchor: yes 'some line of output', rate_limit_burst: 0",
                                       line: "some line of output", output: "{rate_limit_burst: 0}", seconds: anchorSeconds))
        }
        for scenario in runs { try scenario.run().print() }
    }
}

/// One daemon with one unit, `flood`, running `yes LINE` for `seconds`.
struct OutputScenario {
    let binary: String
    let title: String
    let line: String
    /// The unit's `output` value, as YAML.
    let output: String
    let seconds: Int

    struct Result {
        var title: String
        var seconds: Double
        var lineBytes: Int
        /// The unit's lines the daemon read: logged ones plus those its warnings say were dropped.
        var linesRead: Int
        var linesLogged: Int
        var warnings: Int
        var logBytes: Int
        var daemonCPUSeconds: Double
        var unitCPUSeconds: Double
        var rssStartMiB: Double
        var rssEndMiB: Double
        var peakRSSMiB: Double
        /// `GET /v1/units` answered during the window, every 100 ms: the control API under the flood.
        var controlMs: [Double]

        func pct(_ p: Double) -> Double {
            let sorted = controlMs.sorted()
            return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }

        func print() {
            let perSecond = Double(linesRead) / seconds
            Swift.print("""

                == \(title) ==
                  window:                          \(fmt(seconds)) s
                  the unit wrote (read by daemon): \(linesRead) lines, \(fmt(Double(linesRead * (lineBytes + 1)) / 1_048_576)) MiB (\(fmt(perSecond / 1e6)) M lines/s)
                  logged:                          \(linesLogged) lines, \(warnings) suppression warnings
                  daemon log written:              \(logBytes) bytes (\(fmt(Double(logBytes) / 1_048_576)) MiB)
                  daemon CPU:                      \(fmt(daemonCPUSeconds)) s (\(fmt(daemonCPUSeconds / seconds * 100))% of one core), \(fmt(daemonCPUSeconds / Double(max(linesRead, 1)) * 1e9)) ns a line read
                  unit CPU (yes):                  \(fmt(unitCPUSeconds)) s
                  daemon RSS:                      \(fmt(rssStartMiB)) MiB after 1 s, \(fmt(rssEndMiB)) MiB at the end, peak (VmHWM) \(fmt(peakRSSMiB)) MiB
                  GET /v1/units during the flood:  p50 \(fmt(pct(0.5))) ms, p99 \(fmt(pct(0.99))) ms, max \(fmt(controlMs.max() ?? .nan)) ms (\(controlMs.count) requests)
                """)
        }
    }

    func run() throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("supervise-bench-output-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        StartedProcesses.atSignal { try? FileManager.default.removeItem(at: dir) }
        let socket = dir.appendingPathComponent("control.sock").path
        let config = dir.appendingPathComponent("bench.yaml").path
        try """
            units:
              flood:
                command: [yes, "\(line)"]
                output: \(output)
            """.write(toFile: config, atomically: true, encoding: .utf8)

        let logPath = dir.appendingPathComponent("daemon.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: binary)
        daemon.arguments = ["run", "--config", config, "--socket", socket, "--state-dir", dir.appendingPathComponent("state").path,
                            "--log-format", "plain"]
        daemon.standardError = log
        daemon.standardOutput = log
        try daemon.run()
        try log.close()
        StartedProcesses.add(daemon.processIdentifier)
        defer { stop(daemon) }
        let pid = daemon.processIdentifier

        // The unit's pid, once it runs.
        let client = ControlClient(socketPath: socket, timeoutSeconds: 30)
        var unitPid: Int32?
        let deadline = Date().addingTimeInterval(30)
        while unitPid == nil {
            guard daemon.isRunning else { throw BenchError("the daemon exited (status \(daemon.terminationStatus)); log: \(logPath)") }
            guard Date() < deadline else { throw BenchError("flood did not start within 30 s") }
            if let unit = try? decode(UnitStatus.self, client.request("GET", "/v1/units/flood").body), unit.state == "running" {
                unitPid = unit.pid
            } else {
                usleep(10_000)
            }
        }
        let started = Date()
        let cpu0 = cpuTicks(pid)
        let unitCPU0 = cpuTicks(unitPid!)
        usleep(1_000_000)
        let rssStart = rssMiB(pid)
        var controlMs: [Double] = []
        while Date().timeIntervalSince(started) < Double(seconds) {
            usleep(100_000)
            let t0 = DispatchTime.now().uptimeNanoseconds
            guard (try? client.request("GET", "/v1/units"))?.status == 200 else { continue }
            controlMs.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let elapsed = Date().timeIntervalSince(started)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let daemonCPU = Double(cpuTicks(pid) - cpu0) / ticks
        let unitCPU = Double(cpuTicks(unitPid!) - unitCPU0) / ticks
        let rssEnd = rssMiB(pid)
        let peak = status(pid, "VmHWM:")
        // SIGTERM stops the unit; its end reports what its window had dropped so far.
        stop(daemon)

        let counts = try LogCounts(path: logPath, unit: "flood")
        let logBytes = (try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int) ?? 0
        return Result(title: title, seconds: elapsed, lineBytes: line.utf8.count,
                      linesRead: counts.logged + counts.suppressed, linesLogged: counts.logged, warnings: counts.warnings,
                      logBytes: logBytes, daemonCPUSeconds: daemonCPU, unitCPUSeconds: unitCPU, rssStartMiB: rssStart,
                      rssEndMiB: rssEnd, peakRSSMiB: peak, controlMs: controlMs)
    }
}

/// A unit's lines in a plain daemon log, and its suppression warnings, read a chunk at a time (an
/// anchor run's log can be gigabytes).
struct LogCounts {
    var logged = 0
    var warnings = 0
    var suppressed = 0

    init(path: String, unit: String) throws {
        guard let file = FileHandle(forReadingAtPath: path) else { throw BenchError("cannot read \(path)") }
        defer { try? file.close() }
        let output = Array("\(unit)[".utf8), warning = Array("\(unit): suppressed ".utf8)
        var carry: [UInt8] = []
        func take(_ line: ArraySlice<UInt8>) {
            // Time and level come first; the unit's name is within the first 64 bytes.
            let head = line.prefix(64)
            if head.firstRange(of: output) != nil {
                logged += 1
            } else if let range = line.prefix(128).firstRange(of: warning) {
                warnings += 1
                suppressed += Int(String(decoding: line[range.upperBound...].prefix { $0 != UInt8(ascii: " ") },
                                         as: UTF8.self)) ?? 0
            }
        }
        while let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
            var bytes = carry
            bytes.append(contentsOf: chunk)
            var start = 0
            while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                take(bytes[start..<newline])
                start = newline + 1
            }
            carry = Array(bytes[start...])
        }
        if !carry.isEmpty { take(carry[...]) }
    }
}
