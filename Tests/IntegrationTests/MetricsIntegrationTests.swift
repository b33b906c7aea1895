import Foundation
import SuperviseBuildInfo
import SuperviseControl
import SuperviseCore
import Testing

/// `GET /metrics` of a real daemon: checked by `promtool check metrics`, scraped by a real
/// Prometheus server (Debian's package, on loopback, started by the test) and queried through its
/// HTTP API. The daemon supervises two agent-sim workers with a drain progress URL (live calls),
/// a unit that crashes (restarts by reason) and a sleeper.
@Suite(.serialized) struct MetricsIntegrationTests {
    final class Fixture: @unchecked Sendable {
        let ports: [Int]
        let metricsPort: Int
        let daemon: DaemonHarness

        init() throws {
            let block = loopbackPortBlock(3)
            ports = Array(block.prefix(2))
            metricsPort = block[2]
            var lines = ["metrics: {listen: \"127.0.0.1:\(metricsPort)\"}", "units:"]
            for (i, port) in ports.enumerated() {
                lines += [
                    "  worker-\(i + 1):",
                    "    command: [\(Binaries.agentSim), --port, \"\(port)\", --name, worker-\(i + 1)]",
                    "    stop_timeout: 3s",
                    "    liveness: {http: \"http://127.0.0.1:\(port)/\", interval: 200ms}",
                    "    drain: {progress: {url: \"http://127.0.0.1:\(port)/worker\", interval: 200ms}, timeout: 10s}",
                ]
            }
            lines += [
                "  crasher:",
                "    command: [/bin/sh, -c, \"sleep 0.2; exit 3\"]",
                "    restart: {policy: always, backoff: {initial: 50ms, max: 100ms, jitter: 0}, start_limit: {burst: 1000, interval: 10s}}",
                "  sleeper:",
                "    command: [/bin/sleep, \"1000\"]",
            ]
            daemon = try DaemonHarness(config: lines.joined(separator: "\n") + "\n")
        }

        /// Waits until the worker runs and its agent-sim answers on its port (running is not yet
        /// listening); returns its pid.
        func serving(_ i: Int) -> Int32? {
            guard let pid = daemon.waitForRunning("worker-\(i)", timeout: 15) else { return nil }
            return eventually(timeout: 15) { WorkerSnapshot.fetch(port: ports[i - 1])?.pid == pid } ? pid : nil
        }

        deinit { daemon.stop() }
    }

