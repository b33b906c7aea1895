import ArgumentParser
import Foundation
import Synchronization
import AgentSimClient

/// A new worker image for 3 Compose replicas under a steady load of long calls, on a private dockerd:
/// (a) the image changed in the Compose file and `docker-compose up -d` (every replica recreated at once, Compose's
/// 10 s grace, then SIGKILL) against (b) `supervise rollout worker --image NEW` (new replicas first, then the old
/// ones drained). Counts calls dropped (accepted, never completed) from the workers' own output, which each worker
/// writes to a file on the host, since Compose deletes the containers it recreates and their logs with them.
struct RolloutBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Calls dropped by a new image through docker-compose up -d vs supervise rollout --image (private dockerd, root).")

    @OptionGroup var load: ComposeLoadOptions

    func run() throws {
        try load.begin("rollout", what: "rollout")
        let (a, b) = try PrivateDockerd.withEngine(prefix: "/tmp/sv-bo-") { engine -> (Measurement, Measurement) in
            let project = try RolloutProject(engine: engine, binDir: ProductBinaries.directory.path)

            // (a) docker-compose up -d with the new image in the file.
            try project.up(image: project.images[0])
            try project.waitServing(image: project.images[0])
            let a = try measure(project, image: project.images[1]) {
                try project.up(image: project.images[1])
            }

            // (b) supervise rollout --image, on the containers (a) left.
            let daemon = try ComposeBenchDaemon(binary: load.superviseBinary, engine: engine, project: project.name, workers: 3)
            defer { daemon.stop() }
            let b = try measure(project, image: project.images[0]) {
                try daemon.cli(["rollout", "worker", "--image", project.images[0]])
            }
            return (a, b)
        }

        func row(_ name: String, _ r: Measurement) -> String {
            tableRow([(name, 44), ("\(r.dropped)/\(r.liveAtStart)", 14), ("\(r.accepted)", 10), ("\(fmt1(r.seconds)) s", 10),
                      ("\(fmt1(r.longestLiveAtStart)) s", 14), ("\(r.fewestServing)", 0)])
        }
        print("""

            == a new image for 3 Compose workers under load (calls \(Int(load.minCall))-\(Int(load.maxCall)) s) ==
              rollout                                     dropped/live  accepted  took      longest live  fewest serving
              \(row("docker-compose up -d (image changed, t=10)", a))
              \(row("supervise rollout worker --image", b))
              dropped: calls accepted but never completed, from the workers' own output; live: calls in progress when the
              rollout began; took: until every running worker ran the new image (supervise: until the command returned);
              fewest serving: the fewest workers taking calls at once (answering /worker, not draining), sampled
              every 0.2 s; the service's count is 3.
            """)
    }

    struct Measurement {
        var dropped = 0, liveAtStart = 0, accepted = 0
        var seconds = 0.0, longestLiveAtStart = 0.0
        var fewestServing = Int.max
    }

    /// Load for `warmup` seconds, the rollout, until every running worker runs `image`; load for 5 s more, then every
    /// call left to end; drops from the workers' files.
    private func measure(_ project: RolloutProject, image: String, rollout: @escaping @Sendable () throws -> Void) throws -> Measurement {
        let before = try project.callCounts()
        let calls = project.calls()
        defer { calls.stop() }
        var m = Measurement()
        let t0: Date
        (t0, m.liveAtStart, m.longestLiveAtStart) = startLoad(calls, on: [0, 1, 2], load)
        let failure = Mutex<(any Error)?>(nil)
        let done = Mutex(false)
        let thread = Thread {
            do { try rollout() } catch { failure.withLock { $0 = error } }
            done.withLock { $0 = true }
        }
        thread.start()
        while try !done.withLock({ $0 }) || !project.allRun(image: image) {
            m.fewestServing = min(m.fewestServing, project.serving())
            guard Date().timeIntervalSince(t0) < 600 else { throw BenchError("the rollout did not finish within 10 min") }
            usleep(200_000)
        }
        if let error = failure.withLock({ $0 }) { throw error }
        m.seconds = Date().timeIntervalSince(t0)
        (m.dropped, m.accepted) = try finishLoad(calls, longest: load.maxCall, before: before, counts: project.callCounts)
        return m
    }
}

/// A Compose v1 project with `scale: 3` workers (agent-sim from the host's build directory, `network_mode: none`),
/// whose image is one of two tags of the same root file system with different ids; each worker appends its output
/// to `calls/HOSTNAME.log` in the engine's directory (through `sh -c exec`, so agent-sim is still the container's
/// main process and gets Docker's signals).
final class RolloutProject: Sendable {
    let engine: PrivateDockerd
    let name = "svrollout\(getpid())"
    let file: String
    let binDir: String
    let callsDirectory: String
    /// The two images: `supervise-agent-root:bench-1` and `-2`.
    let images = ["supervise-agent-root:bench-1", "supervise-agent-root:bench-2"]
    private let picked = Mutex<(pids: [Int32], at: Date)>(([], .distantPast))

