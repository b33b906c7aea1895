import Foundation
import SuperviseCore
import SuperviseProbes
import SuperviseProcess
import Synchronization
import Testing

// The probe engine needs a `ProcessSpawner`, hence a `Reaper`: a thread that reaps *every* child of
// its process with `waitpid(-1)` and makes the process a child subreaper. In the shared test process
// that would steal the exit statuses other suites read from their `TestProcess`es. So each engine
// runs inside an exit test (a child process of its own); agent-sim targets are started and stopped
// by the parent test (on every path), and only their ports go into the child. Inside the child,
// `check` stands in for `#expect` so that failures reach the parent with their details.

/// Every result the engine reported, with when it arrived.
private final class ProbeResultLog: Sendable {
    struct Record: Sendable {
        var key: ProbeKey
        var result: ProbeResult
        var at: ContinuousClock.Instant
    }

    private let records = Mutex<[Record]>([])

    func append(_ key: ProbeKey, _ result: ProbeResult) {
        records.withLock { $0.append(Record(key: key, result: result, at: .now)) }
    }

    func results(_ key: ProbeKey) -> [ProbeResult] {
        records.withLock { $0.filter { $0.key == key }.map(\.result) }
    }

    func count(_ key: ProbeKey) -> Int {
        records.withLock { $0.count(where: { $0.key == key }) }
    }

    var all: [Record] { records.withLock { $0 } }
}

/// An engine with a fresh reaper and spawner; only for use inside an exit test's child process.
private func makeProbeEngine() -> (ProbeEngine, ProbeResultLog) {
    let spawner = ProcessSpawner(reaper: Reaper())
    let log = ProbeResultLog()
    let engine = ProbeEngine(spawner: spawner) { key, result in log.append(key, result) }
    return (engine, log)
}

private func probeKey(_ unit: String, _ role: ProbeRole = .liveness, generation: UInt64 = 1) -> ProbeKey {
    ProbeKey(unit: unit, role: role, generation: generation)
}

private func httpProbe(port: Int, path: String = "/", statusMin: Int = 200, statusMax: Int = 399,
                       bodyContains: String? = nil, interval: Duration = .milliseconds(100),
                       timeout: Duration = .seconds(1)) -> ProbeSpec {
    ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:\(port)\(path)", statusMin: statusMin, statusMax: statusMax,
                                     bodyContains: bodyContains)),
              interval: interval, timeout: timeout)
}

/// An agent-sim started by the parent test, waited for until it listens.
private func startProbeTarget(_ arguments: [String] = [], name: String) throws -> (TestProcess, Int) {
    try #require(FileManager.default.isExecutableFile(atPath: Binaries.agentSim), "agent-sim not built at \(Binaries.agentSim)")
    let port = freeLoopbackPort()
    let process = try TestProcess(Binaries.agentSim, ["--port", "\(port)", "--name", name] + arguments)
    let listening = process.waitForOutput(timeout: 15) { $0.contains("listening on 127.0.0.1:\(port)") }
    if !listening { process.stop() }
    try #require(listening, "agent-sim did not start listening; output:\n\(process.output)")
    return (process, port)
}

/// Pids of live processes whose argv contains `marker`.
private func processes(withArgument marker: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        let argv = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return argv.contains(where: { $0.contains(marker) }) ? pid : nil
    }
}

/// Open file descriptors of this process and what each refers to (`socket:[123]`, `pipe:[45]`, a path).
private func openDescriptors() -> [String: String] {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return Dictionary(uniqueKeysWithValues: fds.compactMap { fd in
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")).map { (fd, $0) }
    })
}

/// Sockets and pipes open now that were not open in `before` (a leaked connection or wakeup pair).
private func leakedSocketsAndPipes(since before: [String: String]) -> [String] {
    openDescriptors().filter { fd, target in
        before[fd] != target && (target.hasPrefix("socket:") || target.hasPrefix("pipe:"))
    }.map { "\($0.key) -> \($0.value)" }.sorted()
}

