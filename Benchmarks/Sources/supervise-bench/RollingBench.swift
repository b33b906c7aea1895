import ArgumentParser
import Foundation
import Synchronization
import AgentSimClient
import SuperviseHTTPClient

/// Restarting 3 Compose `worker` replicas under a steady load of long calls, on a private dockerd:
/// (a) `docker-compose restart worker` (Compose's 10 s grace, then SIGKILL) against (b)
/// `supervise restart worker --rolling` (drain one at a time: one SIGTERM, wait for the calls).
/// Counts calls dropped (accepted but never completed) from the workers' own output.
struct RollingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rolling", abstract: "Calls dropped by docker-compose restart vs supervise restart --rolling (private dockerd, root).")

    @OptionGroup var load: ComposeLoadOptions

    func run() throws {
        try load.begin("rolling", what: "restart")
        let (a, b) = try PrivateDockerd.withEngine(prefix: "/tmp/sv-bk-") { engine -> (Measurement, Measurement) in
            let project = try WorkerProject(engine: engine, binDir: ProductBinaries.directory.path)

            // (a) docker-compose restart.
            try project.compose(["up", "-d", "--scale", "worker=3", "worker"])
            try project.waitServing()
            let a = try measure(project) {
                try project.compose(["restart", "worker"])
                return nil
            }

            // (b) supervise restart --rolling, on the same containers.
            let daemon = try ComposeBenchDaemon(binary: load.superviseBinary, engine: engine, project: project.name, workers: 3)
            defer { daemon.stop() }
            let b = try measure(project) {
                try daemon.cli(["restart", "worker", "--rolling"])
                try waitUntil(600, "the rolling restart to finish") { daemon.log.contains("\"event\":\"rolling-done\"") }
                return daemon.logPath
            }
            return (a, b)
        }

        func row(_ name: String, _ r: Measurement) -> String {
            tableRow([(name, 40), ("\(r.dropped)/\(r.liveAtStart)", 14), ("\(r.accepted)", 10), ("\(fmt1(r.seconds)) s", 12),
                      ("\(fmt1(r.longestLiveAtStart)) s", 14), ("\(fmt1(r.seconds - r.longestLiveAtStart)) s", 0)])
        }
        print("""

            == restarting 3 Compose workers under load (calls \(Int(load.minCall))-\(Int(load.maxCall)) s) ==
              restart                                 dropped/live  accepted  took        longest live  extra
              \(row("docker-compose restart worker (t=10)", a))
              \(row("supervise restart worker --rolling", b))
              dropped: calls accepted but never completed (worker killed with them live), from the workers' own output;
              live: calls in progress when the restart began; longest live: the longest remaining call then;
              extra: how much longer the restart took than that call (goal for --rolling: 0 dropped).
            """)
        if !b.steps.isEmpty {
            print("  --rolling, per replica: drain (longest live call at its drain start) -> back in service")
            for s in b.steps {
                print("    \(s.unit): drained in \(fmt1(s.drain)) s (longest live \(fmt1(s.longestLive)) s, overhead \(fmt1(s.drain - s.longestLive)) s), "
                      + "back in service \(fmt1(s.back)) s later")
            }
        }
    }

    struct Step { var unit: String; var drain: Double; var longestLive: Double; var back: Double }

    struct Measurement {
        var dropped = 0, liveAtStart = 0, accepted = 0
        var seconds = 0.0, longestLiveAtStart = 0.0
        var steps: [Step] = []
    }

    /// Load for `warmup` seconds, the restart (`restart` returns the daemon log for per-step
    /// figures, or nil), load for 5 s more, then every call left to end; drops from the logs.
    private func measure(_ project: WorkerProject, restart: () throws -> String?) throws -> Measurement {
        let before = try project.callCounts()
        let calls = benchCalls(project)
        defer { calls.stop() }
        var m = Measurement()
        let t0: Date
        (t0, m.liveAtStart, m.longestLiveAtStart) = startLoad(calls, on: [1, 2, 3], load)
        let log = try restart()
        m.seconds = Date().timeIntervalSince(t0)
        if let log { m.steps = steps(log: log, calls: calls.accepted) }
        (m.dropped, m.accepted) = try finishLoad(calls, longest: load.maxCall, before: before, counts: project.callCounts)
        return m
    }

    /// drain-start and rolling-step times from supervise's JSON log.
    private func steps(log: String, calls: [CallGenerator<Int>.Call]) -> [Step] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var starts: [String: Date] = [:], drained: [String: Date] = [:], back: [String: Date] = [:]
        for line in text.split(separator: "\n") {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String],
                  let unit = o["unit"], let time = o["time"].flatMap(iso.date(from:)) else { continue }
            switch o["event"] {
            case "drain-start": starts[unit] = time
            case "drain-done", "drain-cut": drained[unit] = time
            case "rolling-step": back[unit] = time
            default: break
            }
        }
        return starts.keys.sorted().compactMap { unit in
            guard let s = starts[unit], let d = drained[unit], let replica = Int(unit.split(separator: "-").last ?? "") else { return nil }
            let longest = calls.filter { $0.target == replica && $0.placedAt < s && $0.endsAt > s }
                .map { $0.endsAt.timeIntervalSince(s) }.max() ?? 0
            return Step(unit: unit, drain: d.timeIntervalSince(s), longestLive: longest, back: back[unit].map { $0.timeIntervalSince(d) } ?? .nan)
        }
    }
}