    @Test("the exposition passes promtool check metrics and has the unit, probe, live-call and process series")
    func exposition() throws {
        let f = try Fixture()
        #expect(f.serving(1) != nil && f.serving(2) != nil && f.daemon.waitForRunning("sleeper") != nil)
        let calls = LoopbackCalls()
        defer { calls.stop() }
        for _ in 0..<2 {
            let call = calls.place(on: LoopbackWorker(name: "worker-1", port: f.ports[0]), duration: 4)
            #expect(call.accepted, "\(call.outcome)")
        }
        var text = ""
        // Live calls are read at the progress interval; restarts of the crasher accumulate.
        #expect(eventually(timeout: 10) {
            text = (try? f.daemon.metrics()) ?? ""
            return metricSample(text, "supervise_unit_live_calls", ["unit": "worker-1", "service": "worker"]) == 2
                && (metricSample(text, "supervise_unit_restarts_total", ["unit": "crasher", "reason": "crash"]) ?? 0) >= 2
        }, "scrape:\n\(text)")
        let check = promtoolCheckMetrics(text)
        #expect(check.ok, "promtool check metrics:\n\(check.output)")

        #expect(metricSample(text, "supervise_unit_live_calls", ["unit": "worker-2", "service": "worker"]) == 0)
        #expect(metricSample(text, "supervise_service_live_calls", ["service": "worker"]) == 2)
        #expect(metricSample(text, "supervise_service_ready_replicas", ["service": "worker"]) == 2)
        #expect(metricSample(text, "supervise_unit_up", ["unit": "sleeper"]) == 1)
        #expect(metricSample(text, "supervise_unit_state", ["unit": "sleeper", "state": "running"]) == 1)
        #expect(metricSample(text, "supervise_unit_state", ["unit": "sleeper", "state": "failed"]) == nil, "only the current state has a series")
        #expect(metricSample(text, "supervise_probe_healthy", ["unit": "worker-1", "role": "liveness"]) == 1)
        #expect((metricSample(text, "supervise_probe_duration_seconds_count", ["unit": "worker-1", "role": "liveness"]) ?? 0) >= 1)
        // Counters exist at 0 before anything happens, so increase() sees the first one.
        #expect(metricSample(text, "supervise_unit_restarts_total", ["unit": "sleeper", "reason": "crash"]) == 0)
        #expect(metricSample(text, "supervise_unit_start_limit_hits_total", ["unit": "sleeper"]) == 0)
        #expect(metricSample(text, "supervise_drain_calls_cut_total", ["unit": "worker-1"]) == 0)
        #expect(metricSample(text, "supervise_unit_processes", ["unit": "sleeper"]) == 1)
        #expect(metricSample(text, "supervise_build_info", ["version": superviseVersion, "commit": BuildInfo.commit]) == 1)
        #expect((metricSample(text, "process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect((metricSample(text, "process_open_fds") ?? 0) > 3)
        #expect(!text.contains("supervise_docker_connected"), "no container units, no Docker gauge")
        #expect((metricSample(text, "supervise_events_total", ["level": "info"]) ?? 0) > 0)
    }

    @Test("the TCP listener serves /metrics only; a probe failure counts by reason; a unit removed by a reload loses its series")
    func listenerAndReload() throws {
        let f = try Fixture()
        let pid = try #require(f.serving(2))
        let scraped = try #require(httpRequest("GET", port: f.metricsPort, path: "/metrics", timeout: 5))
        #expect(scraped.status == 200 && scraped.body.contains("supervise_unit_up{unit=\"worker-2\"}"))
        let refused = try #require(httpRequest("POST", port: f.metricsPort, path: "/v1/units/worker-2/stop", timeout: 5))
        #expect(refused.status == 404, "\(refused)")
        #expect(try f.daemon.unit("worker-2")?.state == "running", "the metrics listener changed nothing")

        // worker-2's liveness fails, counted by reason.
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        var text = ""
        // A stopped process's socket still takes connections (the kernel's backlog): its probes
        // time out.
        #expect(eventually(timeout: 20) {
            text = (try? f.daemon.metrics()) ?? ""
            return (metricSample(text, "supervise_probe_failures_total", ["unit": "worker-2", "role": "liveness", "reason": "timeout"]) ?? 0) >= 1
        }, "failures: \(text.split(separator: "\n").filter { $0.contains("probe_failures") || $0.contains("worker-2") })")
        kill(pid, SIGCONT)

        // Reload without worker-2 and the crasher: their series go.
        let config = try String(contentsOfFile: f.daemon.configPath, encoding: .utf8)
        var kept: [Substring] = []
        var skipping = false
        for line in config.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  ") && !line.hasPrefix("    ") { skipping = line.hasPrefix("  worker-2:") || line.hasPrefix("  crasher:") }
            if !skipping { kept.append(line) }
        }
        try kept.joined(separator: "\n").write(toFile: f.daemon.configPath, atomically: true, encoding: .utf8)
        kill(f.daemon.pid, SIGHUP)
        #expect(eventually(timeout: 15) {
            text = (try? f.daemon.metrics()) ?? ""
            return !text.contains("unit=\"worker-2\"") && !text.contains("unit=\"crasher\"") && text.contains("unit=\"worker-1\"")
        }, "scrape:\n\(text)")
        #expect(metricSample(text, "supervise_reloads_total", ["result": "success"]) == 1)
        #expect(promtoolCheckMetrics(text).ok)
    }

    @Test("a real Prometheus scrapes the daemon's listener and its API returns the series")
    func prometheusScrapes() async throws {
        let f = try Fixture()
        #expect(f.daemon.waitForRunning("worker-1") != nil)
        try await withTestPrometheus(job: "supervise", targets: ["127.0.0.1:\(f.metricsPort)"]) { prometheus in
            let up = try await prometheus.waitForSeries(#"up{job="supervise"} == 1"#, timeout: 40)
            #expect(up.count == 1)
            let running = try await prometheus.waitForSeries(#"supervise_unit_state{state="running"} == 1"#)
            #expect(Set(running.compactMap { $0.labels["unit"] }).isSuperset(of: ["worker-1", "worker-2", "sleeper"]))
            let restarts = try await prometheus.waitForSeries(#"supervise_unit_restarts_total{unit="crasher",reason="crash"} > 0"#)
            #expect(restarts.first?.labels["reason"] == "crash")
            let ready = try await prometheus.waitForSeries(#"supervise_service_ready_replicas{service="worker"}"#)
            #expect(ready.first?.value == 2)
            let info = try await prometheus.waitForSeries("supervise_build_info")
            #expect(info.first?.labels["version"] == superviseVersion)
            #expect(info.first?.labels["commit"] == BuildInfo.commit)
        }
    }
}
