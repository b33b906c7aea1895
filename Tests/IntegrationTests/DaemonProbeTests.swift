import Foundation
import SuperviseCore
import Testing

/// Health probes through the daemon, against real agent-sim workers on loopback.
@Suite(.serialized) struct DaemonProbeTests {
    static func worker(_ name: String, port: Int, extra: String = "", probes: String) -> String {
        """
          \(name):
            command: [\(Binaries.agentSim), --port, "\(port)", --name, \(name)\(extra)]
            restart: {policy: always, backoff: {initial: 100ms, jitter: 0}}
            stop_timeout: 2s
        \(probes)
        """
    }

    @Test func aHealthyWorkerStaysUpAndAnUnhealthyOneIsRestartedAfterExactlyTheThreshold() throws {
        let port = freeLoopbackPort()
        let daemon = try DaemonHarness(config: "units:\n" + Self.worker("w", port: port, probes: """
                liveness:
                  http: {url: "http://127.0.0.1:\(port)/"}
                  interval: 200ms
                  timeout: 500ms
                  failure_threshold: 3
            """))
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("w"))
        #expect(eventually(timeout: 5) { (try? daemon.unit("w"))?.health == "healthy" })
        Thread.sleep(forTimeInterval: 1.5)
        var status = try #require(try daemon.unit("w"))
        #expect(status.pid == pid && status.restarts == 0 && status.health == "healthy")
        #expect((status.probes.first?.lastLatencyMs ?? 999) < 100)

        let turned = Date()
        #expect(httpRequest("POST", port: port, path: "/control/unhealthy")?.status == 200)
        let newPid = try #require(daemon.waitForRunning("w", notPid: pid))
        #expect(newPid != pid)
        // Three failures at 200 ms intervals: the restart comes after ~0.4-0.6 s, well under 3 × 200 ms + slack.
        let elapsed = Date().timeIntervalSince(turned)
        #expect(elapsed < 1.5, "took \(elapsed)s")
        let out = daemon.output
        #expect(out.contains("w: liveness probe failed 3 times in a row (HTTP 503: unhealthy)"))
        #expect(!out.contains("liveness probe failed 2 times"))
        status = try #require(try daemon.unit("w"))
        #expect(status.restarts == 1)
        #expect(status.lastExit == "0", "agent-sim drains and exits 0 on SIGTERM")
        #expect(out.contains("w: restarting now (unhealthy: HTTP 503: unhealthy)"))
        #expect(eventually(timeout: 5) { (try? daemon.unit("w"))?.health == "healthy" })
    }

    @Test func aHungWorkerIsDetectedByTimeoutAndRestarted() throws {
        let port = freeLoopbackPort()
        let daemon = try DaemonHarness(config: "units:\n" + Self.worker("hung", port: port, probes: """
                liveness:
                  http: {url: "http://127.0.0.1:\(port)/"}
                  interval: 300ms
                  timeout: 250ms
                  failure_threshold: 2
            """))
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("hung"))
        #expect(eventually(timeout: 5) { (try? daemon.unit("hung"))?.health == "healthy" })
        #expect(httpRequest("POST", port: port, path: "/control/hang")?.status == 200)
        #expect(daemon.waitForRunning("hung", notPid: pid) != nil)
        #expect(daemon.output.contains("hung: liveness probe failed 2 times in a row (timeout after 250 ms)"))
    }

    @Test func connectionRefusedIsAFailureWithThatReason() throws {
        let closed = freeLoopbackPort()
        let daemon = try DaemonHarness(config: """
            units:
              deaf:
                command: [sleep, "1000"]
                restart: {policy: on-failure, start_limit: {burst: 2, interval: 60s}}
                liveness:
                  tcp: {port: \(closed)}
                  interval: 200ms
                  failure_threshold: 2
            """)
        defer { daemon.stop() }
        #expect(eventually(timeout: 10) { (try? daemon.unit("deaf"))?.state == "failed" })
        let status = try #require(try daemon.unit("deaf"))
        #expect(status.reason?.contains("last: unhealthy: connection refused") == true, "\(status.reason ?? "")")
        #expect(status.restarts == 1)
    }

    @Test func startPeriodIsHonoured() throws {
        // The worker takes 1.5 s to listen. With a 3 s start period it is never restarted; the
        // same probe without one restarts it.
        let slow = freeLoopbackPort(), eager = freeLoopbackPort()
        let probe = { (port: Int, period: String) in """
                liveness:
                  http: {url: "http://127.0.0.1:\(port)/"}
                  interval: 200ms
                  failure_threshold: 2
                  start_period: \(period)
            """ }
        let daemon = try DaemonHarness(config: "units:\n"
            + Self.worker("patient", port: slow, extra: ", --startup-delay, \"1.5\"", probes: probe(slow, "3s")) + "\n"
            + Self.worker("impatient", port: eager, extra: ", --startup-delay, \"1.5\"", probes: probe(eager, "0s")))
        defer { daemon.stop() }
        let patient = try #require(daemon.waitForRunning("patient"))
        let impatient = try #require(daemon.waitForRunning("impatient"))
        Thread.sleep(forTimeInterval: 3.0)
        #expect(try daemon.unit("patient")?.pid == patient)
        #expect(try daemon.unit("patient")?.restarts == 0)
        #expect(try daemon.unit("patient")?.health == "healthy")
        #expect(try daemon.unit("impatient")?.pid != impatient)
        #expect((try daemon.unit("impatient")?.restarts ?? 0) >= 1)
    }

    @Test func readinessFailureIsReportedButNeverRestarts() throws {
        let port = freeLoopbackPort()
        let daemon = try DaemonHarness(config: "units:\n" + Self.worker("r", port: port, extra: ", --unhealthy", probes: """
                readiness:
                  http: {url: "http://127.0.0.1:\(port)/"}
                  interval: 200ms
                  failure_threshold: 1
            """))
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("r"))
        #expect(eventually(timeout: 5) { (try? daemon.unit("r"))?.ready == false && (try? daemon.unit("r"))?.probes.first?.health == "unhealthy" })
        Thread.sleep(forTimeInterval: 1.0)
        let status = try #require(try daemon.unit("r"))
        #expect(status.pid == pid && status.restarts == 0)
        #expect(status.probes.first?.lastFailure == "HTTP 503: unhealthy")
        let table = try daemon.cli(["status"])
        #expect(table.output.contains("not ready"))
        #expect(table.output.contains("readiness: HTTP 503: unhealthy"))
        #expect(httpRequest("POST", port: port, path: "/control/healthy")?.status == 200)
        #expect(eventually(timeout: 5) { (try? daemon.unit("r"))?.ready == true })
    }

    @Test func aHangingExecProbeIsKilledWithItsProcessGroup() throws {
        let marker = "probe-hang-\(UUID().uuidString.prefix(8))"
        let daemon = try DaemonHarness(config: """
            units:
              x:
                command: [sleep, "1000"]
                restart: {policy: no}
                liveness:
                  exec: [bash, -c, "exec -a \(marker) sleep 30"]
                  interval: 500ms
                  timeout: 300ms
                  failure_threshold: 1
            """)
        defer { daemon.stop() }
        #expect(eventually(timeout: 10) { (try? daemon.unit("x"))?.state == "exited" })
        let status = try #require(try daemon.unit("x"))
        #expect(status.reason?.hasPrefix("unhealthy: timeout after 300 ms") == true, "\(status.reason ?? "")")
        #expect(eventually(timeout: 3) { pids(matching: marker).isEmpty })
    }
}

