import SuperviseConfig
import SuperviseCore
import Testing

let oneCheckExpected = "exactly one of http, tcp or exec"
let probeExpected = "a mapping with exactly one of http, tcp or exec, such as "
    + "{http: {url: \"http://127.0.0.1:8080/\"}, interval: 5s}, or none"
let urlExpected = "an http:// or https:// URL such as http://127.0.0.1:8080/healthz"
let statusExpected = "an HTTP status code from 100 to 599, or a range LOW-HIGH of them, such as 200 or 200-399"
let portExpected = "a port number from 1 to 65535"
let thresholdExpected = "a whole number of at least 1, such as 3"
let nonNegativeDurationExpected = "a duration of zero or more, such as 0s, 10s or 1m"

@Suite("Health probe errors")
struct ProbeErrorTests {
    @Test("a probe needs exactly one of http, tcp and exec")
    func exactlyOneCheck() {
        let found = errors("""
            units:
              a:
                command: [x]
                liveness:
                  interval: 1s
              b:
                command: [x]
                readiness:
                  http: http://x/
                  tcp: 80
                  exec: [true]
            """)
        #expect(found == [
            error(4, 5, "units.a.liveness", found: "no http, tcp or exec", expected: oneCheckExpected),
            error(10, 7, "units.b.readiness.tcp", found: "\"tcp\" besides \"http\"", expected: oneCheckExpected),
            error(11, 7, "units.b.readiness.exec", found: "\"exec\" besides \"http\"", expected: oneCheckExpected),
        ])
    }

    @Test("a probe or check of the wrong type")
    func wrongTypes() {
        let found = errors("""
            units:
              a:
                command: [x]
                liveness: ~
                readiness: yes
              b: {command: [x], liveness: [http], readiness: {exec: "test -f /tmp/ok"}}
              c: {command: [x], liveness: {http: [url]}, readiness: {tcp: {port: 1}, interval: [1s]}}
            """)
        #expect(found == [
            error(4, 15, "units.a.liveness", found: "an empty value", expected: probeExpected),
            error(5, 16, "units.a.readiness", found: "yes", expected: probeExpected),
            error(6, 31, "units.b.liveness", found: "a list", expected: probeExpected),
            error(6, 57, "units.b.readiness.exec", found: "\"test -f /tmp/ok\"",
                  expected: "a command as a list, such as [sh, -c, \"test -f /tmp/ok\"], or a mapping {command: [...]}"),
            error(7, 38, "units.c.liveness.http", found: "a list",
                  expected: "an http:// or https:// URL, or a mapping with the keys url, status, body_contains and headers"),
            error(7, 84, "units.c.readiness.interval", found: "a list", expected: durationExpected),
        ])
    }

    @Test("http: URL scheme, status range, header names and values, body_contains")
    func httpValues() {
        let found = errors(unitA("""
                liveness:
                  http:
                    url: ftp://127.0.0.1/
                    status: 200-700
                    headers: {"Bad Name": x, X-Ok: "a\\nb"}
                    body_contains: ""
                  interval: 1s
              b:
                command: [x]
                liveness: {http: {status: 399-200}}
                readiness: {http: "http:///nohost"}
            """))
        #expect(found == [
            error(6, 14, "units.a.liveness.http.url", found: "\"ftp://127.0.0.1/\"", expected: urlExpected),
            error(7, 17, "units.a.liveness.http.status", found: "\"200-700\"", expected: statusExpected),
            error(8, 19, "units.a.liveness.http.headers.Bad Name", found: "\"Bad Name\"",
                  expected: "a header name of letters, digits and !#$%&'*+-.^_`|~"),
            error(8, 40, "units.a.liveness.http.headers.X-Ok", found: "\"a\\nb\"", expected: "a header value on one line"),
            error(9, 24, "units.a.liveness.http.body_contains", found: "an empty string",
                  expected: "a string to look for in the response body (leave body_contains out to accept any)"),
            error(13, 16, "units.b.liveness.http.url", found: "no \"url\"", expected: urlExpected),
            error(13, 31, "units.b.liveness.http.status", found: "\"399-200\"",
                  expected: "a range LOW-HIGH with LOW no greater than HIGH, such as 200-399"),
            error(14, 23, "units.b.readiness.http", found: "\"http:///nohost\"", expected: urlExpected),
        ])
    }

    @Test("status codes that are not codes or ranges", arguments: [
        "99", "600", "2xx", "200-", "-200", "200-300-400", "\"\"", "1e2", "[200, 204]",
    ])
    func badStatus(text: String) {
        let found = errors(unitA("    liveness: {http: {url: \"http://h/\", status: \(text)}}\n"))
        #expect(found.map(\.keyPath) == ["units.a.liveness.http.status"])
        #expect(found.map(\.expected) == [statusExpected])
        #expect(found.map(\.column) == [49])
    }

    @Test("tcp: port out of range or missing, a bad host")
    func tcpValues() {
        let found = errors("""
            units:
              b:
                command: [x]
                readiness: {tcp: {host: "a b", port: 70000}}
              c:
                command: [x]
                readiness: {tcp: {host: localhost}}
                liveness: {tcp: 0}
            """)
        #expect(found == [
            error(4, 29, "units.b.readiness.tcp.host", found: "\"a b\"",
                  expected: "a host name or IP address such as 127.0.0.1, without blanks or /"),
            error(4, 42, "units.b.readiness.tcp.port", found: "70000", expected: portExpected),
            error(7, 17, "units.c.readiness.tcp.port", found: "no \"port\"", expected: portExpected),
            error(8, 21, "units.c.liveness.tcp", found: "0", expected: portExpected),
        ])
    }

    @Test("exec: an empty command, no command, an empty program")
    func execValues() {
        let found = errors("""
            units:
              a: {command: [x], liveness: {exec: []}}
              b: {command: [x], liveness: {exec: {cmd: [x]}}}
              c: {command: [x], liveness: {exec: ["", x]}}
            """)
        #expect(found == [
            error(2, 38, "units.a.liveness.exec", found: "an empty list", expected: commandExpected),
            error(3, 32, "units.b.liveness.exec.command", found: "no \"command\"", expected: commandExpected),
            error(3, 39, "units.b.liveness.exec.cmd", found: "unknown key \"cmd\"", expected: "one of command"),
            error(4, 39, "units.c.liveness.exec[0]", found: "an empty string", expected: "a program path or name"),
        ])
    }

    @Test("timing: non-positive interval and timeout, thresholds below 1, negative start_period and initial_delay")
    func timing() {
        let found = errors(unitA("""
                liveness:
                  tcp: 8081
                  interval: 0s
                  timeout: 0ms
                  failure_threshold: 0
                  success_threshold: -1
                  start_period: -5s
                  initial_delay: soon
                readiness:
                  tcp: 8081
                  interval: -1s
                  failure_threshold: 1.5
            """))
        #expect(found == [
            error(6, 17, "units.a.liveness.interval", found: "\"0s\"", expected: positiveDurationExpected),
            error(7, 16, "units.a.liveness.timeout", found: "\"0ms\"", expected: positiveDurationExpected),
            error(8, 26, "units.a.liveness.failure_threshold", found: "0", expected: thresholdExpected),
            error(9, 26, "units.a.liveness.success_threshold", found: "-1", expected: thresholdExpected),
            error(10, 21, "units.a.liveness.start_period", found: "\"-5s\"", expected: nonNegativeDurationExpected),
            error(11, 22, "units.a.liveness.initial_delay", found: "\"soon\"", expected: durationExpected),
            error(14, 17, "units.a.readiness.interval", found: "\"-1s\"", expected: positiveDurationExpected),
            error(15, 26, "units.a.readiness.failure_threshold", found: "1.5", expected: thresholdExpected),
        ])
    }

    @Test("unknown probe keys get a did-you-mean; probe keys at the wrong level say where they go")
    func unknownAndMisplacedKeys() {
        let found = errors("""
            liveness: {tcp: 80}
            defaults:
              failure_threshold: 3
            units:
              a:
                command: [x]
                http: {url: "http://x/"}
                interval: 1s
                timeout: 5s
                liveness:
                  tcp: {port: 80, interval: 1s}
                  url: http://x/
                  failureThreshold: 3
                  intervall: 2s
                  periodSeconds: 10
                readiness:
                  httpGet: {path: /ready, port: 8080}
                  retries: 3
            """)
        #expect(found == [
            error(1, 1, "liveness", found: "unknown key \"liveness\"",
                  expected: "a top-level key (liveness goes under units.NAME, containers.NAME or defaults)"),
            error(3, 3, "defaults.failure_threshold", found: "unknown key \"failure_threshold\"",
                  expected: "a key allowed in defaults (failure_threshold goes under liveness or readiness: "
                      + "liveness: {failure_threshold: ...})"),
            error(7, 5, "units.a.http", found: "unknown key \"http\"",
                  expected: "a key of a unit (http goes under liveness or readiness: liveness: {http: ...})"),
            error(8, 5, "units.a.interval", found: "unknown key \"interval\"",
                  expected: "a key of a unit (interval goes under liveness or readiness: liveness: {interval: ...})"),
            error(9, 5, "units.a.timeout", found: "unknown key \"timeout\"",
                  expected: "a key of a unit (timeout goes under liveness or readiness: liveness: {timeout: ...}; "
                      + "the stop grace period is stop_timeout, the drain deadline drain: {timeout: ...})"),
            error(11, 23, "units.a.liveness.tcp.interval", found: "unknown key \"interval\"",
                  expected: "a key of tcp (interval goes beside tcp, in the probe: {tcp: ..., interval: ...})"),
            error(12, 7, "units.a.liveness.url", found: "unknown key \"url\"",
                  expected: "a key of a probe (url goes under http: {http: {url: ...}})"),
            error(13, 7, "units.a.liveness.failureThreshold", found: "unknown key \"failureThreshold\"",
                  expected: "a known key (did you mean \"failure_threshold\"?)"),
            error(14, 7, "units.a.liveness.intervall", found: "unknown key \"intervall\"",
                  expected: "a known key (did you mean \"interval\"?)"),
            error(15, 7, "units.a.liveness.periodSeconds", found: "unknown key \"periodSeconds\"",
                  expected: "a known key (Kubernetes' periodSeconds is interval here, a duration such as 10s)"),
            error(16, 5, "units.a.readiness", found: "no http, tcp or exec", expected: oneCheckExpected),
            error(17, 7, "units.a.readiness.httpGet", found: "unknown key \"httpGet\"",
                  expected: "a known key (did you mean \"http\"?)"),
            error(18, 7, "units.a.readiness.retries", found: "unknown key \"retries\"",
                  expected: "a known key (Compose's retries is failure_threshold here)"),
        ])
    }

    @Test("a probe in defaults is checked once, where it is written")
    func defaultsProbeErrors() {
        let found = errors("""
            defaults:
              liveness: {http: {url: "http://x/", status: 0}}
            units:
              a: {command: [x]}
              b: {command: [x]}
            """)
        #expect(found == [
            error(2, 47, "defaults.liveness.http.status", found: "0", expected: statusExpected),
        ])
    }

    @Test("several problems at once, sorted, with their exact descriptions")
    func severalAtOnce() {
        let found = errors("""
            units:
              worker-1:
                command: [agent-sim, --port, "8081"]
                liveness:
                  http: {url: "localhost:8081/healthz", status: 200-600}
                  failureThreshold: 3
                  interval: 0s
              worker-2:
                command: [agent-sim, --port, "8082"]
                readiness:
                  tcp: {port: 80800}
                  exec: [true]
                  start_period: -5s
            """)
        #expect(found.map(\.description) == [
            "supervise.yaml:5:19: units.worker-1.liveness.http.url: found \"localhost:8081/healthz\", "
                + "expected an http:// or https:// URL such as http://127.0.0.1:8080/healthz",
            "supervise.yaml:5:53: units.worker-1.liveness.http.status: found \"200-600\", expected an HTTP status code "
                + "from 100 to 599, or a range LOW-HIGH of them, such as 200 or 200-399",
            "supervise.yaml:6:7: units.worker-1.liveness.failureThreshold: found unknown key \"failureThreshold\", "
                + "expected a known key (did you mean \"failure_threshold\"?)",
            "supervise.yaml:7:17: units.worker-1.liveness.interval: found \"0s\", "
                + "expected a duration greater than zero, such as 250ms, 10s, 5m or 1h",
            "supervise.yaml:11:19: units.worker-2.readiness.tcp.port: found 80800, "
                + "expected a port number from 1 to 65535",
            "supervise.yaml:12:7: units.worker-2.readiness.exec: found \"exec\" besides \"tcp\", "
                + "expected exactly one of http, tcp or exec",
            "supervise.yaml:13:21: units.worker-2.readiness.start_period: found \"-5s\", "
                + "expected a duration of zero or more, such as 0s, 10s or 1m",
        ])
    }
}
