import AgentSimQueue
import ArgumentParser
import Foundation
import SuperviseCore
import SuperviseHTTPClient
import Synchronization

/// A burst of queued calls against an autoscaled process service on a release daemon: how long supervise takes to
/// decide (the burst's `RPUSH` returning → the desired count rising) and how long the added replicas take to come
/// into service (decision → spawned → readiness probe passing), for the first added replica and for all 10. Two runs:
/// the HPA's default scale-up policy (2 → 6 → 10, the second step a policy period later) and one that allows
/// 2 → 10 in one step. Then the calls still queued are withdrawn and the service shrinks back to 2 by drain, and the
/// calls cut are counted. Beside them, the anchor: KEDA's documented defaults.
///
/// The workers are agent-sim in queue mode with `--max-calls 1` (one call at a time), both busy with a call when the
/// burst lands, so the backlog the autoscaler reads is the burst less the calls the added replicas take: 50 → 46 after
/// the first step, still ⌈46 / 5⌉ = 10 replicas. Workers that took several calls each would shrink the backlog below
/// what 10 replicas need before the policy allowed the second step.
struct AutoscaleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoscale",
        abstract: "A burst of 50 queued calls: burst -> the autoscaler's decision -> added replicas in service (2 -> 10), beside KEDA's defaults.")

    @Option(help: "Calls in the burst (one RPUSH).") var calls = 50
    @Option(name: .customLong("call-seconds"), help: "How long each call lasts (longer than the HPA policy's 15 s period).")
    var callSeconds = 30.0
    @Option(help: "autoscale.interval: how often the daemon reads the list.") var interval = "1s"
    @Option(name: .customLong("readiness-interval"), help: "The replicas' readiness probe interval.") var readinessInterval = "100ms"
    @Option(name: .customLong("poll-ms"), help: "GET /v1/services/worker every this many ms (a cross-check of the log's times).")
    var pollMs = 50
    @Option(help: ArgumentHelp(ProductBinaries.help("supervise"))) var supervise: String?
    @Option(name: .customLong("agent-sim"), help: ArgumentHelp(ProductBinaries.help("agent-sim"))) var agentSim: String?
    @Option(name: .customLong("redis-server"), help: "The redis-server binary (Debian's redis-server).") var redisServer = "/usr/bin/redis-server"

    /// The service's shape: issue 14's benchmark (KEDA's default `listLength` of 5).
    static let minimum = 2, maximum = 10, target = 5

    func validate() throws {
        guard calls >= 1 else { throw ValidationError("--calls must be at least 1") }
        guard callSeconds >= 20 else { throw ValidationError("--call-seconds must be at least 20: the calls must outlast the policy's 15 s period") }
        guard pollMs >= 5 else { throw ValidationError("--poll-ms must be at least 5") }
        for (name, text) in [("--interval", interval), ("--readiness-interval", readinessInterval)] {
            guard let d = DurationText.parse(text), d > .zero else {
                throw ValidationError("\(name) \(text): expected a duration such as 250ms or 1s")
            }
        }
    }

    func run() throws {
        StartedProcesses.stopOnSignals()
        let superviseBinary = supervise ?? ProductBinaries.supervise
        let agentBinary = agentSim ?? ProductBinaries.agentSim
        for binary in [superviseBinary, agentBinary] where !FileManager.default.isExecutableFile(atPath: binary) {
            throw BenchError("\(binary) not found: swift build -c release --product \(URL(fileURLWithPath: binary).lastPathComponent)")
        }
        guard FileManager.default.isExecutableFile(atPath: redisServer) else {
            throw BenchError("\(redisServer) not found: apt-get install redis-server (scripts/setup.sh installs it)")
        }
        let dir = try makeTemporaryDirectory("/tmp/sv-bench-autoscale-")
        let removeDir = StartedProcesses.addCleanup { try? FileManager.default.removeItem(atPath: dir) }
        // Kept when a run fails, for its daemon log; removed otherwise, and on a signal.
        var keepDirectory = false
        defer {
            if !keepDirectory { try? FileManager.default.removeItem(atPath: dir) }
            StartedProcesses.removeCleanup(removeDir)
        }

        // The queue's server: a redis-server of the benchmark's own on loopback, nothing saved, stopped by its PID.
        let redisPort = freePortBlock(1)[0]
        let redis = try launch(redisServer, ["--port", "\(redisPort)", "--bind", "127.0.0.1", "--dir", dir, "--save", "",
                                             "--appendonly", "no", "--daemonize", "no"], log: dir + "/redis.log")
        defer { stop(redis) }
        let queue = try CallQueueLocation(parsing: "redis://127.0.0.1:\(redisPort)/0/call-queue")
        try waitUntil(10, "redis-server on 127.0.0.1:\(redisPort) to answer") {
            if !redis.isRunning { throw BenchError("redis-server exited: \((try? String(contentsOfFile: dir + "/redis.log", encoding: .utf8)) ?? "")") }
            return (try? CallQueue.length(of: queue, timeout: 1)) != nil
        }
        let version = (try? runCommand(redisServer, ["--version"]).output.split(separator: " ").first { $0.hasPrefix("v=") }?.dropFirst(2)).map(String.init) ?? "?"

        print("supervise-bench autoscale: \(superviseBinary)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; redis-server \(version) on 127.0.0.1:\(redisPort); "
              + "service worker: agent-sim --queue --max-calls 1, \(Self.minimum) replicas, autoscale \(Self.minimum)…\(Self.maximum), "
              + "queue target \(Self.target), interval \(interval), readiness probe every \(readinessInterval)")
        print("the burst: \(calls) calls of \(fmt1(callSeconds)) s in one RPUSH onto call-queue, both replicas busy with a call")

        let runs = [
            Scenario(title: "the HPA's default scale-up policy (the larger of +4 pods and +100 % per 15 s): 2 -> 6, then -> 10 a period later",
                     scaleUp: nil),
            Scenario(title: "scale_up: {pods: 10, percent: 500}: 2 -> 10 in one step, so \"all 10\" is not held back by the policy's period",
                     scaleUp: "{pods: 10, percent: 500}"),
        ]
        var results: [Outcome] = []
        for (n, scenario) in runs.enumerated() {
            let runDir = dir + "/run\(n + 1)"
            try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
            let outcome: Outcome
            do {
                outcome = try measure(scenario, directory: runDir, supervise: superviseBinary, agentSim: agentBinary, queue: queue)
            } catch {
                keepDirectory = true
                throw error
            }
            print("\n== run \(n + 1): \(scenario.title) ==")
            outcome.print(interval: interval)
            results.append(outcome)
        }
        let decisions = results.compactMap(\.decision).map { $0 * 1000 }
        // The anchor's documented defaults (not measured here):
        // - KEDA's ScaledObject `pollingInterval`: "Optional. Default: 30 seconds", the interval at which KEDA checks each
        //   trigger (https://keda.sh/docs/latest/reference/scaledobject-spec/).
        // - The HPA's sync period, kube-controller-manager's `--horizontal-pod-autoscaler-sync-period`: 15 s by default
        //   ("By default, HPA syncs every 15 seconds", the Kubernetes HPA documentation and its guides).
        // - The HPA's default scale-up behaviour: "allow doubling the number of pods, or an absolute change of 4 pods in a
        //   15s window", no stabilization (HPAScalingRules, as quoted in KEDA's ScaledObject CRD).
        // - From 1 replica up the HPA asks KEDA's metrics server, which reads the trigger at each of those requests
        //   unless `useCachedMetrics` is set (kedacore/keda issue 2282: "pollingInterval … is being honored only by KEDA
        //   Operator"), so the 15 s sync alone bounds the decision there; the 30 s polling interval bounds activation.
        print("""

            == anchor: KEDA's Redis list scaler with its documented defaults (not measured here) ==
              KEDA checks the list every pollingInterval (30 s by default) and the HPA acts on KEDA's metric at its sync
              period (15 s by default): a burst waits up to 30 s + 15 s = 45 s for the first decision with KEDA's defaults
              (from 1 replica up the HPA asks KEDA's metrics server at each 15 s sync, so up to 15 s there); the HPA's
              default policy then adds the larger of 4 pods and 100 % per 15 s, so 2 -> 10 takes one period more.
              supervise here: burst -> decision in \(decisions.map { "\(Int($0.rounded())) ms" }.joined(separator: " and ")) with interval \(interval): \
            at most one interval and an LLEN (its default interval is the HPA's 15 s).
            """)
    }

    /// One scale-up policy's run.
    struct Scenario {
        var title: String
        /// `autoscale.scale_up` as YAML, or nil for the default (the HPA's).
        var scaleUp: String?
    }

    /// A replica added by the autoscaler: when the daemon added it, spawned it and saw its readiness probe pass.
    struct Added {
        var unit: String
        var added: Double
        var spawned: Double?
        var inService: Double?
    }

    /// What one run measured; times are seconds after the burst's RPUSH returned.
    struct Outcome {
        var rpushMs: Double
        var lengthAfterBurst: Int
        /// The autoscaler's upward decisions: (seconds after the burst, from, to).
        var steps: [(at: Double, from: Int, to: Int)]
        var added: [Added]
        var poll: ServicePoller.Summary
        var pollMs: Int
        var withdrawn: Int?
        var scaleDownSeconds: Double?
        var drains: (started: Int, done: Int, cut: Int, timedOut: Int)
        /// Each drain's length, drain-start to its end, in seconds.
        var drainSeconds: [Double]
        var counterCut: Double?
        var counterUnits: Int

        var decision: Double? { steps.first?.at }

        func print(interval: String) {
            func ms(_ s: Double?) -> String { s.map { "\(Int(($0 * 1000).rounded())) ms" } ?? "-" }
            func sec(_ s: Double?) -> String { s.map { String(format: "%.2f s", $0) } ?? "-" }
            func row(_ label: String, _ value: String) -> String { "  " + label.padding(toLength: 46, withPad: " ", startingAt: 0) + value }
            let inService = added.compactMap(\.inService).sorted()
            let first = added.filter { $0.inService != nil }.min { $0.inService! < $1.inService! }
            let needed = AutoscaleBench.maximum - AutoscaleBench.minimum
            let all = inService.count >= needed ? inService[needed - 1] : nil
            Swift.print("  RPUSH of the burst took \(String(format: "%.2f", rpushMs)) ms; the list then held \(lengthAfterBurst)")
            Swift.print("  the autoscaler's decisions (daemon log, event autoscale): "
                        + (steps.isEmpty ? "none" : steps.map { "+\(sec($0.at)) \($0.from) -> \($0.to)" }.joined(separator: ", ")))
            Swift.print(row("supervise's decision, burst -> desired rises:", "\(ms(decision))   (the decision waits for the next reading: the list is read every \(interval))"))
            if let first {
                let spawn = first.spawned.map { $0 - first.added }, ready = first.inService.map { $0 - (first.spawned ?? first.added) }
                Swift.print("  the first added replica's own start (\(first.unit)): decision -> spawned \(ms(spawn)) -> in service \(ms(ready)) "
                            + "(\(ms(first.inService.map { $0 - first.added })) in all)")
            }
            Swift.print(row("burst -> first added replica in service:", ms(first?.inService)))
            if let all {
                var note = ""
                if steps.count > 1, let last = steps.last {
                    let lastStarts = added.filter { $0.added >= last.at - 0.001 }.compactMap { a in a.inService.map { $0 - a.added } }
                    note = "  (the last step came \(sec(last.at - steps[0].at)) after the first: the policy's period; "
                        + "its replicas' own start \(ms(lastStarts.min()))–\(ms(lastStarts.max())))"
                } else {
                    let starts = added.compactMap { a in a.inService.map { $0 - a.added } }
                    note = "  (one step; the added replicas' own start \(ms(starts.min()))–\(ms(starts.max())))"
                }
                Swift.print(row("burst -> all \(AutoscaleBench.maximum) in service:", "\(sec(all))\(note)"))
            } else {
                Swift.print(row("burst -> all \(AutoscaleBench.maximum) in service:", "not reached "
                            + "(\(AutoscaleBench.minimum + inService.count) in service at most)"))
            }
            Swift.print("  cross-check, GET /v1/services/worker every \(pollMs) ms: desired above \(AutoscaleBench.minimum) at \(sec(poll.desiredRose)), "
                        + "first added in service at \(sec(poll.firstAddedReady)), \(AutoscaleBench.maximum) in service at \(sec(poll.allReady)) "
                        + "(\(poll.samples) answers)")
            if let withdrawn, let scaleDownSeconds {
                Swift.print("  then the \(withdrawn) calls still queued were withdrawn (DEL), the live ones kept: back to \(AutoscaleBench.minimum) by drain "
                            + "in \(sec(scaleDownSeconds)) (\(drains.started) drains, one at a time, each until its replica's live call, if any, ended: "
                            + "\(sec(drainSeconds.min()))–\(sec(drainSeconds.max())))")
            }
            let counter = counterCut.map { "\(Int($0))" } ?? "unknown"
            let cutDrains = drains.cut + drains.timedOut
            let verdict = cutDrains == 0 && (counterCut ?? 0) == 0 ? "0" : "\(Int(counterCut ?? 0)) or more, in \(cutDrains) drains"
            Swift.print("  calls cut: \(verdict) "
                        + "(supervise_drain_calls_cut_total: \(counter), over the \(counterUnits) worker units seen on /metrics during the scale-down; "
                        + "drain-cut and drain-timeout events in the daemon's log: \(cutDrains) of \(drains.done + drains.cut + drains.timedOut) drains ended)")
        }
    }

    /// One run: a daemon with the worker service, both replicas made busy, the burst, the scale-up, the backlog
    /// withdrawn, the scale-down; then the daemon's JSON log is read.
    private func measure(_ scenario: Scenario, directory: String, supervise: String, agentSim: String,
                         queue: CallQueueLocation) throws -> Outcome {
        _ = try runCommand("/usr/bin/redis-cli", ["-p", "\(queue.port)", "DEL", queue.list])
        // Replica N listens on base + N; a new replica takes the lowest free number, up to max + max_surge.
        let base = freePortBlock(Self.maximum + 1)[0] - 1
        let config = directory + "/supervise.yaml", socket = directory + "/control.sock", logPath = directory + "/daemon.log"
        try """
            defaults:
              stop_timeout: 5s
            units:
              worker:
                command: [\(agentSim), --port, "{port}", --name, "worker-{replica}",
                          --queue, "redis://127.0.0.1:\(queue.port)/0/\(queue.list)", --max-calls, "1"]
                port: \(base)
                replicas: \(Self.minimum)
                readiness: {http: "http://127.0.0.1:{port}/", interval: \(readinessInterval)}
                drain:
                  signal: SIGTERM
                  progress: {url: "http://127.0.0.1:{port}/worker", interval: 250ms}
                  timeout: \(Int(callSeconds) * 3)s
                autoscale:
                  min: \(Self.minimum)
                  max: \(Self.maximum)
                  queue: {redis: 127.0.0.1:\(queue.port), list: \(queue.list), target: \(Self.target)}
                  interval: \(interval)
            \(scenario.scaleUp.map { "      scale_up: \($0)\n" } ?? "")      scale_down: {stabilization: 5s}

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try launch(supervise, ["run", "--config", config, "--socket", socket, "--state-dir", directory + "/state",
                                            "--log-format", "json"], log: logPath)
        defer { stop(daemon) }
        let control = LocalHTTPClient(.unixSocket(socket), timeout: .seconds(10))
        func service() -> ServiceStatus? {
            guard let answer = try? control.request("GET", "/v1/services/worker"), answer.status == 200 else { return nil }
            return try? decode(ServiceStatus.self, answer.body)
        }
        func failure(_ why: String) -> BenchError { BenchError("\(why) (daemon log: \(logPath))") }
        try waitUntil(60, "worker-1 and worker-2 in service") {
            if !daemon.isRunning { throw failure("the daemon exited (status \(daemon.terminationStatus))") }
            return service()?.ready == Self.minimum
        }

        // Both replicas take one long call each, so the burst's backlog stays what the autoscaler must serve.
        try CallQueue.enqueue(CallQueue.jobs(count: Self.minimum, duration: callSeconds, idPrefix: "busy-"), to: queue)
        try waitUntil(10, "both replicas on a call") {
            guard (try? CallQueue.length(of: queue)) == 0 else { return false }
            return (1...Self.minimum).allSatisfy { activeJobs(port: base + $0) == 1 }
        }
        Thread.sleep(forTimeInterval: 1.5)  // a reading or two of the empty list: the count stays at min

        let poller = ServicePoller(socket: socket, everyMs: pollMs)
        defer { _ = poller.finish() }
        let connection = CallQueueConnection(location: queue)
        defer { connection.disconnect() }
        try connection.connect()
        let items = CallQueue.jobs(count: calls, duration: callSeconds).map { Array($0.json.utf8) }
        let before = wallClock()
        let length = try connection.push(items)
        let burst = wallClock()
        poller.markBurst(burst)

        // Up to 10 in service: one policy period and a margin.
        let deadline = Date().addingTimeInterval(45)
        while Date() < deadline {
            if !daemon.isRunning { throw failure("the daemon exited (status \(daemon.terminationStatus))") }
            if let s = service(), s.ready >= Self.maximum { break }
            usleep(100_000)
        }
        Thread.sleep(forTimeInterval: 0.3)
        let summary = poller.finish()

        // The callers of the calls still queued hang up; the live calls go on. The count falls to min after the
        // scale-down window, each surplus replica drained (its live call finishing) and then removed.
        let withdrawn = (try? connection.length()) ?? 0
        _ = try runCommand("/usr/bin/redis-cli", ["-p", "\(queue.port)", "DEL", queue.list])
        let downStart = wallClock()
        var cutByUnit: [String: Double] = [:]
        var scaleDown: Double?
        let downDeadline = Date().addingTimeInterval(callSeconds * 3 + 60)
        while Date() < downDeadline {
            if !daemon.isRunning { throw failure("the daemon exited (status \(daemon.terminationStatus))") }
            // A removed replica's series leave /metrics with it: keep the largest value each unit showed.
            for (unit, value) in cutCounters(control) { cutByUnit[unit] = max(cutByUnit[unit] ?? 0, value) }
            if let s = service(), s.desired == Self.minimum, s.replicas.count == Self.minimum, s.leaving.isEmpty {
                scaleDown = wallClock() - downStart
                break
            }
            usleep(250_000)
        }
        let final = cutCounters(control)
        for (unit, value) in final { cutByUnit[unit] = max(cutByUnit[unit] ?? 0, value) }
        stop(daemon)

        let log = DaemonLog(path: logPath)
        let steps = log.records.filter { $0.event == "autoscale" && $0.time >= burst - 0.01 }.compactMap { r -> (Double, Int, Int)? in
            guard let (from, to) = Self.counts(r.message), to > from else { return nil }
            return (r.time - burst, from, to)
        }.map { (at: $0.0, from: $0.1, to: $0.2) }
        var added: [Added] = []
        for r in log.records where r.event == "replica-added" && r.time >= burst - 0.01 {
            guard let unit = r.unit else { continue }
            let later = log.records.filter { $0.unit == unit && $0.time >= r.time }
            let spawned = later.first { $0.event == "start" }?.time
            let ready = later.first { $0.event == "healthy" && $0.message.hasPrefix("readiness") }?.time
            added.append(Added(unit: unit, added: r.time - burst, spawned: spawned.map { $0 - burst }, inService: ready.map { $0 - burst }))
        }
        let drainEvents = log.records.filter { ($0.unit ?? "").hasPrefix("worker-") }
        var drainSeconds: [Double] = []
        for start in drainEvents where start.event == "drain-start" {
            let end = drainEvents.first { $0.unit == start.unit && $0.time >= start.time && ["drain-done", "drain-cut", "drain-timeout"].contains($0.event) }
            if let end { drainSeconds.append(end.time - start.time) }
        }
        return Outcome(
            rpushMs: (burst - before) * 1000, lengthAfterBurst: length, steps: steps, added: added, poll: summary, pollMs: pollMs,
            withdrawn: withdrawn, scaleDownSeconds: scaleDown,
            drains: (drainEvents.filter { $0.event == "drain-start" }.count, drainEvents.filter { $0.event == "drain-done" }.count,
                     drainEvents.filter { $0.event == "drain-cut" }.count, drainEvents.filter { $0.event == "drain-timeout" }.count),
            drainSeconds: drainSeconds,
            counterCut: cutByUnit.isEmpty ? nil : cutByUnit.values.reduce(0, +), counterUnits: cutByUnit.count)
    }

    /// `worker: 2 → 6 replicas: …` -> (2, 6).
    static func counts(_ message: String) -> (Int, Int)? {
        guard let colon = message.firstIndex(of: ":") else { return nil }
        let rest = message[message.index(after: colon)...].split(separator: " ")
        guard rest.count >= 3, rest[1] == "→", let from = Int(rest[0]), let to = Int(rest[2]) else { return nil }
        return (from, to)
    }
}

/// `active_jobs` of an agent-sim's `GET /worker` (absent: 0), or nil when it does not answer.
private func activeJobs(port: Int) -> Int? {
    guard let answer = try? LocalHTTPClient(.loopback(port: port), timeout: .seconds(2)).request("GET", "/worker"), answer.status == 200,
          let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any] else { return nil }
    return (object["active_jobs"] as? Int) ?? 0
}

/// `supervise_drain_calls_cut_total` of each worker unit the daemon's `/metrics` (on the control socket) lists now.
private func cutCounters(_ control: LocalHTTPClient) -> [String: Double] {
    guard let answer = try? control.request("GET", "/metrics"), answer.status == 200 else { return [:] }
    var found: [String: Double] = [:]
    for line in answer.text.split(separator: "\n") where line.hasPrefix("supervise_drain_calls_cut_total{") {
        guard let open = line.range(of: "unit=\""), let close = line[open.upperBound...].firstIndex(of: "\""),
              let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
        let unit = String(line[open.upperBound..<close])
        if unit.hasPrefix("worker-") { found[unit] = value }
    }
    return found
}

/// Seconds since the epoch, CLOCK_REALTIME: the clock of the daemon's log times.
func wallClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The records of a daemon's `--log-format json` log that carry an event.
struct DaemonLog {
    struct Record {
        var time: Double
        var event: String
        var unit: String?
        var message: String
    }

    let records: [Record]

    init(path: String) {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        records = text.split(separator: "\n").compactMap { line in
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String],
                  let event = o["event"], let time = o["time"].flatMap(iso.date(from:)) else { return nil }
            return Record(time: time.timeIntervalSince1970, event: event, unit: o["unit"], message: o["message"] ?? "")
        }
    }
}

/// Polls `GET /v1/services/worker` on a thread of its own and keeps when the desired count first rose above the
/// minimum, when the first added replica and when all of them were in service, relative to the burst.
final class ServicePoller: Sendable {
    /// The times seen, in seconds after the burst.
    struct Summary: Sendable {
        var desiredRose: Double?
        var firstAddedReady: Double?
        var allReady: Double?
        var samples = 0
    }

    private struct State {
        var burst: Double?
        var summary = Summary()
    }

    private let state = Mutex(State())
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(socket: String, everyMs: Int) {
        let client = LocalHTTPClient(.unixSocket(socket), timeout: .seconds(5))
        Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                if let answer = try? client.request("GET", "/v1/services/worker"), answer.status == 200,
                   let s = try? decode(ServiceStatus.self, answer.body) {
                    let now = wallClock()
                    state.withLock { st in
                        guard let burst = st.burst else { return }
                        st.summary.samples += 1
                        let at = now - burst
                        if st.summary.desiredRose == nil, s.desired > AutoscaleBench.minimum { st.summary.desiredRose = at }
                        if st.summary.firstAddedReady == nil, s.ready > AutoscaleBench.minimum { st.summary.firstAddedReady = at }
                        if st.summary.allReady == nil, s.ready >= AutoscaleBench.maximum { st.summary.allReady = at }
                    }
                }
                usleep(UInt32(everyMs) * 1000)
            }
            finished.signal()
        }.start()
    }

    /// Times count from `burst` on; answers before it are not kept.
    func markBurst(_ burst: Double) { state.withLock { $0.burst = burst } }

    /// Stops polling (once the request under way ends) and returns what was seen. Safe to call again.
    func finish() -> Summary {
        if !stopped.exchange(true, ordering: .acquiringAndReleasing) { finished.wait() }
        return state.withLock { $0.summary }
    }
}
