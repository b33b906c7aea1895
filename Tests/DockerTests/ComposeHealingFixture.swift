import Foundation
import Testing

/// Where the package's executables are: beside the test bundle (`.build-xxx/debug`).
enum BuiltProducts {
    static let directory: String = {
        if let dir = ProcessInfo.processInfo.environment["SUPERVISE_BIN_DIR"] { return dir }
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("supervise").path) {
                return dir.resolvingSymlinksInPath().path
            }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: TestDockerDaemon.repository + "/.build/debug").resolvingSymlinksInPath().path
    }()

    static var supervise: String { directory + "/supervise" }
    static var agentSim: String { directory + "/agent-sim" }
}

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
func poll(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

extension TestDockerDaemon {
    /// `supervise-agent-root:test`: a rootfs of empty directories and the merged-/usr symlinks,
    /// for agent-sim and curl bind-mounted from the host (`/usr`, `/opt/swift`, the build directory).
    func agentRootImage() throws -> String {
        let tag = "supervise-agent-root:test"
        if (try? docker(["image", "inspect", "--format", "{{.Id}}", tag])) != nil { return tag }
        let script = """
            set -e
            root=$(mktemp -d /tmp/sv-ch-rootfs-XXXXXX)
            trap 'rm -rf "$root"' EXIT
            mkdir -p "$root/usr/lib" "$root/usr/lib64" "$root/usr/bin" "$root/usr/sbin" "$root/opt/swift" \\
              "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev"
            chmod 1777 "$root/tmp"
            ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"; ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"
            tar -C "$root" -c . | docker -H "unix://\(socket)" import - \(tag) >/dev/null
            """
        let result = try Shell.run("/bin/bash", ["-c", script])
        guard result.status == 0 else { throw TestFailure("importing the agent image failed: \(result.output)") }
        return tag
    }
}

/// A Compose v1 project on the private dockerd: service `worker` (agent-sim on 127.0.0.1:8081 in
/// its own network namespace, with a HEALTHCHECK) and service `crasher` (agent-sim exiting 1 at
/// once). `down()` removes everything; the temporary directory goes with it.
final class ComposeProject: Sendable {
    let daemon: TestDockerDaemon
    let name: String
    let directory: String
    var file: String { directory + "/docker-compose.yml" }

    /// `healthcheckInterval`: Docker's HEALTHCHECK interval (retries 2); long to keep it out of the way.
    /// `restart`: the services' own Docker restart policy (`always`), none by default.
    /// `workerArguments`: more agent-sim flags for the workers (`--drain-linger 1`).
    init(daemon: TestDockerDaemon, name: String, healthcheckInterval: String = "1s", restart: String? = nil,
         workerArguments: [String] = []) throws {
        self.daemon = daemon
        self.name = name
        directory = try Shell.makeTemporaryDirectory(prefix: "/tmp/sv-ch-")
        let image = try daemon.agentRootImage()
        let bin = BuiltProducts.directory
        func service(_ command: [String]) -> String {
            let quoted = ([bin + "/agent-sim"] + command).map { "\"\($0)\"" }.joined(separator: ", ")
            return """
                    image: \(image)
                    command: [\(quoted)]
                    network_mode: none
                    stop_grace_period: 5s\(restart.map { "\n    restart: \($0)" } ?? "")
                    volumes:
                      - /usr:/usr:ro
                      - /opt/swift:/opt/swift:ro
                      - \(bin):\(bin):ro
                    healthcheck:
                      test: ["CMD", "/usr/bin/curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/"]
                      interval: \(healthcheckInterval)
                      timeout: 1s
                      retries: 2
                """
        }
        let yaml = """
            version: "2.4"
            services:
              worker:
            \(service(["--port", "8081", "--name", "worker"] + workerArguments))
              crasher:
            \(service(["--port", "8081", "--name", "crasher", "--exit-after", "0", "--exit-code", "1"]))

            """
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// `docker-compose -p NAME -f FILE arguments...`; throws with its output on failure.
    @discardableResult
    func compose(_ arguments: [String]) throws -> String {
        let result = try Shell.run("/usr/bin/env", ["docker-compose", "--no-ansi", "-p", name, "-f", file] + arguments,
                                   environment: ["DOCKER_HOST": "unix://" + daemon.socket, "COMPOSE_INTERACTIVE_NO_CLI": "1"])
        guard result.status == 0 else {
            throw TestFailure("docker-compose \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result.output
    }

    /// `up -d --scale worker=N worker`.
    func scaleWorkers(_ n: Int) throws { try compose(["up", "-d", "--scale", "worker=\(n)", "worker"]) }

    /// The project's containers of `service` by replica number (running or not).
    func containers(_ service: String = "worker") throws -> [Int: String] {
        let lines = try daemon.docker(["ps", "-a", "--no-trunc", "--filter", "label=com.docker.compose.project=\(name)",
                                       "--filter", "label=com.docker.compose.service=\(service)",
                                       "--format", "{{.ID}} {{.Label \"com.docker.compose.container-number\"}}"])
        var found: [Int: String] = [:]
        for line in lines.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let n = Int(parts[1]) { found[n] = String(parts[0]) }
        }
        return found
    }

    func container(_ replica: Int, _ service: String = "worker") throws -> String {
        guard let id = try containers(service)[replica] else { throw TestFailure("no \(service) replica \(replica) in \(name)") }
        return id
    }

    /// Docker's view of a container's state.
    struct State: Equatable {
        var running: Bool
        var pid: Int32
        var startedAt: String
        var restartCount: Int
        var health: String
    }

    func state(_ id: String) throws -> State {
        let out = try daemon.docker(["inspect", "-f",
                                     "{{.State.Running}}|{{.State.Pid}}|{{.State.StartedAt}}|{{.RestartCount}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}",
                                     id])
        let f = out.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 5 else { throw TestFailure("unexpected inspect output: \(out)") }
        return State(running: f[0] == "true", pid: Int32(f[1]) ?? 0, startedAt: f[2], restartCount: Int(f[3]) ?? -1, health: f[4])
    }

    /// `docker exec ID curl -X POST http://127.0.0.1:8081/PATH` (inside the container's network).
    @discardableResult
    func post(_ id: String, _ path: String) throws -> String {
        try daemon.docker(["exec", id, "/usr/bin/curl", "-fsS", "-m", "5", "-X", "POST", "http://127.0.0.1:8081" + path])
    }

    /// Removes every container of the project (even when docker-compose cannot) and the directory.
    func down() {
        _ = try? compose(["down", "-t", "0", "--remove-orphans"])
        if let ids = try? daemon.docker(["ps", "-aq", "--filter", "label=com.docker.compose.project=\(name)"]),
           !ids.isEmpty {
            _ = try? daemon.docker(["rm", "-f"] + ids.split(whereSeparator: \.isWhitespace).map(String.init))
        }
        _ = try? Shell.run("/bin/rm", ["-rf", "--one-file-system", directory])
    }
}

/// A real `supervise run` daemon (as root: it joins containers' network namespaces for probes),
/// JSON log lines in a file, stopped by its pid on every path.
final class SuperviseProcess: @unchecked Sendable {
    let directory: String
    let socket: String
    let logPath: String
    private(set) var pid: pid_t = 0
    private var reaped = false

    /// Whether ``stop()`` removes the directory (not when it was borrowed from another daemon).
    private let ownsDirectory: Bool

    /// The state file as JSON, if one has been written.
    func savedState() -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: directory + "/state/state.json") else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// Waits until the state file shows what `predicate` looks for (writes are batched off the loop).
    @discardableResult
    func waitForSavedState(timeout: Double = 5, _ predicate: @escaping ([String: Any]) -> Bool) -> Bool {
        let saved = poll(timeout: timeout) { self.savedState().map(predicate) ?? false }
        if !saved { Issue.record("the state file never showed what the test waits for") }
        return saved
    }

    /// The saved record of `unit`, from ``savedState()``.
    static func savedUnit(_ state: [String: Any], _ unit: String) -> [String: Any]? {
        (state["units"] as? [String: Any])?[unit] as? [String: Any]
    }

    /// `reusing`: a daemon started before in `reusing.directory` (same config, socket and state
    /// directory; its own log file), as after a restart of supervise.
    init(config: String, reusing previous: SuperviseProcess? = nil) throws {
        if let previous {
            directory = previous.directory
            ownsDirectory = false
        } else {
            directory = try Shell.makeTemporaryDirectory(prefix: "/tmp/sv-chd-")
            ownsDirectory = true
        }
        socket = directory + "/control.sock"
        logPath = directory + (previous == nil ? "/daemon.log" : "/daemon-\(UInt32.random(in: 0...UInt32.max)).log")
        let configPath = directory + "/supervise.yaml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = [BuiltProducts.supervise, "run", "--config", configPath, "--socket", socket,
                         "--state-dir", directory + "/state", "--log-format", "json"]
        let argv = arguments.map { strdup($0) } + [nil]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = nil
        environment["WATCHDOG_USEC"] = nil
        environment["JOURNAL_STREAM"] = nil
        let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + env).forEach { free($0) } }
        let spawned = posix_spawn(&pid, BuiltProducts.supervise, &actions, nil, argv, env)
        guard spawned == 0 else {
            if ownsDirectory { _ = try? Shell.run("/bin/rm", ["-rf", directory]) }
            throw TestFailure("posix_spawn supervise: \(String(cString: strerror(spawned)))")
        }
        guard poll(timeout: 15, { (try? units()) != nil }) else {
            let log = self.log
            stop()
            throw TestFailure("supervise did not answer on \(socket); log:\n\(log)")
        }
    }

    /// `supervise status --json`: every unit as a JSON object.
    func units() throws -> [[String: Any]] {
        let result = try Shell.run(BuiltProducts.supervise, ["status", "--json", "--socket", socket], separateStderr: true)
        guard result.status == 0 else { throw TestFailure("supervise status failed (\(result.status)): \(result.error)") }
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        return object?["units"] as? [[String: Any]] ?? []
    }

    func unit(_ name: String) throws -> [String: Any]? { try units().first { $0["name"] as? String == name } }

    /// The names of the units, sorted.
    func unitNames() throws -> [String] { try units().compactMap { $0["name"] as? String }.sorted() }

    /// Whether `name` is in `state` (and, when given, runs pid `pid`).
    func unit(_ name: String, is state: String, pid: Int32? = nil) -> Bool {
        guard let u = try? unit(name), u["state"] as? String == state else { return false }
        return pid.map { (u["pid"] as? Int).map(Int32.init) == $0 } ?? true
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The JSON log records (`message`, `level`, `unit`, `event`, `reason`, ...), in order.
    func records() -> [[String: String]] {
        log.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]
        }
    }

    /// The records with `event`, of any unit.
    func records(event: String) -> [[String: String]] {
        records().filter { $0["event"] == event }
    }

    /// The records of `unit` (or of no unit, with nil) with `event`.
    func records(unit: String?, event: String) -> [[String: String]] {
        records().filter { $0["unit"] == unit && $0["event"] == event }
    }

    /// SIGKILL by pid (no shutdown at all), reaped; the directory stays.
    func killHard() {
        guard pid > 0 && !reaped else { return }
        kill(pid, SIGKILL)
        _ = waitExit(timeout: 10)
    }

    /// SIGTERM by pid, SIGKILL after 10 s; removes the directory (when its own). Idempotent.
    func stop() {
        if pid > 0 && !reaped {
            kill(pid, SIGTERM)
            if !waitExit(timeout: 10) {
                kill(pid, SIGKILL)
                _ = waitExit(timeout: 5)
            }
        }
        if ownsDirectory { _ = try? Shell.run("/bin/rm", ["-rf", "--one-file-system", directory]) }
    }

    private func waitExit(timeout: Double) -> Bool {
        poll(timeout: timeout) {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno == ECHILD) { reaped = true }
            return reaped
        }
    }

    deinit { stop() }
}
