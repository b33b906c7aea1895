import SuperviseConfig
import SuperviseCore
import Testing

let drainExpected = "a mapping with the keys signal or http, progress, field and timeout, such as "
    + "{signal: SIGTERM, progress: \"http://127.0.0.1:8081/worker\", timeout: 3600s}, default or none"

@Suite("Drain contracts and max_unavailable")
struct DrainConfigTests {
    @Test("the full forms decode to exact drain specs")
    func fullForms() throws {
        let yaml = """
            units:
              worker-1:
                command: [agent-sim]
                drain:
                  signal: SIGTERM
                  progress: http://127.0.0.1:8081/worker
                  field: jobs
                  timeout: 600s
                max_unavailable: 2
              worker-2:
                command: [agent-sim]
                drain:
                  http: "http://127.0.0.1:8082/drain"
                  progress: {url: "https://localhost:8082/worker", field: live_calls, interval: 250ms}
              worker-3:
                command: [agent-sim]
                drain: {signal: INT, progress: "http://127.0.0.1:8083/worker"}
              worker-4:
                command: [agent-sim]
                drain: {signal: 1}
              plain:
                command: [x]
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        let units = config.units
        #expect(units[0].drain == DrainSpec(
            start: .signal(Signals.term), progress: DrainProgress(url: "http://127.0.0.1:8081/worker", field: "jobs"),
            timeout: .seconds(600)))
        #expect(units[0].maxUnavailable == 2)
        #expect(units[1].drain == DrainSpec(
            start: .http(url: "http://127.0.0.1:8082/drain"),
            progress: DrainProgress(url: "https://localhost:8082/worker", field: "live_calls",
                                    interval: .milliseconds(250))))
        #expect(units[1].maxUnavailable == 1)
        #expect(units[2].drain == DrainSpec(
            start: .signal(Signals.int), progress: DrainProgress(url: "http://127.0.0.1:8083/worker")))
        #expect(units[2].drain?.progress?.field == "active_jobs")
        #expect(units[2].drain?.progress?.interval == .seconds(1))
        #expect(units[3].drain == DrainSpec(start: .signal(1)))
        #expect(units[4].drain == nil)
        #expect(units[4].maxUnavailable == 1)
    }

    @Test("drain: {}, drain: default and an empty drain: are the default contract", arguments: ["{}", "default", ""])
    func defaultContract(_ value: String) throws {
        let config = try ConfigLoader.parse(yaml: unitA("    drain: \(value)\n"), file: testFile)
        #expect(config.units[0].drain == DrainSpec.default)
        #expect(config.units[0].drain == DrainSpec(start: .signal(Signals.term), progress: nil,
                                                   timeout: .seconds(3600), network: .host))
    }

    @Test("defaults.drain and max_unavailable are inherited; a unit's drain replaces it whole; none drops it")
    func inheritance() throws {
        let yaml = """
            defaults:
              drain: {progress: "http://127.0.0.1:8081/worker", timeout: 1h}
              max_unavailable: 3
            units:
              inherits:
                command: [x]
              replaces:
                command: [x]
                drain: {timeout: 30s}
                max_unavailable: 1
              opts-out:
                command: [x]
                drain: none
            containers:
              worker:
                compose: worker
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        let inherited = DrainSpec(progress: DrainProgress(url: "http://127.0.0.1:8081/worker"), timeout: .seconds(3600))
        #expect(config.units[0].drain == inherited)
        #expect(config.units[0].maxUnavailable == 3)
        #expect(config.units[1].drain == DrainSpec(timeout: .seconds(30)))
        #expect(config.units[1].maxUnavailable == 1)
        #expect(config.units[2].drain == nil)
        #expect(config.units[2].maxUnavailable == 3)
        #expect(config.containers[0].template.drain == inherited)
        #expect(config.containers[0].template.maxUnavailable == 3)
    }