@Suite(.serialized)
struct ProbeEngineTests {
    @Test func httpProbeFollowsHealthStatusRangeAndBody() async throws {
        let (sim, port) = try startProbeTarget(name: "probe-http")
        defer { sim.stop() }

        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) { [port = port as Int] in
            let (engine, log) = makeProbeEngine()
            defer { engine.shutdown() }
            let health = probeKey("web")
            engine.add(health, spec: httpProbe(port: port), environment: [:], workingDirectory: nil)

            check(eventually(timeout: 5) { log.count(health) >= 3 })
            let first = log.results(health)
            check(first.allSatisfy { $0.healthy && $0.failure == nil }, "\(first)")
            check(first.allSatisfy { $0.latency < .milliseconds(200) }, "\(first.map(\.latency))")

            // Unhealthy: 503 with its body as the reason.
            check(httpRequest("POST", port: port, path: "/control/unhealthy")?.status == 200)
            check(eventually(timeout: 5) { log.results(health).last?.failure == "HTTP 503: unhealthy" })
            check(log.results(health).last?.healthy == false)

            // A status range that accepts 503 is healthy; bodyContains is checked on 503 too.
            let accepts503 = probeKey("accepts-503")
            engine.add(accepts503, spec: httpProbe(port: port, statusMin: 500, statusMax: 503, bodyContains: "unhealthy"),
                       environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(accepts503) >= 2 })
            check(log.results(accepts503).allSatisfy { $0.healthy }, "\(log.results(accepts503))")
            engine.remove(accepts503)

            // Healthy again.
            check(httpRequest("POST", port: port, path: "/control/healthy")?.status == 200)
            let before = log.count(health)
            check(eventually(timeout: 5) { log.count(health) >= before + 2 && log.results(health).last?.healthy == true })

