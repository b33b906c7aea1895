import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore
import Synchronization

/// Container healing against a private dockerd, in one run on one image:
/// (a) Docker's own `restart: always` after `kill -9` of the container's process (the anchor),
/// (b) the same with Docker's policy off and supervise restarting the container, plus supervise's own
///     event-to-restart-issued latency from its JSON log,
/// (c) a container turning unhealthy (Docker HEALTHCHECK) to supervise issuing the restart.
/// Both kill series alternate kill by kill, so they share the machine's noise.
struct DockerBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "docker")

    @Option(help: "kill -9 events per side (anchor and supervise).") var kills = 30
    @Option(help: "Seconds each container stays up before its next kill (Docker resets its restart backoff after 10 s up).")
    var gap = 10.5
    @Option(help: "Extra kills per side 1 s after each restart, showing Docker's backoff growing (0: none).") var burst = 5
    @Option(name: .customLong("unhealthy-trials"), help: "HEALTHCHECK unhealthy-to-restart measurements.") var trials = 5
    @Option(help: ArgumentHelp(ProductBinaries.help("supervise"))) var supervise: String?

    func run() throws {
        StartedProcesses.stopOnSignals()
        let daemonBinary = supervise ?? ProductBinaries.supervise
        guard getuid() == 0 else { throw BenchError("the docker benchmark runs a private dockerd and needs root") }
        guard let testbed = Self.testbed() else {
            throw BenchError("scripts/systemd-testbed/start-dockerd.sh not found (run from the repository)")
        }
        print("supervise-bench docker: \(daemonBinary)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory / 1_048_576) MiB")

        let dir = try makeTemporaryDirectory("/tmp/sv-db-")
        let docker = PrivateDockerd(directory: dir, testbed: testbed)
        StartedProcesses.atSignal { docker.tearDown() }
        defer { docker.tearDown() }
        try docker.start()
        print("private dockerd: \(docker.socket) (\(try docker.cli(["version", "-f", "{{.Server.Version}}"])))")
        let image = try docker.importBusybox()

        // Two Compose projects, identical but for the restart policy; `sick` has a HEALTHCHECK that a file flips.
        func service(_ name: String, restart: String, command: String, health: Bool = false) -> String {
            var s = """
                  \(name):
                    image: \(image)
                    command: \(command)
                    network_mode: none
                    restart: "\(restart)"
                    stop_grace_period: 1s

                """
            if health {
                s += """
                        healthcheck:
                          test: ["CMD", "/bin/sh", "-c", "test ! -e /tmp/unhealthy"]
                          interval: 1s
                          timeout: 1s
                          retries: 1

                    """
            }
            return s
        }
        let sleep = #"["/bin/sleep", "1000000"]"#
        try ("version: \"2.4\"\nservices:\n" + service("worker", restart: "always", command: sleep))
            .write(toFile: dir + "/anchor.yml", atomically: true, encoding: .utf8)
        try ("version: \"2.4\"\nservices:\n" + service("worker", restart: "no", command: sleep)
             + service("sick", restart: "no", command: #"["/bin/sh", "-c", "rm -f /tmp/unhealthy; exec /bin/sleep 1000000"]"#, health: true))
            .write(toFile: dir + "/supervised.yml", atomically: true, encoding: .utf8)
        try docker.compose("sbanchor", dir + "/anchor.yml", ["up", "-d"])
        try docker.compose("sbsup", dir + "/supervised.yml", ["up", "-d"])
        let anchorID = try docker.cli(["ps", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project=sbanchor"])
        let workerID = try docker.cli(["ps", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project=sbsup",
                                       "--filter", "label=com.docker.compose.service=worker"])
        let sickID = try docker.cli(["ps", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project=sbsup",
                                     "--filter", "label=com.docker.compose.service=sick"])
        guard [anchorID, workerID, sickID].allSatisfy({ $0.count == 64 }) else {
            throw BenchError("containers not running after docker-compose up: \(anchorID) / \(workerID) / \(sickID)")
        }

        let events = try EventWatcher(socket: docker.socket)
        defer { events.stop() }

        // supervise, watching project sbsup only.
        let restart = "restart: {policy: always, start_limit: {burst: 1000, interval: 10s}, backoff: {reset_after: 1s}}"
        try """
            docker: {socket: \(docker.socket), project: sbsup}
            containers:
              worker: {compose: worker, stop_timeout: 1s, \(restart)}
              sick: {compose: sick, stop_timeout: 1s, \(restart)}

            """.write(toFile: dir + "/supervise.yaml", atomically: true, encoding: .utf8)
        let logPath = dir + "/daemon.log"
        let socket = dir + "/control.sock"
        let daemon = try launch(daemonBinary, ["run", "--config", dir + "/supervise.yaml", "--socket", socket,
                                               "--state-dir", dir + "/state", "--log-format", "json"], log: logPath)
        defer { stop(daemon) }
        let client = ControlClient(socketPath: socket, timeoutSeconds: 30)
        func unit(_ name: String) -> UnitStatus? { try? decode(UnitStatus.self, client.request("GET", "/v1/units/\(name)").body) }
        func fail(_ why: String) -> BenchError {
            docker.keep = true
            return BenchError("\(why) (kept \(dir); daemon log \(logPath); stop the daemon with stop-dockerd.sh \(dir))")
        }
        let ready = Date()
        while unit("worker-1")?.state != "running" || unit("sick-1")?.state != "running" {
            guard daemon.isRunning, Date().timeIntervalSince(ready) < 60 else { throw fail("supervise did not pick up worker-1 and sick-1") }
            usleep(100_000)
        }

        /// kill -9 of the container's main process (host pid) -> Docker's `start` event for it (its timeNano).
        func killToStart(_ id: String) throws -> Double {
            let pid = try docker.inspect(id, "{{.State.Pid}}")
            guard let pid = Int32(pid), pid > 0 else { throw fail("container \(id.prefix(12)) has no pid (\(pid))") }
            let t0 = realtimeNanos()
            kill(pid, SIGKILL)
            guard let start = events.wait(timeout: 30, where: { $0.id == id && $0.action == "start" && $0.timeNano > t0 }) else {
                throw fail("container \(id.prefix(12)) not started again within 30 s of kill -9")
            }
            guard try docker.inspect(id, "{{.State.Running}}") == "true" else { throw fail("container \(id.prefix(12)) not running") }
            return Double(start.timeNano - t0) / 1e6
        }
        func waitUp(_ id: String, since: Int64?, _ seconds: Double) {
            guard let since else { return }
            let left = Double(since + Int64(seconds * 1e9) - realtimeNanos()) / 1e9
            if left > 0 { usleep(UInt32(left * 1e6)) }
        }

        // Both containers up > gap before their first kill.
        var anchorStart: Int64? = realtimeNanos(), workerStart: Int64? = realtimeNanos()
        var anchor: [Double] = [], supervised: [Double] = []
        print("\nkilling each container \(kills) times, \(gap) s apart (about \(Int(Double(kills) * gap / 60) + 1) min) ...")
        for _ in 0..<kills {
            waitUp(anchorID, since: anchorStart, gap)
            anchor.append(try killToStart(anchorID))
            anchorStart = realtimeNanos()
            waitUp(workerID, since: workerStart, gap)
            supervised.append(try killToStart(workerID))
            workerStart = realtimeNanos()
        }
        var anchorBurst: [Double] = [], supervisedBurst: [Double] = []
        for _ in 0..<burst {
            waitUp(anchorID, since: anchorStart, 1)
            anchorBurst.append(try killToStart(anchorID))
            anchorStart = realtimeNanos()
            waitUp(workerID, since: workerStart, 1.1)
            supervisedBurst.append(try killToStart(workerID))
            workerStart = realtimeNanos()
        }

        // (c) HEALTHCHECK unhealthy -> restart issued.
        var fromEvent: [Double] = [], inside: [Double] = []
        for _ in 0..<trials {
            let healthyBy = Date().addingTimeInterval(30)
            while try docker.inspect(sickID, "{{.State.Health.Status}}") != "healthy" {
                guard Date() < healthyBy else { throw fail("sick-1 not healthy within 30 s") }
                usleep(100_000)
            }
            usleep(1_500_000)  // past reset_after: every trial is a first restart
            let t0 = realtimeNanos()
            _ = try docker.cli(["exec", sickID, "touch", "/tmp/unhealthy"])
            guard let unhealthy = events.wait(timeout: 10, where: {
                $0.id == sickID && $0.action == "health_status: unhealthy" && $0.timeNano > t0
            }) else { throw fail("no health_status: unhealthy event within 10 s") }
            let deadline = Date().addingTimeInterval(10)
            var issued: SuperviseLogRecord?
            while issued == nil {
                guard Date() < deadline else { throw fail("supervise issued no restart for sick-1 within 10 s of unhealthy") }
                usleep(5_000)
                issued = SuperviseLogRecord.read(logPath).last { $0.unit == "sick-1" && $0.timeNanos >= unhealthy.timeNano - 1_000_000 }
            }
            fromEvent.append(Double(issued!.timeNanos - unhealthy.timeNano) / 1e6)
            inside.append(issued!.latencyMs)
            _ = events.wait(timeout: 10, where: { $0.id == sickID && $0.action == "start" && $0.timeNano > unhealthy.timeNano })
        }

        let records = SuperviseLogRecord.read(logPath)
        let workerLatency = records.filter { $0.unit == "worker-1" }.map(\.latencyMs)

        let a = Stats(anchor), b = Stats(supervised), w = Stats(workerLatency)
        let ratio = b.p50 / a.p50
        print("""

            == Docker containers: kill -9 of the container's process -> Docker's start event (\(kills) kills each, \(gap) s up between) ==
              (a) Docker restart: always          p50 \(fmt(a.p50)) ms   p90 \(fmt(a.p90)) ms   max \(fmt(a.max)) ms
              (b) supervise, Docker policy off    p50 \(fmt(b.p50)) ms   p90 \(fmt(b.p90)) ms   max \(fmt(b.max)) ms
                  (b)/(a) median: \(String(format: "%.2f", ratio))x   (goal <= 1.5x)   \(ratio <= 1.5 ? "met" : "MISSED")
                  supervise: Docker's die event received -> restart issued (\(w.count) actions, JSON log latency_ms):
                    p50 \(fmt(w.p50)) ms   p99 \(fmt(w.p99)) ms   max \(fmt(w.max)) ms   (goal p99 < 10 ms)   \(w.p99 < 10 ? "met" : "MISSED")
              Docker waits 100 ms before even a first restart (then doubles, reset after 10 s up);
              kills 1 s after each restart (\(burst) each), the anchor's backoff growing:
                (a) Docker:    \(anchorBurst.map { "\(Int($0.rounded()))" }.joined(separator: ", ")) ms
                (b) supervise: \(supervisedBurst.map { "\(Int($0.rounded()))" }.joined(separator: ", ")) ms   (backoff reset_after 1s)

            == Docker HEALTHCHECK unhealthy -> supervise issues the restart (\(fromEvent.count) trials; Docker alone never restarts it) ==
              from the health_status: unhealthy event's timeNano to the log line (its ms timestamp, so ±1 ms): \(fromEvent.map { fmt($0) }.joined(separator: ", ")) ms
                max \(fmt(fromEvent.max() ?? .nan)) ms   (goal < 50 ms)   \(fromEvent.allSatisfy { $0 < 50 } ? "met" : "MISSED")
              inside supervise, event received -> restart issued: p50 \(fmt(Stats(inside).p50)) ms   max \(fmt(Stats(inside).max)) ms
              docker-autoheal for comparison: polls every 5 s (0-5,000 ms, about 2,500 ms on average), then restarts with t=10
            """)
        if workerLatency.count != kills + burst {
            print("  note: \(workerLatency.count) restart actions for worker-1 logged, \(kills + burst) kills")
        }
    }

    /// scripts/systemd-testbed of the repository this bench was built in, else from the working directory or above
    /// this executable.
    static func testbed() -> String? {
        var candidates = ProductBinaries.repository.map { [$0.path] } ?? []
        candidates.append(FileManager.default.currentDirectoryPath)
        var d = ProductBinaries.executable.deletingLastPathComponent()
        for _ in 0..<6 { d = d.deletingLastPathComponent(); candidates.append(d.path) }
        return candidates.map { $0 + "/scripts/systemd-testbed" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/start-dockerd.sh") }
    }
}

struct Stats {
    var count: Int, p50: Double, p90: Double, p99: Double, max: Double
    init(_ values: [Double]) {
        let s = values.sorted()
        func pct(_ p: Double) -> Double { s.isEmpty ? .nan : s[min(s.count - 1, Int(Double(s.count) * p))] }
        count = s.count
        p50 = pct(0.5); p90 = pct(0.9); p99 = pct(0.99); max = s.last ?? .nan
    }
}

func realtimeNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// A private dockerd in its own directory, through scripts/systemd-testbed; `tearDown` removes every
/// container, stops the daemon by its pidfile and deletes the directory (once, on any path).
final class PrivateDockerd: Sendable {
    let directory: String
    let testbed: String
    var socket: String { directory + "/docker.sock" }
    private let done = Mutex(false)
    private let keepFlag = Mutex(false)
    /// Keep the directory (not the daemon) for a post-mortem.
    var keep: Bool {
        get { keepFlag.withLock { $0 } }
        set { keepFlag.withLock { $0 = newValue } }
    }

    init(directory: String, testbed: String) {
        self.directory = directory
        self.testbed = testbed
    }

    func start() throws {
        let r = try runCommand(testbed + "/start-dockerd.sh", [directory])
        guard r.status == 0 else { throw BenchError("start-dockerd.sh failed: \(r.output)") }
    }

    /// A second caller (the signal handler, or the normal path) waits until the first has finished.
    func tearDown() {
        done.withLock { finished in
            guard !finished else { return }
            finished = true
            removeEverything()
        }
    }

    private func removeEverything() {
        if let ids = try? cli(["ps", "-aq"]).split(whereSeparator: \.isWhitespace), !ids.isEmpty {
            _ = try? cli(["rm", "-f"] + ids.map(String.init))
        }
        _ = try? runCommand(testbed + "/stop-dockerd.sh", [directory])
        if keep {
            print("kept \(directory)")
        } else {
            _ = try? runCommand("/bin/rm", ["-rf", "--one-file-system", directory])
        }
    }

    /// The docker CLI against this daemon: trimmed output, or an error with it.
    @discardableResult
    func cli(_ arguments: [String]) throws -> String {
        let r = try runCommand("/usr/bin/env", ["docker", "-H", "unix://" + socket] + arguments)
        guard r.status == 0 else { throw BenchError("docker \(arguments.joined(separator: " ")): \(r.output)") }
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func inspect(_ id: String, _ format: String) throws -> String { try cli(["inspect", "-f", format, id]) }

    func compose(_ project: String, _ file: String, _ arguments: [String]) throws {
        let r = try runCommand("/usr/bin/env", ["docker-compose", "-p", project, "-f", file] + arguments,
                          environment: ["DOCKER_HOST": "unix://" + socket])
        guard r.status == 0 else { throw BenchError("docker-compose \(arguments.joined(separator: " ")): \(r.output)") }
    }

    /// A busybox image: the static busybox and its applet links, `docker import`ed.
    func importBusybox() throws -> String {
        let tag = "supervise-bench-busybox:latest"
        let script = """
            set -e
            root=$(mktemp -d /tmp/sv-db-rootfs-XXXXXX)
            trap 'rm -rf "$root"' EXIT
            mkdir -p "$root/bin" "$root/etc" "$root/tmp"
            cp /bin/busybox "$root/bin/busybox"
            for applet in $("$root/bin/busybox" --list); do
              [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
            done
            tar -C "$root" -c . | docker -H "unix://\(socket)" import --change 'CMD ["/bin/sh"]' - \(tag) >/dev/null
            """
        let r = try runCommand("/bin/bash", ["-c", script])
        guard r.status == 0 else { throw BenchError("importing busybox (apt-get install busybox-static?): \(r.output)") }
        return tag
    }
}


/// `docker events` for containers, read on its own thread; each event with Docker's timeNano.
final class EventWatcher: Sendable {
    struct Event: Sendable {
        var id: String
        var action: String
        var timeNano: Int64
    }

    private let events = Mutex<[Event]>([])
    private let process: Process

    init(socket: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["docker", "-H", "unix://" + socket, "events", "--format", "{{json .}}", "--filter", "type=container"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        StartedProcesses.add(p.processIdentifier)
        process = p
        let handle = pipe.fileHandleForReading
        let thread = Thread { [self] in
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                buffer.append(chunk)
                while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[buffer.startIndex..<nl]
                    buffer.removeSubrange(buffer.startIndex...nl)
                    if let e = Self.parse(Data(line)) { events.withLock { $0.append(e) } }
                }
            }
        }
        thread.start()
        // `docker events` subscribes after it starts: make sure it is listening before anything is measured.
        usleep(500_000)
    }

    static func parse(_ line: Data) -> Event? {
        guard let o = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              let action = o["Action"] as? String,
              let actor = o["Actor"] as? [String: Any], let id = actor["ID"] as? String,
              let t = o["timeNano"] as? NSNumber else { return nil }
        return Event(id: id, action: action, timeNano: t.int64Value)
    }

    /// The first event matching `predicate`, waiting up to `timeout` seconds.
    func wait(timeout: Double, where predicate: (Event) -> Bool) -> Event? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let e = events.withLock({ $0.first(where: predicate) }) { return e }
            usleep(500)
        }
        return nil
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        StartedProcesses.remove(process.processIdentifier)
    }
}

/// A `docker-action` record of supervise's JSON log: which unit, when (the line's millisecond
/// timestamp) and the daemon's own event-to-action latency.
struct SuperviseLogRecord {
    var unit: String
    var timeNanos: Int64
    var latencyMs: Double

    static func read(_ path: String) -> [SuperviseLogRecord] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard line.contains("docker-action"),
                  let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
                  o["event"] == "docker-action", let unit = o["unit"], let time = o["time"].flatMap(epochNanos),
                  let latency = o["latency_ms"].flatMap(Double.init) else { return nil }
            return SuperviseLogRecord(unit: unit, timeNanos: time, latencyMs: latency)
        }
    }
}

/// `2026-11-29T00:14:58.662Z` -> nanoseconds since the epoch.
func epochNanos(_ stamp: String) -> Int64? {
    let f = stamp.split(whereSeparator: { "-T:Z".contains($0) })
    guard f.count == 6, let y = Int32(f[0]), let mo = Int32(f[1]), let d = Int32(f[2]), let h = Int32(f[3]),
          let mi = Int32(f[4]), let s = Double(f[5]) else { return nil }
    var t = tm()
    t.tm_year = y - 1900; t.tm_mon = mo - 1; t.tm_mday = d; t.tm_hour = h; t.tm_min = mi; t.tm_sec = 0
    return Int64(timegm(&t)) * 1_000_000_000 + Int64((s * 1e9).rounded())
}
