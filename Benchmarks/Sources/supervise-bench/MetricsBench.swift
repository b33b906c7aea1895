import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore
import SuperviseMetrics

/// The cost of being scraped: with N sleep units, the time and size of one `GET /metrics`, and the
/// daemon's CPU over a window scraped every second beside the same window unscraped.
struct MetricsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Time and size of a Prometheus scrape, and the daemon's CPU scraped every second against unscraped.")

    @Option(help: "Supervised units.") var units = 1000
    @Option(help: "Scrapes timed back to back.") var scrapes = 100
    @Option(help: "Seconds of each CPU window (unscraped, then scraped every second).") var window = 30
    @Option(help: ArgumentHelp(ProductBinaries.help("supervise"))) var supervise: String?

    func run() throws {
        StartedProcesses.stopOnSignals()
        let binary = supervise ?? ProductBinaries.supervise
        print("supervise-bench metrics: \(binary), \(units) units")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, kernel \(kernelRelease())")
        let render = renderTimes()

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("supervise-bench-metrics-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = dir.appendingPathComponent("control.sock").path
        let config = dir.appendingPathComponent("bench.yaml").path
        try sleepUnitsConfig(units: units, sleep: "/bin/sleep").write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: binary)
        daemon.arguments = ["run", "--config", config, "--socket", socket, "--state-dir", dir.appendingPathComponent("state").path]
        daemon.standardError = FileHandle.nullDevice
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        StartedProcesses.add(daemon.processIdentifier)
        defer {
            kill(daemon.processIdentifier, SIGTERM)
            daemon.waitUntilExit()
            StartedProcesses.remove(daemon.processIdentifier)
        }
        let client = ControlClient(socketPath: socket, timeoutSeconds: 30)
        let started = Date()
        while true {
            if !daemon.isRunning { throw BenchError("the daemon exited: \(daemon.terminationStatus)") }
            if Date().timeIntervalSince(started) > 120 { throw BenchError("units did not all start within 120 s") }
            usleep(50_000)
            if let list = try? decode(UnitsResponse.self, client.request("GET", "/v1/units").body),
               list.units.filter({ $0.state == "running" }).count == units { break }
        }
        sleep(2)

        // Back-to-back scrapes over the control socket: snapshot, cgroup or /proc reading,
        // rendering and the transfer, as Prometheus would see them.
        var latencies: [Double] = []
        var size = 0, series = 0
        for _ in 0..<scrapes {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let response = try client.request("GET", "/metrics")
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            guard response.status == 200 else { throw BenchError("GET /metrics answered \(response.status)") }
            size = response.body.count
            series = response.body.split(separator: UInt8(ascii: "\n")).filter { $0.first != UInt8(ascii: "#") }.count
        }
        sleep(2)

        let pid = daemon.processIdentifier
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        func cpuSeconds(scraped: Bool) throws -> (seconds: Double, scrapes: Int) {
            let c0 = cpuTicks(pid), t0 = Date()
            var n = 0
            for _ in 0..<window {
                if scraped {
                    guard try client.request("GET", "/metrics").status == 200 else { throw BenchError("a scrape failed") }
                    n += 1
                }
                let next = t0.addingTimeInterval(Double(n == 0 ? 1 : n))
                let wait = scraped ? next.timeIntervalSinceNow : 1
                if wait > 0 { usleep(UInt32(wait * 1e6)) }
            }
            return (Double(cpuTicks(pid) - c0) / ticksPerSecond, n)
        }
        let quiet = try cpuSeconds(scraped: false)
        let busy = try cpuSeconds(scraped: true)
        let perScrape = max(0, busy.seconds - quiet.seconds) / Double(max(busy.scrapes, 1))
        print("""

            == rendering one scrape in-process (SupervisorMetrics.render, \(units) running units, 2 with live calls) ==
              first (makes every series):  \(fmt(render.first)) ms
              then:                       p50 \(fmt(pct(render.times, 0.5))) ms   p99 \(fmt(pct(render.times, 0.99))) ms   (goal < 10 ms)
            == GET /metrics with \(units) units (\(scrapes) scrapes back to back) ==
              first scrape:         \(fmt(latencies.first ?? .nan)) ms (every series made)
              scrape (round trip):  p50 \(fmt(pct(latencies, 0.5))) ms   p99 \(fmt(pct(latencies, 0.99))) ms   (goal < 10 ms)
              size:                 \(size / 1024) KiB, \(series) series
            == daemon CPU over \(window) s ==
              unscraped:            \(fmt(quiet.seconds / Double(window) * 100)) % of a core
              scraped every 1 s:    \(fmt(busy.seconds / Double(window) * 100)) % of a core
              CPU per scrape:       \(fmt(perScrape * 1000)) ms
              scraped every 15 s:   \(fmt(perScrape / 15 * 100)) % of a core (goal < 0.5 %)
            """)
    }

    /// `render` of a snapshot like the daemon's: the snapshot and the cgroup or /proc reading that
    /// a scrape also does are not in it (the round trip below has them).
    private func renderTimes() -> (first: Double, times: [Double]) {
        let metrics = SupervisorMetrics(version: superviseVersion)
        var statuses: [UnitStatus] = []
        for i in 0..<units {
            var s = UnitStatus(name: "s\(i)", kind: "process", state: "running", pid: Int32(10_000 + i), uptimeSeconds: 100, restarts: 0,
                               lastExit: nil, lastExitDescription: nil, nextRestartInSeconds: nil, reason: nil, backoffAttempt: 0,
                               dependsOn: [], command: ["/bin/sleep", "100000"], restartPolicy: "always")
            s.resources = UnitResources(processes: 1)
            if i < 2 { s.liveCalls = 3 }
            statuses.append(s)
        }
        let snapshot = MetricsSnapshot(units: statuses)
        func timed() -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = metrics.render(snapshot)
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        }
        let first = timed()
        return (first, (0..<max(scrapes, 20)).map { _ in timed() })
    }
}
