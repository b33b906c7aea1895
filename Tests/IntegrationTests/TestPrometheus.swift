import Foundation
import SuperviseHTTPClient
import Testing

/// A real Prometheus server (Debian's `prometheus` package, installed by scripts/setup.sh) for tests: it
/// scrapes the given targets every second as one job, on a free 127.0.0.1 port, with its configuration and
/// TSDB in a temporary directory. Only loopback: it listens on 127.0.0.1 and is meant to scrape 127.0.0.1.
///
///     try await withTestPrometheus(job: "supervise", targets: ["127.0.0.1:\(metricsPort)"]) { prometheus in
///         let up = try await prometheus.waitForSeries(#"up{job="supervise"} == 1"#)
///         let calls = try await prometheus.query("supervise_service_live_calls")
///     }
///
/// `withTestPrometheus` stops it (by PID: SIGTERM, then SIGKILL) and removes its directory on every path,
/// also when the body throws or an expectation fails; a `TestPrometheus` made directly is stopped by
/// `stop()` or, at the latest, when it is released.
final class TestPrometheus: @unchecked Sendable {
    static let binary = "/usr/bin/prometheus"

    /// In `targets`, stands for Prometheus' own listen address (so it can scrape itself).
    static let itself = "$self"

    /// One element of a query's answer: the series' labels (with `__name__` when it has one) and its value.
    typealias Sample = (labels: [String: String], value: Double)

    let port: Int
    let directory: URL
    let job: String
    private let process: TestProcess
    // @unchecked Sendable: `stopped` is only touched under `lock`; the rest is immutable.
    private let lock = NSLock()
    private var stopped = false

    var pid: Int32 { process.pid }
    var address: String { "127.0.0.1:\(port)" }
    /// Everything Prometheus has logged so far (for failure messages).
    var output: String { process.output }