    init(engine: PrivateDockerd, binDir: String) throws {
        self.engine = engine
        self.binDir = binDir
        file = engine.directory + "/docker-compose.yml"
        callsDirectory = engine.directory + "/calls"
        try FileManager.default.createDirectory(atPath: callsDirectory, withIntermediateDirectories: true)
        let script = """
            set -e
            root=$(mktemp -d /tmp/sv-bench-rootfs-XXXXXX)
            trap 'rm -rf "$root"' EXIT
            mkdir -p "$root/usr/lib" "$root/usr/lib64" "$root/usr/bin" "$root/usr/sbin" "$root/opt/swift" "$root/etc" "$root/tmp" \\
              "$root/proc" "$root/sys" "$root/dev" "$root/calls"
            chmod 1777 "$root/tmp"
            ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"; ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"
            tar -C "$root" -c . | docker -H "unix://\(engine.socket)" import - \(images[0]) >/dev/null
            printf 'FROM \(images[0])\\nLABEL supervise.bench=2\\n' | docker -H "unix://\(engine.socket)" build -q -t \(images[1]) - >/dev/null
            """
        let imported = try runCommand("/bin/bash", ["-c", script])
        guard imported.status == 0 else { throw BenchError("making the images: \(imported.output)") }
    }

    /// Writes the Compose file with `image` and runs `docker-compose up -d`.
    func up(image: String) throws {
        // `$$`: a literal `$` for Compose, which interpolates `$`.
        let command = "exec \(binDir)/agent-sim --port 8081 --name worker >>/calls/$$(cat /etc/hostname).log 2>&1"
        try """
            version: "2.4"
            services:
              worker:
                image: \(image)
                scale: 3
                command: ["/bin/sh", "-c", "\(command)"]
                network_mode: none
                volumes: ["/usr:/usr:ro", "/opt/swift:/opt/swift:ro", "\(binDir):\(binDir):ro", "\(callsDirectory):/calls"]

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let out = try runCommand("docker-compose", ["--no-ansi", "-p", name, "-f", file, "up", "-d"],
                                 environment: ["DOCKER_HOST": "unix://" + engine.socket, "COMPOSE_INTERACTIVE_NO_CLI": "1"])
        guard out.status == 0 else { throw BenchError("docker-compose up -d: \(out.output)") }
    }

    /// The running workers: id, image and main pid, by replica number.
    func running() throws -> [(number: Int, image: String, pid: Int32)] {
        let lines = try engine.cli(["ps", "--no-trunc", "--filter", "label=com.docker.compose.project=\(name)",
                                    "--format", "{{.ID}} {{.Label \"com.docker.compose.container-number\"}}"])
        return lines.split(separator: "\n").compactMap { line -> (Int, String, Int32)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let n = Int(parts[1]),
                  // Removed since `ps` listed it (a rollout deletes replicas): not running.
                  let inspected = try? engine.cli(["inspect", "-f", "{{.Config.Image}} {{.State.Pid}}", String(parts[0])]) else { return nil }
            let f = inspected.split(separator: " ")
            guard f.count == 2, let pid = Int32(f[1].trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return nil }
            return (n, String(f[0]), pid)
        }.sorted { $0.0 < $1.0 }
    }

    /// Whether exactly 3 workers run, all on `image`.
    func allRun(image: String) throws -> Bool {
        let now = try running()
        return now.count == 3 && now.allSatisfy { $0.image == image }
    }

    /// How many running workers take calls now: `GET /worker` answered, and not draining.
    func serving() -> Int {
        ((try? running()) ?? []).filter { worker in
            guard let answer = netnsHTTP(pid: worker.pid, "GET", "/worker", timeout: 1), answer.status == 200 else { return false }
            return answer.body.contains("\"draining\":false")
        }.count
    }

    func waitServing(image: String) throws {
        try waitUntil(60, "3 workers answering") { try allRun(image: image) && serving() == 3 }
    }

    /// Calls to slot 0, 1, 2: the running workers in replica order (refreshed every 0.5 s, and at once when a worker
    /// is gone or draining, trying the next one).
    func calls() -> CallGenerator<Int> {
        CallGenerator { [self] slot, method, path in
            var pids = workers(refresh: false)
            for attempt in 0..<2 {
                guard !pids.isEmpty else { return nil }
                let answer = netnsHTTP(pid: pids[(slot + attempt) % pids.count], method, path)
                if let answer, answer.status != 503 { return answer }
                pids = workers(refresh: true)
            }
            return nil
        }
    }

    private func workers(refresh: Bool) -> [Int32] {
        if !refresh, let cached = picked.withLock({ Date().timeIntervalSince($0.at) < 0.5 ? $0.pids : nil }) { return cached }
        let pids = ((try? running()) ?? []).map(\.pid)
        picked.withLock { $0 = (pids, Date()) }
        return pids
    }

    /// "call N started" and "call N ended" lines over every worker's file, old containers' too.
    func callCounts() throws -> (started: Int, ended: Int) {
        var started = 0, ended = 0
        for entry in try FileManager.default.contentsOfDirectory(atPath: callsDirectory) {
            let text = (try? String(contentsOfFile: callsDirectory + "/" + entry, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                guard let r = line.range(of: "] call ") else { continue }
                let words = line[r.upperBound...].split(separator: " ")
                if words.count >= 2, words[1] == "started" { started += 1 }
                if words.count >= 2, words[1] == "ended" { ended += 1 }
            }
        }
        return (started, ended)
    }
}