/// Probing at the scale of a host: 300 workers, one of them hung.
@Suite(.serialized) struct DaemonProbeScaleTests {
    @Test func threeHundredWorkersProbedEverySecondStayOnScheduleBesideAHungOne() throws {
        let count = 300
        let ports = loopbackPortBlock(count)
        var yaml = """
            defaults:
              restart: {policy: always}
              stop_timeout: 5s
            units:

            """
        for (i, port) in ports.enumerated() {
            let hang = i == 0 ? ", --hang" : ""
            yaml += """
                  w\(i):
                    command: [\(Binaries.agentSim), --port, "\(port)", --name, w\(i)\(hang)]
                    liveness: {http: "http://127.0.0.1:\(port)/", interval: 1s, timeout: 800ms, failure_threshold: 1000}

                """
        }
        let daemon = try DaemonHarness(config: yaml)
        defer { daemon.stop() }
        #expect(eventually(timeout: 90) {
            (try? daemon.units())?.filter { $0.name != "w0" && $0.health == "healthy" }.count == count - 1
        }, "not every worker turned healthy")
        // Measure a clean window: stats since start include the start-up burst, so take a delta.
        let before = try probeStats(daemon)
        Thread.sleep(forTimeInterval: 6)
        let after = try probeStats(daemon)
        let runs = after.runs - before.runs
        #expect(runs >= (count - 1) * 5, "runs in 6 s: \(runs)")
        #expect(after.lateMaxMs < 1000, "a probe started more than one interval late: \(after.lateMaxMs) ms")
        let hung = try #require(try daemon.unit("w0"))
        #expect(hung.probes.first?.lastFailure == "timeout after 800 ms")
        #expect(hung.probes.first?.failingStreak ?? 0 >= 5)
        let units = try daemon.units()
        #expect(units.filter { $0.restarts > 0 }.isEmpty)
        print("300 workers: \(runs) probe runs in 6 s; lateness p50 \(after.lateP50Ms) ms, p99 \(after.lateP99Ms) ms, max \(after.lateMaxMs) ms")
    }

    struct Stats: Decodable { var runs: Int; var skipped: Int; var lateP50Ms: Double; var lateP99Ms: Double; var lateMaxMs: Double }

    func probeStats(_ daemon: DaemonHarness) throws -> Stats {
        let response = try daemon.client.request("GET", "/v1/probes")
        return try DaemonHarness.decoder.decode(Stats.self, from: Data(response.body))
    }
}
