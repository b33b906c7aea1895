import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// A real `supervise run` daemon in a private temporary directory, stopped by PID on every path.
final class DaemonHarness: @unchecked Sendable {
    let directory: URL
    let configPath: String
    let socketPath: String
    let stateDirectory: String
    /// Given to `supervise run` after `--config`, `--socket` and `--state-dir`.
    let extraArguments: [String]
    private(set) var process: TestProcess?

    /// Writes `config` (YAML) and starts the daemon; waits until its control socket answers.
    /// `arguments` are further options of `supervise run`.
    init(config: String, environment: [String: String]? = nil, arguments: [String] = [], start: Bool = true) throws {
        extraArguments = arguments
        directory = makeTemporaryDirectory("supervise-daemon")
        configPath = directory.appendingPathComponent("supervise.yaml").path
        socketPath = directory.appendingPathComponent("control.sock").path
        stateDirectory = directory.appendingPathComponent("state").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        if start { try self.start(environment: environment) }
    }

    func start(environment: [String: String]? = nil) throws {
        try launch(environment: environment)
        let up = eventually(timeout: 15) { (try? client.request("GET", "/v1/units"))?.status == 200 }
        #expect(up, "daemon did not answer on \(socketPath); output:\n\(process?.output ?? "")")
    }

    /// Starts the daemon without waiting for it.
    func launch(environment: [String: String]? = nil) throws {
        process = try TestProcess(Binaries.supervise, ["run", "--config", configPath, "--socket", socketPath,
                                                        "--state-dir", stateDirectory] + extraArguments,
                              environment: environment)
    }

    var client: ControlClient { ControlClient(socketPath: socketPath, timeoutSeconds: 10) }

    var pid: Int32 { process?.pid ?? 0 }

    var output: String { process?.output ?? "" }

    func units() throws -> [UnitStatus] {
        let response = try client.request("GET", "/v1/units")
        return try Self.decoder.decode(UnitsResponse.self, from: Data(response.body)).units
    }

    func unit(_ name: String) throws -> UnitStatus? { try units().first { $0.name == name } }

    @discardableResult
    func command(_ action: String, _ name: String) throws -> (status: Int, body: String) {
        let response = try client.request("POST", "/v1/units/\(name)/\(action)")
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// Waits until `name` is running with a pid other than `old`; returns the new pid.
    func waitForRunning(_ name: String, notPid old: Int32? = nil, timeout: Double = 10) -> Int32? {
        var found: Int32?
        _ = eventually(timeout: timeout) {
            guard let u = try? unit(name), u.state == "running", let pid = u.pid, pid != old else { return false }
            found = pid
            return true
        }
        return found
    }

    /// The state file as last written, if it can be read.
    func savedState() -> PersistedState? {
        guard let data = FileManager.default.contents(atPath: stateDirectory + "/state.json") else { return nil }
        return try? JSONDecoder().decode(PersistedState.self, from: data)
    }

    /// Waits until the state file on disk satisfies `predicate` (its writes are batched off the
    /// loop, so what status shows reaches the disk a little later).
    @discardableResult
    func waitForSavedState(timeout: Double = 5, _ predicate: (PersistedState) -> Bool) -> Bool {
        let saved = eventually(timeout: timeout) { savedState().map(predicate) ?? false }
        if !saved { Issue.record("the state file never showed what the test waits for: \(savedState().map { "\($0)" } ?? "no readable file")") }
        return saved
    }

    /// Runs the `supervise` CLI against this daemon.
    func cli(_ arguments: [String]) throws -> (code: Int32, output: String) {
        try runCommand(Binaries.supervise, arguments + ["--socket", socketPath])
    }

    func writeConfig(_ config: String) throws {
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Stops the daemon (SIGTERM, then SIGKILL) and removes the directory.
    func stop() {
        process?.stop(grace: 15)
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()
}

/// Runs a command to completion; returns its exit code and combined output.
func runCommand(_ executable: String, _ arguments: [String], timeout: Double = 30) throws -> (code: Int32, output: String) {
    let p = try TestProcess(executable, arguments)
    guard let code = p.waitForExit(timeout: timeout) else {
        p.stop()
        return (-1, p.output)
    }
    // `waitForExit` has waited for the pipe's end of file: all of its output is in.
    return (code, p.output)
}

/// Whether a process with this pid exists (and is not a zombie).
func processAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Pids whose parent is `parent`, with their state letter.
func children(of parent: Int32) -> [(pid: Int32, state: Character)] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry -> (Int32, Character)? in
        guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 2, let ppid = Int32(fields[1]), ppid == parent else { return nil }
        return (pid, fields[0].first ?? "?")
    }
}