    /// Starts Prometheus scraping `targets` (`host:port`, or ``itself``) as job `job` every `scrapeInterval`,
    /// evaluating `ruleFiles` (absolute paths, e.g. alerts/supervise.rules.yml) at the same interval, and
    /// waits until it answers `/-/ready`. Throws with its output when it does not start in `readyTimeout` s.
    init(job: String, targets: [String], metricsPath: String = "/metrics", scrapeInterval: String = "1s",
         ruleFiles: [String] = [], readyTimeout: Double = 30) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw FixtureMissing(what: Self.binary, package: "prometheus")
        }
        self.job = job
        directory = makeTemporaryDirectory("supervise-prometheus")
        var lastFailure = ""
        // The port was free a moment ago; another process may take it before Prometheus binds it: retry.
        for _ in 0..<3 {
            let port = freeLoopbackPort()
            let config = Self.configuration(job: job, targets: targets.map { $0 == Self.itself ? "127.0.0.1:\(port)" : $0 },
                                            metricsPath: metricsPath, scrapeInterval: scrapeInterval, ruleFiles: ruleFiles)
            let configPath = directory.appendingPathComponent("prometheus.yml")
            let dataPath = directory.appendingPathComponent("data-\(port)")
            do {
                try config.write(to: configPath, atomically: true, encoding: .utf8)
            } catch {
                removeScratchDirectory(directory)
                throw error
            }
            let process = try TestProcess(Self.binary, [
                "--config.file=\(configPath.path)",
                "--storage.tsdb.path=\(dataPath.path)",
                "--web.listen-address=127.0.0.1:\(port)",
                "--log.level=info",
            ])
            let ready = eventually(timeout: readyTimeout) {
                guard process.process.isRunning else { return true }
                return (try? Self.get(port: port, "/-/ready", timeout: 1))?.status == 200
            }
            if ready && process.process.isRunning {
                self.port = port
                self.process = process
                return
            }
            process.stop()
            lastFailure = "prometheus on 127.0.0.1:\(port) \(ready ? "exited" : "was not ready after \(readyTimeout) s"):\n\(process.output)"
            // Only a lost race for the port is worth another try.
            guard process.output.contains("address already in use") else { break }
        }
        removeScratchDirectory(directory)
        throw FixtureFailure(description: lastFailure)
    }

    /// The configuration file: one job, static targets, scrape and evaluation every `scrapeInterval`.
    static func configuration(job: String, targets: [String], metricsPath: String, scrapeInterval: String,
                              ruleFiles: [String]) -> String {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        return """
            global:
              scrape_interval: \(scrapeInterval)
              scrape_timeout: \(scrapeInterval)
              evaluation_interval: \(scrapeInterval)
            rule_files: [\(ruleFiles.map(quoted).joined(separator: ", "))]
            scrape_configs:
              - job_name: \(quoted(job))
                metrics_path: \(quoted(metricsPath))
                static_configs:
                  - targets: [\(targets.map(quoted).joined(separator: ", "))]

            """
    }

    /// Stops Prometheus by its PID (SIGTERM, SIGKILL after 5 s) and removes its directory. Idempotent.
    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        process.stop(grace: 5)
        removeScratchDirectory(directory)
    }

    deinit { stop() }

    /// An instant query (`GET /api/v1/query`) at the current time: one sample per series of the answer (a
    /// scalar answers one sample without labels). Throws Prometheus' own error for a query it rejects.
    func query(_ promql: String) async throws -> [Sample] {
        let answer = try Self.get(port: port, "/api/v1/query?query=" + Self.percentEncoded(promql), timeout: 10)
        return try Self.decodeQueryAnswer(answer.body, status: answer.status, query: promql)
    }

    /// Queries `promql` until its answer is not empty (every 250 ms, up to `timeout` s) and returns that answer.
    /// On timeout it throws with the last answer or error and the state of every scrape target. Prometheus'
    /// scrape manager takes up the configured targets up to 5 s after start: the first series of a fresh
    /// instance come after about 6 s.
    @discardableResult
    func waitForSeries(_ promql: String, timeout: Double = 30) async throws -> [Sample] {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no answer"
        while true {
            do {
                let samples = try await query(promql)
                if !samples.isEmpty { return samples }
                last = "an empty answer"
            } catch {
                last = "\(error)"
            }
            if Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw FixtureFailure(description: """
            no series for \(promql) after \(timeout) s (last: \(last))
            scrape targets: \(targetsSummary())
            prometheus output (last lines):
            \(output.split(separator: "\n").suffix(15).joined(separator: "\n"))
            """)
    }

    /// Each active scrape target's URL, health and last error, for failure messages.
    func targetsSummary() -> String {
        guard let answer = try? Self.get(port: port, "/api/v1/targets?state=active", timeout: 5),
              let json = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
              let data = json["data"] as? [String: Any], let targets = data["activeTargets"] as? [[String: Any]] else {
            return "(unavailable)"
        }
        if targets.isEmpty { return "none" }
        return targets.map { target in
            let url = target["scrapeUrl"] as? String ?? "?"
            let health = target["health"] as? String ?? "?"
            let error = target["lastError"] as? String ?? ""
            return "\(url) \(health)" + (error.isEmpty ? "" : " (\(error))")
        }.joined(separator: "; ")
    }

    // MARK: - HTTP and the API's JSON

    /// `GET http://127.0.0.1:port/path` with the project's HTTP client (Prometheus answers chunked for bodies over
    /// 2 KiB).
    static func get(port: Int, _ path: String, timeout: Double) throws -> (status: Int, body: Data) {
        let answer = try LocalHTTPClient(.loopback(port: port), timeout: .milliseconds(Int(timeout * 1000))).request("GET", path)
        return (answer.status, Data(answer.body))
    }

    /// A query string value: everything but unreserved characters percent-encoded (PromQL has `{}"=~+` …).
    static func percentEncoded(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        return text.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
    }

    /// The samples of an `/api/v1/query` answer: a vector's series, or a scalar. A matrix (a range selector
    /// queried instantly) is refused: ask for an instant vector, e.g. `last_over_time(x[1m])`.
    static func decodeQueryAnswer(_ body: Data, status: Int, query: String) throws -> [Sample] {
        guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw FixtureFailure(description: "query \(query): HTTP \(status), not JSON: \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        guard json["status"] as? String == "success", let data = json["data"] as? [String: Any] else {
            let type = json["errorType"] as? String ?? "?"
            let error = json["error"] as? String ?? String(decoding: body.prefix(300), as: UTF8.self)
            throw FixtureFailure(description: "query \(query): HTTP \(status), \(type): \(error)")
        }
        func number(_ pair: Any?) throws -> Double {
            guard let pair = pair as? [Any], pair.count == 2, let text = pair[1] as? String else {
                throw FixtureFailure(description: "query \(query): unexpected value \(String(describing: pair))")
            }
            switch text {
            case "+Inf": return .infinity
            case "-Inf": return -.infinity
            case "NaN": return .nan
            default:
                guard let value = Double(text) else { throw FixtureFailure(description: "query \(query): value \(text)") }
                return value
            }
        }
        switch data["resultType"] as? String {
        case "vector":
            let result = data["result"] as? [[String: Any]] ?? []
            return try result.map { series in
                ((series["metric"] as? [String: String]) ?? [:], try number(series["value"]))
            }
        case "scalar":
            return [([:], try number(data["result"]))]
        case let other:
            throw FixtureFailure(description: "query \(query): a \(other ?? "?") answer; use an instant vector or a scalar")
        }
    }
}