            // bodyContains: "OK" is there, "ready" is not.
            let hasOK = probeKey("has-ok"), hasReady = probeKey("has-ready")
            engine.add(hasOK, spec: httpProbe(port: port, bodyContains: "OK"), environment: [:], workingDirectory: nil)
            engine.add(hasReady, spec: httpProbe(port: port, bodyContains: "ready"), environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(hasOK) >= 2 && log.count(hasReady) >= 2 })
            check(log.results(hasOK).allSatisfy { $0.healthy })
            check(log.results(hasReady).allSatisfy { !$0.healthy && $0.failure == "body does not contain \"ready\"" },
                    "\(log.results(hasReady))")

            // A path that answers 404 outside the default range.
            let missing = probeKey("missing")
            engine.add(missing, spec: httpProbe(port: port, path: "/nope"), environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(missing) >= 1 })
            check(log.results(missing).first?.failure == "HTTP 404: not found: /nope")
        }
        reportChecks(of: child)
    }

    @Test func refusedConnectionsNameTheTarget() async throws {
        let port = freeLoopbackPort() // nothing listens here
        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) { [port = port as Int] in
            let (engine, log) = makeProbeEngine()
            defer { engine.shutdown() }
            let http = probeKey("http-refused"), tcp = probeKey("tcp-refused")
            engine.add(http, spec: httpProbe(port: port), environment: [:], workingDirectory: nil)
            engine.add(tcp, spec: ProbeSpec(check: .tcp(host: "127.0.0.1", port: port), interval: .milliseconds(100)),
                       environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(http) >= 2 && log.count(tcp) >= 2 })
            for key in [http, tcp] {
                let results = log.results(key)
                check(results.allSatisfy { !$0.healthy && $0.failure == "connection refused (127.0.0.1:\(port))" },
                        "\(results)")
                check(results.allSatisfy { $0.latency < .milliseconds(200) })
            }

            // DNS failures say which host.
            let dns = probeKey("dns")
            engine.add(dns, spec: ProbeSpec(check: .http(HTTPCheck(url: "http://no-such-host.invalid/")),
                                            interval: .milliseconds(200), timeout: .seconds(2)),
                       environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(dns) >= 1 })
            check(log.results(dns).first?.failure == "cannot resolve host no-such-host.invalid", "\(log.results(dns))")
        }
        reportChecks(of: child)
    }

    @Test func hungServerCostsOnlyItsTimeout() async throws {
        let (sim, port) = try startProbeTarget(["--hang"], name: "probe-hung")
        defer { sim.stop() }

        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) { [port = port as Int] in
            let (engine, log) = makeProbeEngine()
            defer { engine.shutdown() }
            let hung = probeKey("hung"), tcp = probeKey("hung-tcp")
            engine.add(hung, spec: httpProbe(port: port, interval: .milliseconds(400), timeout: .milliseconds(300)),
                       environment: [:], workingDirectory: nil)
            // It still accepts connections, so a TCP probe is healthy.
            engine.add(tcp, spec: ProbeSpec(check: .tcp(host: "127.0.0.1", port: port), interval: .milliseconds(100)),
                       environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(hung) >= 3 && log.count(tcp) >= 3 })
            let results = log.results(hung)
            check(results.allSatisfy { !$0.healthy && $0.failure == "timeout after 300 ms" }, "\(results)")
            check(results.allSatisfy { $0.latency >= .milliseconds(290) && $0.latency < .milliseconds(500) },
                    "\(results.map(\.latency))")
            check(log.results(tcp).allSatisfy { $0.healthy }, "\(log.results(tcp))")
            check(engine.scheduleStats().skipped == 0)
        }
        reportChecks(of: child)
    }

    @Test func tcpProbeConnectsToAgentSim() async throws {
        let (sim, port) = try startProbeTarget(name: "probe-tcp")
        defer { sim.stop() }

        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) { [port = port as Int] in
            let (engine, log) = makeProbeEngine()
            defer { engine.shutdown() }
            let tcp = probeKey("tcp")
            engine.add(tcp, spec: ProbeSpec(check: .tcp(host: "127.0.0.1", port: port), interval: .milliseconds(100)),
                       environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(tcp) >= 3 })
            check(log.results(tcp).allSatisfy { $0.healthy && $0.latency < .milliseconds(200) }, "\(log.results(tcp))")
        }
        reportChecks(of: child)
        // Stopped: now refused.
        sim.stop()
        let refusedChild = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) { [port = port as Int] in
            let (engine, log) = makeProbeEngine()
            defer { engine.shutdown() }
            let tcp = probeKey("tcp")
            engine.add(tcp, spec: ProbeSpec(check: .tcp(host: "127.0.0.1", port: port), interval: .milliseconds(100)),
                       environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(tcp) >= 1 })
            check(log.results(tcp).first?.failure == "connection refused (127.0.0.1:\(port))", "\(log.results(tcp))")
        }
        reportChecks(of: refusedChild)
    }

    /// A probe with `networkNamespacePid` reaches a server listening on the loopback of another
    /// network namespace (as in a `network_mode: none` container), which the host cannot reach.
    @Test func probesConnectInsideAnotherNetworkNamespace() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Binaries.agentSim))
        let port = freeLoopbackPort()
        // A private network namespace with only its loopback up, made with unshare(1) and ip(8).
        let sim = try TestProcess("/usr/bin/unshare", ["--net", "/bin/bash", "-c",
            "ip link set lo up && exec \(Binaries.agentSim) --port \(port) --name netns"])
        defer { sim.stop() }
        let listening = sim.waitForOutput(timeout: 15) { $0.contains("listening on 127.0.0.1:\(port)") }
        try #require(listening, "agent-sim in its namespace did not start: \(sim.output)")
        let pid = sim.pid

        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) { [port = port as Int, pid = pid as Int32] in
            let (engine, log) = makeProbeEngine()
            defer { engine.shutdown() }
            var inside = httpProbe(port: port, path: "/worker", bodyContains: "\"name\":\"netns\"")
            inside.networkNamespacePid = pid
            let host = httpProbe(port: port)
            engine.add(probeKey("inside"), spec: inside, environment: [:], workingDirectory: nil)
            engine.add(probeKey("host"), spec: host, environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(probeKey("inside")) >= 3 && log.count(probeKey("host")) >= 1 })
            check(log.results(probeKey("inside")).allSatisfy(\.healthy), "\(log.results(probeKey("inside")))")
            check(log.results(probeKey("host")).allSatisfy { $0.failure == "connection refused (127.0.0.1:\(port))" },
                  "\(log.results(probeKey("host")))")
            // A namespace that is gone: a clear failure, and the engine's own network is untouched.
            var gone = inside
            gone.networkNamespacePid = 999_999_999
            engine.add(probeKey("gone"), spec: gone, environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(probeKey("gone")) >= 1 })
            check(log.results(probeKey("gone")).allSatisfy { !$0.healthy }, "\(log.results(probeKey("gone")))")
            check(eventually(timeout: 5) { log.count(probeKey("host")) >= 4 })
            check(log.results(probeKey("host")).last?.failure == "connection refused (127.0.0.1:\(port))")
        }
        reportChecks(of: child)
    }

    // Exec tests keep their spawn count low: every spawn arms two Dispatch read sources
    // (SuperviseProcess's OutputCapture), and rapid arm/teardown can crash libdispatch's epoll loop
    // on Linux (swift-corelibs-libdispatch#949; reproduced here with the spawner alone).
    @Test func execProbesReportExitCodesAndKillOnTimeout() async throws {
        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let (engine, log) = makeProbeEngine()
            defer { engine.shutdown() }
            let ok = probeKey("exec-ok"), boom = probeKey("exec-boom"), signaled = probeKey("exec-signaled")
            let missing = probeKey("exec-missing"), env = probeKey("exec-env")
            let quick = { (command: [String]) in ProbeSpec(check: .exec(command: command), interval: .milliseconds(200)) }
            engine.add(ok, spec: quick(["sh", "-c", "exit 0"]), environment: [:], workingDirectory: nil)
            engine.add(boom, spec: quick(["sh", "-c", "echo boom; exit 3"]), environment: [:], workingDirectory: nil)
            engine.add(signaled, spec: quick(["sh", "-c", "echo dying >&2; kill -TERM $$"]), environment: [:], workingDirectory: nil)
            engine.add(missing, spec: quick(["no-such-probe-command"]), environment: [:], workingDirectory: nil)
            engine.add(env, spec: quick(["sh", "-c", "test \"$PROBE_VAR\" = yes && test \"$PWD\" = /tmp"]),
                       environment: ["PROBE_VAR": "yes"], workingDirectory: "/tmp")
            check(eventually(timeout: 5) { [ok, boom, signaled, missing, env].allSatisfy { log.count($0) >= 2 } })
            check(log.results(ok).allSatisfy { $0.healthy }, "\(log.results(ok))")
            check(log.results(env).allSatisfy { $0.healthy }, "\(log.results(env))")
            check(log.results(boom).allSatisfy { !$0.healthy && $0.failure == "exit code 3: boom" }, "\(log.results(boom))")
            check(log.results(signaled).allSatisfy { !$0.healthy && $0.failure == "killed by SIGTERM: dying" },
                    "\(log.results(signaled))")
            check(log.results(missing).allSatisfy { !$0.healthy && $0.failure?.hasPrefix("command not found: \"no-such-probe-command\"") == true },
                    "\(log.results(missing))")

            // A hanging command is killed with its process group at the timeout and is gone when reported.
            let marker = "probe-marker-\(UInt32.random(in: 0...UInt32.max))"
            let sleepArgument = "30.\(UInt32.random(in: 100_000...999_999))"
            let hang = probeKey("exec-hang")
            engine.add(hang, spec: ProbeSpec(check: .exec(command: ["sh", "-c", "sleep \(sleepArgument); echo done", marker]),
                                             interval: .seconds(2), timeout: .milliseconds(300)),
                       environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { !processes(withArgument: marker).isEmpty && !processes(withArgument: sleepArgument).isEmpty })
            check(eventually(timeout: 5) { log.count(hang) >= 1 })
            guard let result = log.results(hang).first else { return check(false, "no result for the hanging exec probe") }
            check(!result.healthy && result.failure == "timeout after 300 ms", "\(result)")
            check(result.latency >= .milliseconds(290) && result.latency < .milliseconds(600), "\(result.latency)")
            // Reported after the reap: the shell is gone, and its sleep (same group) right after.
            check(processes(withArgument: marker).isEmpty)
            check(eventually(timeout: 1) { processes(withArgument: sleepArgument).isEmpty })
            engine.remove(hang)
        }
        reportChecks(of: child)
    }

    @Test func removeStopsResults() async throws {
        let (sim, port) = try startProbeTarget(name: "probe-remove")
        defer { sim.stop() }

        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) { [port = port as Int] in
            let descriptorsBefore = openDescriptors()
            let (engine, log) = makeProbeEngine()
            let http = probeKey("removed-http"), exec = probeKey("removed-exec"), kept = probeKey("kept")
            engine.add(http, spec: httpProbe(port: port, interval: .milliseconds(20)), environment: [:], workingDirectory: nil)
            // Mostly in flight (200 ms of every 250 ms), so the remove below usually cancels a run.
            let marker = "probe-remove-marker-\(UInt32.random(in: 0...UInt32.max))"
            engine.add(exec, spec: ProbeSpec(check: .exec(command: ["sh", "-c", "sleep 0.2; echo ok", marker]),
                                             interval: .milliseconds(250)),
                       environment: [:], workingDirectory: nil)
            engine.add(kept, spec: httpProbe(port: port, interval: .milliseconds(50)), environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(http) >= 5 && log.count(exec) >= 2 })

            engine.remove(http)
            engine.remove(exec)
            let (httpCount, execCount, keptCount) = (log.count(http), log.count(exec), log.count(kept))
            usleep(500_000)
            check(log.count(http) == httpCount)
            check(log.count(exec) == execCount)
            check(processes(withArgument: marker).isEmpty, "a cancelled exec run is killed with its group")
            check(log.count(kept) > keptCount, "other probes go on")

            // Re-adding the same key starts it again; shutdown stops everything.
            engine.add(http, spec: httpProbe(port: port, interval: .milliseconds(20)), environment: [:], workingDirectory: nil)
            check(eventually(timeout: 5) { log.count(http) >= httpCount + 3 })
            engine.shutdown()
            let total = log.all.count
            usleep(300_000)
            check(log.all.count == total)
            engine.shutdown() // idempotent
            // Every socket and pipe is released (probe connections, the multi handle's wakeup pair,
            // exec probes' output pipes). The spawner's output pump keeps its one epoll descriptor for
            // the life of the process, and libraries loaded with libcurl may keep a file open.
            check(eventually(timeout: 2) { leakedSocketsAndPipes(since: descriptorsBefore).isEmpty },
                  "left open after shutdown: \(leakedSocketsAndPipes(since: descriptorsBefore))")
        }
        reportChecks(of: child)
    }

    @Test func threeHundredProbesStayOnScheduleBesideAHungOne() async throws {
        let (healthySim, healthyPort) = try startProbeTarget(name: "probe-scale")
        defer { healthySim.stop() }
        let (hungSim, hungPort) = try startProbeTarget(["--hang"], name: "probe-scale-hung")
        defer { hungSim.stop() }

        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) { [healthyPort = healthyPort as Int, hungPort = hungPort as Int] in
            let (engine, log) = makeProbeEngine()
            defer { engine.shutdown() }
            let keys = (0..<300).map { probeKey("unit-\($0)") }
            let hung = probeKey("hung")
            let started = ContinuousClock.now
            for key in keys {
                engine.add(key, spec: httpProbe(port: healthyPort, interval: .seconds(1), timeout: .milliseconds(900)),
                           environment: [:], workingDirectory: nil)
            }
            engine.add(hung, spec: httpProbe(port: hungPort, interval: .seconds(1), timeout: .milliseconds(900)),
                       environment: [:], workingDirectory: nil)
            usleep(5_200_000)
            let stats = engine.scheduleStats()
            let records = log.all
            let elapsed = ContinuousClock.now - started

            var counts: [String: Int] = [:]
            var unhealthy = 0
            var latencies: [Duration] = []
            for record in records where record.key != hung {
                counts[record.key.unit, default: 0] += 1
                if !record.result.healthy { unhealthy += 1 }
                latencies.append(record.result.latency)
            }
            latencies.sort()
            let hungResults = log.results(hung)
            let fewest = keys.map { counts[$0.unit] ?? 0 }.min() ?? 0
            print("scale: \(stats) over \(elapsed); results=\(records.count) fewest per healthy probe=\(fewest) "
                  + "unhealthy=\(unhealthy) latency p50=\(latencies.isEmpty ? .zero : latencies[latencies.count / 2]) "
                  + "p99=\(latencies.isEmpty ? .zero : latencies[latencies.count * 99 / 100]) hung results=\(hungResults.count)")

            check(stats.lateMaxMs < 1000, "\(stats)")
            check(stats.lateP99Ms < 50, "\(stats)")
            check(stats.skipped == 0, "\(stats)")
            check(stats.runs >= 301 * 5, "\(stats)")
            check(fewest >= 3)
            check(unhealthy == 0)
            check(hungResults.count >= 3)
            check(hungResults.allSatisfy { $0.failure == "timeout after 900 ms" }, "\(hungResults)")
        }
        reportChecks(of: child)
    }
}
