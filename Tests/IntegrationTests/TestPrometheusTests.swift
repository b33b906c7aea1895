import Foundation
import Testing

/// The real-Prometheus harness itself (TestPrometheus.swift): a Prometheus that scrapes its own `/metrics`,
/// queried over its HTTP API, stopped by PID on every path; and `promtool check metrics` on exposition text.
@Suite(.serialized) struct TestPrometheusTests {
    @Test func scrapesItselfAndAnswersQueries() async throws {
        var pid: Int32 = 0
        var directory = URL(fileURLWithPath: "/")
        var port = 0
        try await withTestPrometheus(job: "self", targets: [TestPrometheus.itself]) { prometheus in
            pid = prometheus.pid
            directory = prometheus.directory
            port = prometheus.port
            #expect(processAlive(pid))

            let up = try await prometheus.waitForSeries(#"up{job="self"} == 1"#, timeout: 30)
            #expect(up.count == 1)
            #expect(up.first?.labels["instance"] == "127.0.0.1:\(port)")
            #expect(up.first?.labels["job"] == "self")
            #expect(up.first?.value == 1)

            let build = try await prometheus.waitForSeries("prometheus_build_info", timeout: 30)
            #expect(build.count == 1)
            let version = build.first?.labels["version"] ?? ""
            #expect(version.first?.isNumber == true, "version label: \(build)")
            #expect(build.first?.labels["__name__"] == "prometheus_build_info")
            #expect(build.first?.labels["job"] == "self")
            print("TestPrometheus: prometheus \(version) on 127.0.0.1:\(port), pid \(pid), scraped itself: \(up)")

            // A scalar answer, a query with every character that needs encoding, and a rejected query.
            let scalar = try await prometheus.query("1 + 2")
            #expect(scalar.count == 1 && scalar.first?.value == 3 && scalar.first?.labels.isEmpty == true)
            let encoded = try await prometheus.query(#"count(up{job=~"s.l+f", instance!="x y&z"}) / 1"#)
            #expect(encoded.first?.value == 1)
            let infinity = try await prometheus.query("1 / 0")
            #expect(infinity.first?.value == .infinity)
            await #expect(throws: FixtureFailure.self) { try await prometheus.query("up{") }
            do {
                _ = try await prometheus.query("rate(up)")
            } catch {
                #expect("\(error)".contains("bad_data"), "\(error)")
            }
            // A bigger answer than 2 KiB comes chunked: every series of the job.
            let many = try await prometheus.query(#"{job="self"}"#)
            #expect(many.count > 50, "\(many.count) series")
        }
        // Stopped by PID and cleaned up once the body is over.
        #expect(!processAlive(pid))
        #expect(!FileManager.default.fileExists(atPath: directory.path))
        #expect(eventually(timeout: 5) { loopbackPortIsFree(port) })
    }

    @Test func isStoppedWhenTheBodyThrows() async throws {
        struct Planned: Error {}
        var pid: Int32 = 0
        await #expect(throws: Planned.self) {
            try await withTestPrometheus(job: "self", targets: [TestPrometheus.itself]) { prometheus in
                pid = prometheus.pid
                throw Planned()
            }
        }
        #expect(pid > 0)
        #expect(!processAlive(pid))
    }

    @Test func waitForSeriesSaysWhyNothingCame() async throws {
        // A target nothing listens on: the timeout error names it with its scrape error. (Prometheus' scrape
        // manager takes up new targets up to 5 s after it starts, hence 10 s.)
        let deadPort = freeLoopbackPort()
        try await withTestPrometheus(job: "nobody", targets: ["127.0.0.1:\(deadPort)"]) { prometheus in
            do {
                try await prometheus.waitForSeries(#"up{job="nobody"} == 1"#, timeout: 10)
                Issue.record("a series came from a target nothing listens on")
            } catch {
                let text = "\(error)"
                #expect(text.contains("127.0.0.1:\(deadPort)/metrics"), "\(text)")
                #expect(text.contains("down (") && text.contains("connection refused"), "\(text)")
                print("TestPrometheus: waitForSeries on a dead target: \(text.split(separator: "\n").prefix(2).joined(separator: " / "))")
            }
        }
    }

    @Test func promtoolCheckMetricsAcceptsValidExposition() {
        let valid = """
            # HELP supervise_unit_restarts_total Restarts by why the unit went down.
            # TYPE supervise_unit_restarts_total counter
            supervise_unit_restarts_total{unit="worker-1",reason="crash"} 3
            supervise_unit_restarts_total{unit="worker-1",reason="unhealthy"} 0
            # HELP supervise_unit_up Running, and ready where a readiness probe is configured.
            # TYPE supervise_unit_up gauge
            supervise_unit_up{unit="worker-1"} 1
            # HELP supervise_probe_duration_seconds How long each probe took.
            # TYPE supervise_probe_duration_seconds histogram
            supervise_probe_duration_seconds_bucket{unit="worker-1",role="liveness",le="0.005"} 2
            supervise_probe_duration_seconds_bucket{unit="worker-1",role="liveness",le="+Inf"} 3
            supervise_probe_duration_seconds_sum{unit="worker-1",role="liveness"} 0.021
            supervise_probe_duration_seconds_count{unit="worker-1",role="liveness"} 3

            """
        let result = promtoolCheckMetrics(valid)
        #expect(result.ok, "promtool check metrics: \(result.output)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.output)")
    }

    @Test func promtoolCheckMetricsRejectsACounterWithoutTotal() {
        let invalid = """
            # HELP supervise_unit_restarts Restarts by why the unit went down.
            # TYPE supervise_unit_restarts counter
            supervise_unit_restarts{unit="worker-1",reason="crash"} 3

            """
        let result = promtoolCheckMetrics(invalid)
        print("promtool check metrics on a counter without _total: \(result.output)")
        #expect(!result.ok)
        #expect(result.output.contains("supervise_unit_restarts"), "\(result.output)")
        #expect(result.output.contains("_total"), "\(result.output)")

        let garbled = promtoolCheckMetrics("supervise_unit_up{unit=\"worker-1\" 1\n")
        print("promtool check metrics on unparsable text: \(garbled.output)")
        #expect(!garbled.ok)
        #expect(garbled.output.contains("pars"), "\(garbled.output)")
    }
}