    @Test("a container entry's drain takes network and {replica}, which the core fills in per replica")
    func containerDrain() throws {
        let yaml = """
            containers:
              worker:
                compose: {service: worker}
                stop_timeout: 3600s
                drain:
                  http: "http://127.0.0.1:908{replica}/drain"
                  progress: "http://127.0.0.1:808{replica}/worker"
                  timeout: 3600s
                  network: container
                max_unavailable: 2
              redis:
                container: redis
                drain: {signal: SIGTERM, progress: "http://127.0.0.1:808{replica}/worker", network: host}
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        let template = config.containers[0].template
        #expect(template.drain == DrainSpec(
            start: .http(url: "http://127.0.0.1:908{replica}/drain"),
            progress: DrainProgress(url: "http://127.0.0.1:808{replica}/worker"), network: .container))
        #expect(template.maxUnavailable == 2)
        let replica = config.containers[0].spec(name: "worker-2", replica: 2)
        #expect(replica.drain == DrainSpec(
            start: .http(url: "http://127.0.0.1:9082/drain"),
            progress: DrainProgress(url: "http://127.0.0.1:8082/worker"), network: .container))
        #expect(replica.maxUnavailable == 2)
        let redis = config.containers[1].spec(name: "redis", replica: nil)
        #expect(redis.drain == DrainSpec(progress: DrainProgress(url: "http://127.0.0.1:808/worker")))
        #expect(redis.maxUnavailable == 1)
        // Without a drain, the spec has none.
        let plain = try ConfigLoader.parse(yaml: "containers:\n  w:\n    compose: w\n", file: testFile)
        #expect(plain.containers[0].spec(name: "w-1", replica: 1).drain == nil)
    }

    @Test("signal and http together, and a drain that is not a mapping")
    func startErrors() {
        let found = errors(unitA("""
                drain:
                  signal: SIGTERM
                  http: http://127.0.0.1:8081/drain
              b:
                command: [x]
                drain: {http: "http://127.0.0.1/drain", signal: SIGTREM}
              c:
                command: [x]
                drain: yes
              d:
                command: [x]
                drain: [SIGTERM]

            """))
        #expect(found == [
            error(6, 7, "units.a.drain.http", found: "\"http\" besides \"signal\"",
                  expected: "exactly one of signal or http (how the drain starts)"),
            error(9, 45, "units.b.drain.signal", found: "\"signal\" besides \"http\"",
                  expected: "exactly one of signal or http (how the drain starts)"),
            error(9, 53, "units.b.drain.signal", found: "\"SIGTREM\"",
                  expected: "a signal such as SIGTERM, TERM or 15 (did you mean \"SIGTERM\"?)"),
            error(12, 12, "units.c.drain", found: "yes", expected: drainExpected),
            error(15, 12, "units.d.drain", found: "a list", expected: drainExpected),
        ])
    }

    @Test("unknown and misplaced keys say what was meant")
    func keyErrors() {
        let found = errors("""
            drain: {}
            defaults:
              progress: http://127.0.0.1:8081/worker
            units:
              a:
                command: [x]
                drain:
                  timout: 10s
                  url: http://127.0.0.1:8081/drain
                  network: container
                  progress: {url: "http://127.0.0.1:8081/worker", timeout: 5s}
                max_unavalable: 2
            containers:
              w:
                compose: w
                drain_timeout: 10s
            """)
        #expect(found == [
            error(1, 1, "drain", found: "unknown key \"drain\"",
                  expected: "a top-level key (drain goes under units.NAME, containers.NAME or defaults)"),
            error(3, 3, "defaults.progress", found: "unknown key \"progress\"",
                  expected: "a key allowed in defaults (progress goes under drain: drain: {progress: URL})"),
            error(8, 7, "units.a.drain.timout", found: "unknown key \"timout\"",
                  expected: "a known key (did you mean \"timeout\"?)"),
            error(9, 7, "units.a.drain.url", found: "unknown key \"url\"",
                  expected: "a key of drain (the drain request is http: URL, the live-call count is read from "
                      + "progress: URL)"),
            error(10, 7, "units.a.drain.network", found: "unknown key \"network\"",
                  expected: "a key of a drain of a process unit (network applies to drains of container entries "
                      + "only)"),
            error(11, 55, "units.a.drain.progress.timeout", found: "unknown key \"timeout\"",
                  expected: "a key of progress (the drain's deadline goes beside progress: "
                      + "{progress: ..., timeout: ...})"),
            error(12, 5, "units.a.max_unavalable", found: "unknown key \"max_unavalable\"",
                  expected: "a known key (did you mean \"max_unavailable\"?)"),
            error(16, 5, "containers.w.drain_timeout", found: "unknown key \"drain_timeout\"",
                  expected: "a key of a container entry (the drain's deadline goes under drain: "
                      + "drain: {timeout: ...})"),
        ])
    }

    @Test("bad values: URLs, timeouts, progress, field, network")
    func valueErrors() {
        let found = errors("""
            units:
              a:
                command: [x]
                drain: {http: "127.0.0.1:8081/drain", timeout: 0s}
              b:
                command: [x]
                drain: {progress: "ftp://host/worker", field: jobs, timeout: -5s}
              c:
                command: [x]
                drain: {field: jobs}
              d:
                command: [x]
                drain:
                  progress: {field: jobs, interval: 0s}
                  field: calls
              e:
                command: [x]
                drain: {progress: "http://127.0.0.1/worker", field: ""}
              f:
                command: [x]
                drain: {progress: , timeout: 10 minutes}
            containers:
              w:
                compose: w
                drain: {network: contaner}
            """)
        let oneLine = "the name of a top-level JSON field holding the live-call count, such as active_jobs"
        #expect(found == [
            error(4, 19, "units.a.drain.http", found: "\"127.0.0.1:8081/drain\"", expected: urlExpected),
            error(4, 52, "units.a.drain.timeout", found: "\"0s\"", expected: positiveDurationExpected),
            error(7, 23, "units.b.drain.progress", found: "\"ftp://host/worker\"", expected: urlExpected),
            error(7, 66, "units.b.drain.timeout", found: "\"-5s\"", expected: positiveDurationExpected),
            error(10, 13, "units.c.drain.field", found: "\"field\" without \"progress\"",
                  expected: "a progress URL beside it (field names the JSON field of the progress response): "
                      + "{progress: URL, field: jobs}"),
            error(14, 7, "units.d.drain.progress.url", found: "no \"url\"", expected: urlExpected),
            error(14, 41, "units.d.drain.progress.interval", found: "\"0s\"", expected: positiveDurationExpected),
            error(15, 7, "units.d.drain.field",
                  found: "\"field\" beside a progress mapping (progress at line 14, column 7)",
                  expected: "field inside progress: {progress: {url: ..., field: ...}}"),
            error(18, 57, "units.e.drain.field", found: "an empty string", expected: oneLine),
            error(21, 23, "units.f.drain.progress", found: "an empty value",
                  expected: "an http:// or https:// URL, or a mapping with the keys url, field and interval, "
                      + "such as {url: \"http://127.0.0.1:8081/worker\", field: active_jobs}"),
            error(21, 34, "units.f.drain.timeout", found: "\"10 minutes\"", expected: durationExpected),
            error(25, 22, "containers.w.drain.network", found: "\"contaner\"",
                  expected: "host or container (did you mean \"container\"?)"),
        ])
    }

    @Test("max_unavailable is a whole number of at least 1", arguments: ["0", "-1", "1.5", "many", "[1]"])
    func maxUnavailableErrors(_ value: String) {
        let found = errors(unitA("    max_unavailable: \(value)\n"))
        #expect(found.map(\.keyPath) == ["units.a.max_unavailable"])
        #expect(found.map(\.line) == [4])
        #expect(found.map(\.column) == [22])
        #expect(found.map(\.expected) == ["a whole number of at least 1, such as 1"])
    }

    @Test("network: container in defaults.drain is an error once a process unit inherits it")
    func inheritedNetwork() throws {
        let containersOnly = """
            defaults:
              drain: {network: container}
            containers:
              w:
                compose: w
            """
        let config = try ConfigLoader.parse(yaml: containersOnly, file: testFile)
        #expect(config.containers[0].template.drain == DrainSpec(network: .container))

        let found = errors("""
            defaults:
              drain: {network: container}
            units:
              a:
                command: [x]
              b:
                command: [x]
                drain: none
            """)
        #expect(found == [
            error(2, 20, "defaults.drain.network", found: "container, inherited by the process unit \"a\"",
                  expected: "host (network applies to drains of container entries only; give the process unit "
                      + "a drain of its own)"),
        ])
    }
}
