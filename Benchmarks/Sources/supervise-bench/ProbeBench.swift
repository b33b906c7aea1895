import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore
import SuperviseHTTPClient
import SuperviseProbes

/// 1,000 HTTP liveness probes on loopback at a 1 s interval: throughput, schedule accuracy,
/// the daemon's CPU and RSS; then the time from a worker turning unhealthy to its restart.
struct ProbeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "probes")

    @Option(help: "HTTP probe targets (units with a liveness probe).") var targets = 1000
    @Option(help: "agent-sim servers the targets are spread over.") var servers = 10
    @Option(help: "Measurement window in seconds.") var seconds = 60
    @Option(name: .customLong("unhealthy-trials"), help: "Unhealthy-to-restart measurements.") var trials = 5
    @Option(help: ArgumentHelp(ProductBinaries.help("supervise"))) var supervise: String?
    @Option(name: .customLong("anchor-seconds"),
            help: "Seconds for each anchor (bare libcurl, bare sockets) at the same load; 0 skips them.") var anchorSeconds = 20

    func run() throws {
        StartedProcesses.stopOnSignals()
        let daemonBinary = supervise ?? ProductBinaries.supervise
        let agentSim = ProductBinaries.agentSim
        print("supervise-bench probes: \(daemonBinary)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("supervise-bench-probes-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var keep = false
        defer { if !keep { try? FileManager.default.removeItem(at: dir) } }
        let ports = freePortBlock(servers + 1)
        var children: [Process] = []
        // The daemon (added last) stops first, so it stops its units before the servers go.
        defer { children.reversed().forEach(stop) }
        for (i, port) in ports.prefix(servers).enumerated() {
            children.append(try launch(agentSim, ["--port", "\(port)", "--name", "target-\(i)"], log: "/dev/null"))
        }
        let victimPort = ports[servers]

        // Anchors first, while the servers carry no other load; they need every server answering.
        var anchors: ProbeAnchors?
        if anchorSeconds > 0 {
            let deadline = Date().addingTimeInterval(30)
            for port in ports.prefix(servers) {
                while (try? LocalHTTPClient(.loopback(port: port), timeout: .seconds(1)).request("GET", "/"))?.status != 200 {
                    guard Date() < deadline else { throw BenchError("agent-sim on port \(port) did not answer within 30 s") }
                    usleep(50_000)
                }
            }
            print("anchors: \(targets) GETs/s from one thread, same servers, \(ProbeEngine.wakeSlotMilliseconds) ms slots, \(anchorSeconds) s each ...")
            anchors = try ProbeAnchors.measure(ports: Array(ports.prefix(servers)), rate: targets,
                                               slotMs: ProbeEngine.wakeSlotMilliseconds, seconds: anchorSeconds)
        }

        let interval = 1.0, threshold = 3
        var yaml = """
            defaults:
              restart: {policy: always, backoff: {reset_after: 1s}, start_limit: {burst: 100, interval: 10s}}
              stop_timeout: 5s
            units:
              victim:
                command: [\(agentSim), --port, "\(victimPort)", --name, victim]
                liveness: {http: "http://127.0.0.1:\(victimPort)/", interval: 1s, timeout: 1s, failure_threshold: \(threshold)}

            """
        for i in 0..<targets {
            yaml += "  t\(i): {command: [sleep, \"100000\"], liveness: {http: \"http://127.0.0.1:\(ports[i % servers])/\", interval: 1s, timeout: 1s, failure_threshold: \(threshold)}}\n"
        }
        let config = dir.appendingPathComponent("probes.yaml").path
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let logPath = dir.appendingPathComponent("daemon.log").path
        let socket = dir.appendingPathComponent("control.sock").path
        let daemon = try launch(daemonBinary, ["run", "--config", config, "--socket", socket,
                                               "--state-dir", dir.appendingPathComponent("state").path], log: logPath)
        children.append(daemon)
        let client = ControlClient(socketPath: socket, timeoutSeconds: 30)
        func units() -> [UnitStatus] { (try? decode(UnitsResponse.self, client.request("GET", "/v1/units").body))?.units ?? [] }

        let start = Date()
        while units().filter({ $0.health == "healthy" }).count < targets + 1 {
            guard daemon.isRunning, Date().timeIntervalSince(start) < 120 else {
                keep = true
                throw BenchError("not all \(targets + 1) units turned healthy within 120 s (daemon log: \(logPath))")
            }
            usleep(200_000)
        }
        print("\nall \(targets) targets + victim healthy after \(fmt(Date().timeIntervalSince(start))) s")

        // Measurement window.
        _ = try client.request("GET", "/v1/probes?reset=1")
        let pid = daemon.processIdentifier
        let cpu0 = cpuTicks(pid), threads0 = ThreadCPU(pid), t0 = Date()
        var rssPeak = 0.0
        for _ in 0..<seconds {
            usleep(1_000_000)
            rssPeak = max(rssPeak, rssMiB(pid))
        }
        let elapsed = Date().timeIntervalSince(t0)
        let cpu = Double(cpuTicks(pid) - cpu0) / Double(sysconf(Int32(_SC_CLK_TCK))) / elapsed * 100
        let probeThread = ThreadCPU.percent(named: ProbeEngine.threadName, from: threads0, to: ThreadCPU(pid), seconds: elapsed)
        let stats = try decode(ProbeStatsResponse.self, client.request("GET", "/v1/probes").body)
        print("""

            == \(targets) HTTP probe targets on loopback, interval 1 s, \(seconds) s window ==
              probes completed per second: \(fmt(Double(stats.runs) / elapsed))   (skipped: \(stats.skipped))
              probe start lateness vs schedule: p50 \(fmt(stats.lateP50Ms)) ms   p99 \(fmt(stats.lateP99Ms)) ms   max \(fmt(stats.lateMaxMs)) ms   (goal p99 <= 50 ms)
              daemon CPU: \(fmt(cpu))% of one core (goal < 5%)   RSS \(fmt(rssMiB(pid))) MiB, peak \(fmt(rssPeak)) MiB (goal < 60 MB)
                probe thread \(fmt(probeThread))%, the rest of the daemon \(fmt(cpu - probeThread))%
            """)
        if let anchors {
            print("  the same load without supervise (one thread each, measured before the daemon started):")
            for figure in [anchors.curl, anchors.sockets] {
                print("    \(figure.name): \(fmt(figure.total))% of one core (user \(fmt(figure.userPercent))%, kernel \(fmt(figure.systemPercent))%), "
                      + "\(fmt(figure.perSecond)) GETs/s, \(figure.failed) failed")
            }
            print("    supervise vs bare libcurl: \(fmt(cpu / anchors.curl.total))x")
        }

        // Unhealthy -> restart issued.
        var delays: [Double] = []
        for _ in 0..<trials {
            guard let victim = units().first(where: { $0.name == "victim" }), let oldPid = victim.pid else { break }
            let before = (try? String(contentsOfFile: logPath, encoding: .utf8))?.count ?? 0
            guard let turned = post(port: victimPort, path: "/control/unhealthy") else { break }
            var issuedAt: Double?
            let deadline = Date().addingTimeInterval(Double(threshold) * interval + 5)
            while issuedAt == nil && Date() < deadline {
                usleep(20_000)
                let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                let fresh = text.dropFirst(before)
                if let line = fresh.split(separator: "\n").first(where: { $0.contains("victim: stopping (liveness probe") }) {
                    issuedAt = secondsOfDay(String(line.prefix(24)))
                }
            }
            guard let issuedAt else { keep = true; throw BenchError("no restart issued for the unhealthy victim (log \(logPath))") }
            delays.append((issuedAt - turned) * 1000)
            // Wait for the replacement to be healthy before the next trial.
            let until = Date().addingTimeInterval(15)
            while Date() < until {
                if let v = units().first(where: { $0.name == "victim" }), v.pid != oldPid, v.health == "healthy" { break }
                usleep(100_000)
            }
        }
        let goal = Double(threshold) * interval * 1000 + 50
        print("  unhealthy -> restart issued (\(delays.count) trials, failure_threshold \(threshold) x interval 1 s): "
              + delays.map { "\(Int($0.rounded())) ms" }.joined(separator: ", ")
              + "   max \(fmt(delays.max() ?? .nan)) ms (goal <= \(Int(goal)) ms; docker-autoheal polls every 5 s)")

        kill(pid, SIGTERM)
        daemon.waitUntilExit()
        StartedProcesses.remove(pid)
    }
}