/// Starts a ``TestPrometheus``, runs `body` with it, and stops it (by PID) and removes its directory however
/// `body` ends.
func withTestPrometheus<T>(job: String, targets: [String], metricsPath: String = "/metrics", scrapeInterval: String = "1s",
                           ruleFiles: [String] = [], _ body: (TestPrometheus) async throws -> T) async throws -> T {
    let prometheus = try TestPrometheus(job: job, targets: targets, metricsPath: metricsPath,
                                        scrapeInterval: scrapeInterval, ruleFiles: ruleFiles)
    defer { prometheus.stop() }
    return try await body(prometheus)
}

// MARK: - promtool

enum Promtool {
    static let binary = "/usr/bin/promtool"

    /// `promtool ARGS`: exit code and everything it printed (stdout and stderr). Throws when promtool is not
    /// installed, or when it has not ended after `timeout` s.
    static func run(_ arguments: [String], timeout: Double = 60) throws -> (code: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw FixtureMissing(what: binary, package: "prometheus") }
        let result = try runCommand(binary, arguments, timeout: timeout)
        guard result.code != -1 else {
            throw FixtureFailure(description: "promtool \(arguments.joined(separator: " ")) did not end in \(timeout) s:\n\(result.output)")
        }
        return result
    }
}

/// Pipes exposition text (Prometheus' text format 0.0.4, as `GET /metrics` answers) into
/// `promtool check metrics`: whether it found nothing to say, and what it said (its lint messages, such as
/// `x counter metrics should have "_total" suffix`, or a parse error). Not ok when promtool is missing.
func promtoolCheckMetrics(_ text: String) -> (ok: Bool, output: String) {
    guard FileManager.default.isExecutableFile(atPath: Promtool.binary) else {
        return (false, "\(Promtool.binary) is not installed: scripts/setup.sh installs Debian's prometheus")
    }
    let directory = makeTemporaryDirectory("supervise-promtool")
    defer { removeScratchDirectory(directory) }
    let input = directory.appendingPathComponent("metrics.txt")
    do {
        try text.write(to: input, atomically: true, encoding: .utf8)
        // The shell only redirects the file to promtool's standard input (TestProcess has none to give).
        let result = try runCommand("/bin/sh", ["-c", "exec \"$0\" check metrics < \"$1\"", Promtool.binary, input.path], timeout: 30)
        return (result.code == 0, result.output)
    } catch {
        return (false, "could not run promtool check metrics: \(error)")
    }
}

/// Removes a directory made by `makeTemporaryDirectory` here, with everything in it.
private func removeScratchDirectory(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
}
