import SuperviseConfig
import SuperviseCore
import Testing

@Suite("Health probes")
struct ProbeConfigTests {
    @Test("a full example decodes to exact probes, with the defaults applied where nothing is given")
    func fullExample() throws {
        let yaml = """
            defaults:
              readiness:
                tcp: {port: 9000}
            units:
              worker-1:
                command: [agent-sim, --port, "8081"]
                liveness:
                  http:
                    url: http://127.0.0.1:8081/
                    status: 200-299
                    body_contains: OK
                    headers: {X-Probe: supervise, X-Count: 3}
                  interval: 1s
                  timeout: 500ms
                  failure_threshold: 5
                  success_threshold: 2
                  start_period: 5s
                  initial_delay: 250ms
                readiness:
                  tcp: {host: localhost, port: 8081}
                  interval: 2s
              worker-2:
                command: [agent-sim, --port, "8082"]
                liveness:
                  exec: {command: [sh, -c, "test -f /tmp/ok"]}
              worker-3:
                command: [agent-sim]
                liveness:
                  exec: [sh, -c, "test -f /tmp/ok"]
                  timeout: 2s
                readiness: none
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        #expect(config.units.count == 3)
        let worker1 = config.units[0], worker2 = config.units[1], worker3 = config.units[2]

        #expect(worker1.liveness == ProbeSpec(
            check: .http(HTTPCheck(url: "http://127.0.0.1:8081/", statusMin: 200, statusMax: 299, bodyContains: "OK",
                                   headers: ["X-Probe": "supervise", "X-Count": "3"])),
            interval: .seconds(1), timeout: .milliseconds(500), failureThreshold: 5, successThreshold: 2,
            startPeriod: .seconds(5), initialDelay: .milliseconds(250)))
        #expect(worker1.readiness == ProbeSpec(
            check: .tcp(host: "localhost", port: 8081), interval: .seconds(2), timeout: .seconds(1),
            failureThreshold: 3, successThreshold: 1, startPeriod: .zero, initialDelay: .zero))

        let fileCheck = ProbeCheck.exec(command: ["sh", "-c", "test -f /tmp/ok"])
        #expect(worker2.liveness == ProbeSpec(check: fileCheck, interval: .seconds(10), timeout: .seconds(1),
                                              failureThreshold: 3, successThreshold: 1, startPeriod: .zero,
                                              initialDelay: .zero))
        #expect(worker2.readiness == ProbeSpec(check: .tcp(host: "127.0.0.1", port: 9000)))
        #expect(worker2.probe(.readiness) == worker2.readiness)

        #expect(worker3.liveness == ProbeSpec(check: fileCheck, timeout: .seconds(2)))
        #expect(worker3.readiness == nil)
        // Probes change nothing else about a unit.
        #expect(worker3 == UnitSpec(name: "worker-3", command: ["agent-sim"],
                                    liveness: ProbeSpec(check: fileCheck, timeout: .seconds(2))))
    }

    @Test("a unit without probes has none")
    func noProbes() throws {
        let unit = try #require(try ConfigLoader.parse(yaml: unitA(""), file: testFile).units.first)
        #expect(unit.liveness == nil)
        #expect(unit.readiness == nil)
    }

    @Test("shorthands: exec as a list, http as a URL, tcp as a port")
    func shorthands() throws {
        let yaml = unitA("""
                liveness: {exec: [sh, -c, "curl -fs localhost:8081"]}
                readiness:
                  http: https://localhost:8443/ready
            """) + "\n  b:\n    command: [x]\n    readiness: {tcp: 8081}\n"
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        #expect(config.units[0].liveness == ProbeSpec(check: .exec(command: ["sh", "-c", "curl -fs localhost:8081"])))
        #expect(config.units[0].readiness == ProbeSpec(check: .http(HTTPCheck(url: "https://localhost:8443/ready"))))
        #expect(config.units[1].readiness == ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081)))
        #expect(config.units[1].liveness == nil)
    }

    @Test("status is one code or an inclusive range; 200-399 when not given", arguments: [
        ("200", 200, 200), ("200-399", 200, 399), ("\"204\"", 204, 204), ("\"500 - 599\"", 500, 599),
        ("100-599", 100, 599), ("301-301", 301, 301),
    ])
    func statuses(text: String, low: Int, high: Int) throws {
        let yaml = unitA("    liveness: {http: {url: \"http://h/\", status: \(text)}}\n")
        let unit = try #require(try ConfigLoader.parse(yaml: yaml, file: testFile).units.first)
        #expect(unit.liveness?.check == .http(HTTPCheck(url: "http://h/", statusMin: low, statusMax: high)))
        let plain = try #require(try ConfigLoader.parse(yaml: unitA("    liveness: {http: {url: \"http://h/\"}}\n"),
                                                        file: testFile).units.first)
        #expect(plain.liveness?.check == .http(HTTPCheck(url: "http://h/", statusMin: 200, statusMax: 399)))
    }

    @Test("a unit's probe replaces the defaults' probe of the same role as a whole; none drops it")
    func defaultsReplacedAsAWhole() throws {
        let yaml = """
            defaults:
              liveness:
                http: http://127.0.0.1:8080/healthz
                interval: 3s
                failure_threshold: 5
              readiness:
                exec: [ready-check]
            units:
              a: {command: [x]}
              b:
                command: [x]
                liveness: {tcp: 8081}
              c: {command: [x], liveness: none, readiness: {exec: [other-check], timeout: 4s}}
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        let inherited = ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:8080/healthz")),
                                  interval: .seconds(3), failureThreshold: 5)
        let ready = ProbeSpec(check: .exec(command: ["ready-check"]))
        #expect(config.units[0].liveness == inherited)
        #expect(config.units[0].readiness == ready)
        // Nothing of defaults.liveness survives, not even its interval and failure_threshold.
        #expect(config.units[1].liveness == ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081), interval: .seconds(10),
                                                      failureThreshold: 3))
        #expect(config.units[1].readiness == ready)
        #expect(config.units[2].liveness == nil)
        #expect(config.units[2].readiness == ProbeSpec(check: .exec(command: ["other-check"]), timeout: .seconds(4)))
    }

    @Test("a timeout longer than the interval, zero start_period and initial_delay, and the largest port are valid")
    func edgeValues() throws {
        let yaml = unitA("""
                liveness:
                  tcp: {host: "::1", port: 65535}
                  interval: 1s
                  timeout: 5s
                  start_period: 0s
                  initial_delay: 0ms
            """)
        let unit = try #require(try ConfigLoader.parse(yaml: yaml, file: testFile).units.first)
        #expect(unit.liveness == ProbeSpec(check: .tcp(host: "::1", port: 65535), interval: .seconds(1),
                                           timeout: .seconds(5)))
    }

    @Test("anchors share one probe between units")
    func anchoredProbe() throws {
        let yaml = """
            units:
              a:
                command: [x]
                liveness: &probe {http: {url: "http://127.0.0.1:8081/", status: 200}, interval: 2s}
              b:
                command: [y]
                liveness: *probe
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        #expect(config.units[0].liveness != nil)
        #expect(config.units[0].liveness == config.units[1].liveness)
    }
}
