import AgentSimClient
import ArgumentParser
import Foundation

/// What the Compose benchmarks (`rolling`, `rollout`) share: their load options, a private dockerd, and a
/// `supervise run` draining the project's `worker` replicas.
struct ComposeLoadOptions: ParsableArguments {
    @Option(help: "Seconds between calls (round-robin over the workers).") var every = 0.5
    @Option(name: .customLong("min-call"), help: "Shortest call, seconds.") var minCall = 5.0
    @Option(name: .customLong("max-call"), help: "Longest call, seconds.") var maxCall = 20.0
    @Option(help: "Seconds of load before each restart or rollout.") var warmup = 20.0
    @Option(help: ArgumentHelp(ProductBinaries.help("supervise"))) var supervise: String?

    var durations: ClosedRange<Double> { minCall...maxCall }
    var superviseBinary: String { supervise ?? ProductBinaries.supervise }

    /// Root, signal cleanup, and the header lines every Compose benchmark prints.
    func begin(_ name: String, what: String) throws {
        guard getuid() == 0 else { throw BenchError("\(name): run as root (private dockerd, network namespaces)") }
        StartedProcesses.stopOnSignals()
        print("supervise-bench \(name): \(superviseBinary)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; 3 worker replicas, a call every \(every)s "
              + "round-robin, \(Int(minCall))-\(Int(maxCall)) s each, \(Int(warmup)) s of load before each \(what)")
    }
}

extension PrivateDockerd {
    /// A private dockerd in a new `prefix` directory, started; `body` runs with it, and it is torn down after (on
    /// a signal too).
    static func withEngine<T>(prefix: String, _ body: (PrivateDockerd) throws -> T) throws -> T {
        guard let testbed = DockerBench.testbed() else {
            throw BenchError("scripts/systemd-testbed/start-dockerd.sh not found (run from the repository)")
        }
        let engine = PrivateDockerd(directory: try makeTemporaryDirectory(prefix), testbed: testbed)
        let cleanup = StartedProcesses.addCleanup { engine.tearDown() }
        defer { engine.tearDown(); StartedProcesses.removeCleanup(cleanup) }
        try engine.start()
        return try body(engine)
    }
}

/// `supervise run` on a Compose project's `worker` service: readiness and a drain contract through each
/// container's network namespace (agent-sim on 127.0.0.1:8081 inside), a JSON log. Stopped by its pid and its
/// directory removed by ``stop()``, on a signal too. Sendable: only constants (a `Process` is used to stop it only).
final class ComposeBenchDaemon: @unchecked Sendable {
    let binary: String
    let socket: String
    let logPath: String
    private let directory: String
    private let process: Process
    private let cleanup: Int

    /// Starts it and waits until `workers` replicas are running and ready.
    init(binary: String, engine: PrivateDockerd, project: String, workers: Int) throws {
        self.binary = binary
        directory = try makeTemporaryDirectory("/tmp/sv-bench-compose-")
        let directory = directory
        cleanup = StartedProcesses.addCleanup { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/supervise.yaml"
        try """
            docker: {socket: \(engine.socket), project: \(project)}
            containers:
              worker:
                compose: worker
                stop_timeout: 5s
                restart: {policy: always}
                readiness: {http: "http://127.0.0.1:8081/", interval: 1s, network: container}
                drain: {progress: "http://127.0.0.1:8081/worker", network: container, timeout: 60s}

            """.write(toFile: config, atomically: true, encoding: .utf8)
        socket = directory + "/control.sock"
        logPath = directory + "/daemon.log"
        process = try launch(binary, ["run", "--config", config, "--socket", socket, "--state-dir", directory + "/state",
                                      "--log-format", "json"], log: logPath)
        let (binary, socket) = (binary, socket)
        do {
            try waitUntil(60, "supervise: \(workers) workers ready") {
                guard let out = try? runCommand(binary, ["status", "--json", "--socket", socket]), out.status == 0,
                      let object = try? JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [String: Any],
                      let units = object["units"] as? [[String: Any]] else { return false }
                return units.filter { $0["state"] as? String == "running" && $0["ready"] as? Bool == true }.count == workers
            }
        } catch {
            stop()
            throw error
        }
    }

    /// The supervise CLI against this daemon; throws with its output (and the log's tail) when it fails.
    @discardableResult
    func cli(_ arguments: [String]) throws -> String {
        let out = try runCommand(binary, arguments + ["--socket", socket])
        guard out.status == 0 else { throw BenchError("supervise \(arguments.joined(separator: " ")): \(out.output)\n\(logTail)") }
        return out.output
    }

    /// The daemon's log.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The last lines of the daemon's log, for an error.
    var logTail: String { log.split(separator: "\n").suffix(20).joined(separator: "\n") }

    func stop() {
        supervise_bench.stop(process)
        try? FileManager.default.removeItem(atPath: directory)
        StartedProcesses.removeCleanup(cleanup)
    }
}

/// One line of a figures table: each cell padded to its width (the last one as it is).
func tableRow(_ cells: [(text: String, width: Int)]) -> String {
    cells.dropLast().map { $0.text.padding(toLength: $0.width, withPad: " ", startingAt: 0) }.joined()
        + (cells.last?.text ?? "")
}

/// The end of a Compose benchmark's measurement, after the restart or rollout: 5 s more of load, then every call
/// left to end (`longest` s at most); the calls dropped (started less ended in the workers' output since `before`,
/// as `counts` reads it) and accepted.
func finishLoad(_ calls: CallGenerator<Int>, longest: Double, before: (started: Int, ended: Int),
                counts: () throws -> (started: Int, ended: Int)) throws -> (dropped: Int, accepted: Int) {
    Thread.sleep(forTimeInterval: 5)
    calls.stop()
    Thread.sleep(forTimeInterval: longest + 1.5)
    let after = try counts()
    let accepted = calls.accepted.count
    if after.started - before.started != accepted {
        print("  note: the workers logged \(after.started - before.started) calls started, the generator \(accepted) accepted")
    }
    return ((after.started - before.started) - (after.ended - before.ended), accepted)
}

/// The start of a Compose benchmark's measurement: `calls` placed on `targets` for the warm-up; when it ends, the calls
/// live then and the longest time one of them still had to run.
func startLoad(_ calls: CallGenerator<Int>, on targets: [Int], _ load: ComposeLoadOptions)
    -> (start: Date, live: Int, longestLive: Double) {
    calls.startSteadyLoad(on: targets, durations: load.durations, every: load.every)
    Thread.sleep(forTimeInterval: load.warmup)
    let start = Date()
    let live = calls.accepted.filter { $0.endsAt > start }
    return (start, live.count, live.map { $0.endsAt.timeIntervalSince(start) }.max() ?? 0)
}