func fmt1(_ v: Double) -> String { String(format: "%.1f", v) }


func waitUntil(_ seconds: Double, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try !condition() {
        guard Date() < deadline else { throw BenchError("timed out after \(Int(seconds)) s waiting for \(what)") }
        usleep(200_000)
    }
}

/// A Compose v1 project: service `worker` running the host's agent-sim (bind-mounted /usr,
/// /opt/swift, the build directory) in `network_mode: none`, listening on 127.0.0.1:8081 inside;
/// Compose's default 10 s stop grace period.
final class WorkerProject: @unchecked Sendable {
    let engine: PrivateDockerd
    let name = "svbench\(getpid())"
    let file: String

    init(engine: PrivateDockerd, binDir: String) throws {
        self.engine = engine
        file = engine.directory + "/docker-compose.yml"
        let image = "supervise-agent-root:bench"
        let script = """
            set -e
            root=$(mktemp -d /tmp/sv-bench-rootfs-XXXXXX)
            trap 'rm -rf "$root"' EXIT
            mkdir -p "$root/usr/lib" "$root/usr/lib64" "$root/usr/bin" "$root/usr/sbin" "$root/opt/swift" "$root/etc" "$root/tmp" \\
              "$root/proc" "$root/sys" "$root/dev"
            chmod 1777 "$root/tmp"
            ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"; ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"
            tar -C "$root" -c . | docker -H "unix://\(engine.socket)" import - \(image) >/dev/null
            """
        let imported = try runCommand("/bin/bash", ["-c", script])
        guard imported.status == 0 else { throw BenchError("importing the image: \(imported.output)") }
        try """
            version: "2.4"
            services:
              worker:
                image: \(image)
                command: ["\(binDir)/agent-sim", "--port", "8081", "--name", "worker"]
                network_mode: none
                volumes: ["/usr:/usr:ro", "/opt/swift:/opt/swift:ro", "\(binDir):\(binDir):ro"]

            """.write(toFile: file, atomically: true, encoding: .utf8)
    }

    @discardableResult
    func compose(_ arguments: [String]) throws -> String {
        let out = try runCommand("docker-compose", ["--no-ansi", "-p", name, "-f", file] + arguments,
                          environment: ["DOCKER_HOST": "unix://" + engine.socket, "COMPOSE_INTERACTIVE_NO_CLI": "1"])
        guard out.status == 0 else { throw BenchError("docker-compose \(arguments.joined(separator: " ")): \(out.output)") }
        return out.output
    }

    /// Replica number -> container id.
    func containers() throws -> [Int: String] {
        let lines = try engine.cli(["ps", "-a", "--no-trunc", "--filter", "label=com.docker.compose.project=\(name)",
                                       "--format", "{{.ID}} {{.Label \"com.docker.compose.container-number\"}}"])
        var found: [Int: String] = [:]
        for line in lines.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let n = Int(parts[1]) { found[n] = String(parts[0]) }
        }
        return found
    }

    /// The running container's main pid, or nil.
    func pid(_ replica: Int) -> Int32? {
        guard let id = try? containers()[replica],
              let out = try? engine.cli(["inspect", "-f", "{{.State.Running}} {{.State.Pid}}", id]) else { return nil }
        let f = out.split(separator: " ")
        return f.count == 2 && f[0] == "true" ? Int32(f[1]) : nil
    }

    func waitServing() throws {
        try waitUntil(60, "3 workers answering") {
            (1...3).allSatisfy { r in pid(r).flatMap { netnsHTTP(pid: $0, "GET", "/worker") }?.status == 200 }
        }
    }

    /// "call N started" and "call N ended" lines over every container's whole output.
    func callCounts() throws -> (started: Int, ended: Int) {
        var started = 0, ended = 0
        for id in try containers().values {
            for line in try engine.cli(["logs", id]).split(separator: "\n") {
                guard let r = line.range(of: "] call ") else { continue }
                let words = line[r.upperBound...].split(separator: " ")
                if words.count >= 2, words[1] == "started" { started += 1 }
                if words.count >= 2, words[1] == "ended" { ended += 1 }
            }
        }
        return (started, ended)
    }
}

/// HTTP/1.1 to 127.0.0.1:8081 inside the network namespace of `pid`.
func netnsHTTP(pid: Int32, _ method: String, _ path: String, timeout: Int = 3) -> (status: Int, body: String)? {
    let client = LocalHTTPClient(.loopback(port: 8081, inNetworkNamespaceOf: pid), timeout: .seconds(timeout))
    return (try? client.request(method, path)).map { ($0.status, $0.text) }
}

/// Calls on replicas 1...3 through their network namespaces; a call that finds the cached process
/// gone or draining tries a restarted container's new one once.
func benchCalls(_ project: WorkerProject) -> CallGenerator<Int> {
    let pids = Mutex<[Int: Int32]>([:])
    return CallGenerator { replica, method, path in
        let cached = pids.withLock { $0[replica] }
        var answer = cached.flatMap { netnsHTTP(pid: $0, method, path) }
        if answer == nil || answer?.status == 503, let fresh = project.pid(replica), fresh != cached {
            pids.withLock { $0[replica] = fresh }
            answer = netnsHTTP(pid: fresh, method, path)
        }
        return answer
    }
}