func launch(_ path: String, _ arguments: [String], log: String) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    if log != "/dev/null" { _ = FileManager.default.createFile(atPath: log, contents: nil) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    p.standardOutput = handle
    p.standardError = handle
    try p.run()
    StartedProcesses.add(p.processIdentifier)
    return p
}

/// POSTs to agent-sim on loopback; returns the wall-clock second of day just after the answer.
func post(port: Int, path: String) -> Double? {
    guard (try? LocalHTTPClient(.loopback(port: port), timeout: .seconds(5)).request("POST", path)) != nil else { return nil }
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(Int(ts.tv_sec) % 86_400) + Double(ts.tv_nsec) / 1e9
}

/// `2026-11-29T00:14:58.662Z` -> seconds since midnight UTC.
func secondsOfDay(_ stamp: String) -> Double? {
    let time = stamp.dropFirst(11).prefix(12)
    let f = time.split(separator: ":")
    guard f.count == 3, let h = Double(f[0]), let m = Double(f[1]), let s = Double(f[2]) else { return nil }
    return h * 3600 + m * 60 + s
}

/// `count` consecutive loopback ports free now, below the ephemeral range so probe connections cannot take them.
func freePortBlock(_ count: Int) -> [Int] {
    func bindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
    while true {
        let start = Int.random(in: 20_000...(32_000 - count))
        let ports = Array(start..<(start + count))
        if ports.allSatisfy(bindable) { return ports }
    }
}
