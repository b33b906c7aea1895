import SuperviseConfig
import SuperviseCore
import Testing

let containerKeys = "compose, container, label, stop_signal, stop_timeout, restart, liveness, readiness, drain, "
    + "max_unavailable, replicas, max_surge, progress_deadline or autoscale"
let selectorExpected = "exactly one of compose, container or label"

@Suite("Container entries and docker settings")
struct ContainerConfigTests {
    @Test("all three selectors decode to exact selectors and templates")
    func allSelectors() throws {
        let yaml = """
            docker:
              socket: /run/docker.sock
              project: voice
            units:
              api:
                command: [api]
            containers:
              worker:
                compose: {service: worker}
                stop_timeout: 30s
                stop_signal: SIGINT
                restart:
                  policy: always
                  backoff: {initial: 1s, max: 30s}
                  start_limit: {burst: 3, interval: 1m}
                liveness: {http: "http://127.0.0.1:808{replica}/", interval: 1s, network: container}
                readiness: {tcp: 8081, network: host}
              tts:
                compose: tts
              stt:
                compose: {project: voice, service: stt}
              redis:
                container: redis
              cache:
                label: "app=cache"
              tagged:
                label: com.example.supervised
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        #expect(config.docker == DockerSettings(socketPath: "/run/docker.sock", project: "voice"))
        #expect(config.units.map(\.name) == ["api"])
        #expect(config.containers.map(\.key) == ["worker", "tts", "stt", "redis", "cache", "tagged"])
        #expect(config.containers.map(\.match) == [
            .compose(project: "voice", service: "worker"),
            .compose(project: "voice", service: "tts"),
            .compose(project: "voice", service: "stt"),
            .name("redis"),
            .label(key: "app", value: "cache"),
            .label(key: "com.example.supervised", value: nil),
        ])

        var liveness = ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:808{replica}/")), interval: .seconds(1))
        liveness.network = .container
        let worker = UnitSpec(
            name: "worker", kind: .container, command: [], stopSignal: Signals.int, stopTimeout: .seconds(30),
            restart: RestartSettings(
                policy: .always, successExitCodes: [0], successSignals: [],
                backoff: BackoffPolicy(initial: .seconds(1), max: .seconds(30), multiplier: 2, jitter: 0.1,
                                       resetAfter: .seconds(10)),
                startLimit: StartLimit(burst: 3, interval: .seconds(60))),
            liveness: liveness, readiness: ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081)))
        #expect(config.containers[0].template == worker)
        for selector in config.containers.dropFirst() {
            #expect(selector.template == UnitSpec(name: selector.key, kind: .container, command: []))
        }
        // The core fills in the replica number.
        let replica = config.containers[0].spec(name: "worker-2", replica: 2)
        #expect(replica.liveness?.check == .http(HTTPCheck(url: "http://127.0.0.1:8082/")))
        #expect(replica.liveness?.network == .container)
    }

    @Test("docker is optional; a compose entry without a project matches any project; containers alone suffice")
    func dockerDefaults() throws {
        let config = try ConfigLoader.parse(yaml: "containers:\n  worker:\n    compose: worker\n", file: testFile)
        #expect(config.docker == DockerSettings())
        // No socket named: the daemon takes DOCKER_HOST, else /var/run/docker.sock (DockerEndpoint). Named, even as
        // the default path, it is kept as named, so that it wins over DOCKER_HOST.
        #expect(config.docker.socketPath == nil)
        let named = try ConfigLoader.parse(yaml: "docker: {socket: /var/run/docker.sock}\ncontainers: {}\n", file: testFile)
        #expect(named.docker.socketPath == "/var/run/docker.sock")
        #expect(config.units.isEmpty)
        // A compose entry has the replica defaults (as many replicas as Compose made, max_surge 1, 10 minutes).
        #expect(config.containers == [ContainerSelector(
            key: "worker", match: .compose(project: nil, service: "worker"),
            template: UnitSpec(name: "worker", kind: .container, command: []), replicas: ReplicaSettings())])
        #expect(try ConfigLoader.parse(yaml: "units: {}\ncontainers: {}\n", file: testFile).containers.isEmpty)
        #expect(try ConfigLoader.parse(yaml: "units: {}\ncontainers:\n", file: testFile).containers.isEmpty)
    }

    @Test("defaults apply to container entries, except what only processes have")
    func defaultsApply() throws {
        let yaml = """
            defaults:
              env: {PATH: /bin}
              working_dir: /srv
              user: www-data
              group: www-data
              stop_signal: SIGQUIT
              stop_timeout: 20s
              restart: {policy: always, backoff: {max: 10s}}
              liveness: {http: "http://127.0.0.1:8080/", network: container}
              readiness: {tcp: 8080}
            containers:
              worker:
                compose: worker
                restart: {backoff: {initial: 1s}}
                readiness: none
              redis:
                container: redis
                stop_timeout: 5s
                liveness: {tcp: 6379}
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        var defaultLiveness = ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:8080/")))
        defaultLiveness.network = .container
        var restart = RestartSettings.default
        restart.policy = .always
        restart.backoff.max = .seconds(10)
        var workerRestart = restart
        workerRestart.backoff.initial = .seconds(1)
        #expect(config.containers.map(\.template) == [
            UnitSpec(name: "worker", kind: .container, command: [], stopSignal: 3,
                     stopTimeout: .seconds(20), restart: workerRestart, liveness: defaultLiveness, readiness: nil),
            UnitSpec(name: "redis", kind: .container, command: [], stopSignal: 3, stopTimeout: .seconds(5),
                     restart: restart, liveness: ProbeSpec(check: .tcp(host: "127.0.0.1", port: 6379)),
                     readiness: ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8080))),
        ])
    }

    @Test("an entry needs exactly one of compose, container and label")
    func selectorCount() {
        let found = errors("""
            containers:
              worker:
                stop_timeout: 30s
              both:
                compose: worker
                label: app=worker
                container: worker
            """)
        #expect(found == [
            error(2, 3, "containers.worker", found: "no compose, container or label",
                  expected: selectorExpected + " (which containers the entry supervises)"),
            error(6, 5, "containers.both.label", found: "\"label\" besides \"compose\"", expected: selectorExpected),
            error(7, 5, "containers.both.container", found: "\"container\" besides \"compose\"",
                  expected: selectorExpected),
        ])
    }

    @Test("process-only keys in a container entry say they apply to process units only")
    func processOnlyKeys() {
        let found = errors("""
            containers:
              worker:
                compose: worker
                command: [agent-sim]
                env: {A: b}
                working_dir: /srv
                user: nobody
                group: nogroup
                depends_on: [redis]
                stop_timout: 1s
                interval: 1s
            """)
        let only = { (key: String) in
            "a key of a container entry (\(key) applies to process units only: a container's command, environment, "
                + "working directory and user come from its image or Compose file)"
        }
        #expect(found == [
            error(4, 5, "containers.worker.command", found: "unknown key \"command\"", expected: only("command")),
            error(5, 5, "containers.worker.env", found: "unknown key \"env\"", expected: only("env")),
            error(6, 5, "containers.worker.working_dir", found: "unknown key \"working_dir\"",
                  expected: only("working_dir")),
            error(7, 5, "containers.worker.user", found: "unknown key \"user\"", expected: only("user")),
            error(8, 5, "containers.worker.group", found: "unknown key \"group\"", expected: only("group")),
            error(9, 5, "containers.worker.depends_on", found: "unknown key \"depends_on\"",
                  expected: "a key of a container entry (depends_on applies to process units only; "
                      + "order containers with Compose's depends_on)"),
            error(10, 5, "containers.worker.stop_timout", found: "unknown key \"stop_timout\"",
                  expected: "a known key (did you mean \"stop_timeout\"?)"),
            error(11, 5, "containers.worker.interval", found: "unknown key \"interval\"",
                  expected: "a key of a container entry (interval goes under liveness or readiness: "
                      + "liveness: {interval: ...})"),
        ])
        #expect(errors("containers:\n  w: {compose: w, colour: red}\n") == [
            error(2, 19, "containers.w.colour", found: "unknown key \"colour\"", expected: "one of \(containerKeys)"),
        ])
    }

    @Test("selector values: service, project, container name and label")
    func selectorValues() {
        let found = errors("""
            docker: {project: voice}
            containers:
              a: {compose: "-worker"}
              b: {compose: {project: Voice, service: b}}
              c: {compose: {project: other, service: c}}
              d: {compose: {project: voice}}
              e: {compose: {service: e, replicas: 2}}
              f: {container: /redis}
              g: {label: "=cache"}
              h: {label: [app]}
              i: {compose: }
            """)
        let projectExpected = "a Compose project name of lowercase letters, digits, _ and -, starting with a letter "
            + "or digit"
        #expect(found == [
            error(3, 16, "containers.a.compose", found: "\"-worker\"",
                  expected: "a Compose service name of letters, digits, . _ and -, starting with a letter or digit"),
            error(4, 26, "containers.b.compose.project", found: "\"Voice\"", expected: projectExpected),
            error(5, 26, "containers.c.compose.project",
                  found: "\"other\" while docker.project (line 1, column 19) is \"voice\"",
                  expected: "\"voice\" or no project (only containers of docker.project are watched)"),
            error(6, 7, "containers.d.compose.service", found: "no \"service\"",
                  expected: "a Compose service name of letters, digits, . _ and -, starting with a letter or digit"),
            error(7, 29, "containers.e.compose.replicas", found: "unknown key \"replicas\"",
                  expected: "one of project or service"),
            error(8, 18, "containers.f.container", found: "\"/redis\"",
                  expected: "a container name of letters, digits, . _ and -, starting with a letter or digit, "
                      + "such as redis"),
            error(9, 14, "containers.g.label", found: "\"=cache\"",
                  expected: "a label as KEY or KEY=VALUE, such as app=cache, the key without blanks"),
            error(10, 14, "containers.h.label", found: "a list",
                  expected: "a label as KEY or KEY=VALUE, such as app=cache, the key without blanks"),
            error(11, 16, "containers.i.compose", found: "an empty value",
                  expected: "a Compose service name, or a mapping with the keys project and service, "
                      + "such as {service: worker}"),
        ])
    }

    @Test("entry names: unit-name rules, no process unit's name, no two entries selecting the same containers")
    func entryNames() {
        let found = errors("""
            units:
              redis: {command: [redis-server]}
            containers:
              redis:
                container: redis
              "-bad":
                compose: bad
              worker: {compose: worker}
              worker-again: {compose: worker}
            """)
        #expect(found == [
            error(4, 3, "containers.redis",
                  found: "\"redis\", the name of a process unit (units.redis at line 2, column 3)",
                  expected: "a name no process unit has (units and container entries share one set of names)"),
            error(6, 3, "containers.-bad", found: "\"-bad\"",
                  expected: "a unit name of at most 64 letters, digits, _ . @ and -, starting with a letter or digit"),
            error(9, 27, "containers.worker-again.compose", found: "the same containers as containers.worker (line 8, column 3)",
                  expected: "a selector no earlier entry has (the first entry that matches a container owns it)"),
        ])
    }

    @Test("probe network: host or container, on container entries only")
    func probeNetwork() {
        #expect(errors(unitA("    liveness: {tcp: 8080, network: container}\n")) == [
            error(4, 27, "units.a.liveness.network", found: "unknown key \"network\"",
                  expected: "a key of a probe of a process unit (network applies to probes of container entries only)"),
        ])
        #expect(errors(unitA("    network: container\n")) == [
            error(4, 5, "units.a.network", found: "unknown key \"network\"",
                  expected: "a key of a unit (network applies to probes of container entries only)"),
        ])
        let found = errors("""
            containers:
              a:
                compose: a
                liveness: {tcp: 8080, network: contaner}
                readiness: {exec: [true], network: container}
              b:
                container: b
                network: host
            """)
        #expect(found == [
            error(4, 36, "containers.a.liveness.network", found: "\"contaner\"",
                  expected: "host or container (did you mean \"container\"?)"),
            error(5, 40, "containers.a.readiness.network", found: "\"container\" with an exec check",
                  expected: "host (an exec check runs on the host; network applies to http and tcp checks)"),
            error(8, 5, "containers.b.network", found: "unknown key \"network\"",
                  expected: "a key of a container entry (network goes under liveness, readiness or drain: "
                      + "liveness: {network: ...})"),
        ])
    }

    @Test("network: container in defaults is an error only when process units inherit it")
    func inheritedNetwork() throws {
        let yaml = """
            defaults:
              liveness: {tcp: 8080, network: container}
            units:
              a: {command: [x]}
              b: {command: [x], liveness: none}
              c: {command: [x]}
            containers:
              w: {compose: w}
            """
        #expect(errors(yaml) == [
            error(2, 34, "defaults.liveness.network", found: "container, inherited by the process units \"a\" and \"c\"",
                  expected: "host (network applies to probes of container entries only; "
                      + "give the process units a liveness of their own)"),
        ])
        let fine = try ConfigLoader.parse(yaml: yaml.replacingOccurrences(of: "  a: {command: [x]}\n", with: "")
            .replacingOccurrences(of: "  c: {command: [x]}\n", with: ""), file: testFile)
        #expect(fine.containers[0].template.liveness?.network == .container)
        #expect(fine.units[0].liveness == nil)
    }

    @Test("docker: socket an absolute path of a socket's length, project a project name")
    func dockerSettings() {
        let long = "/" + String(repeating: "s", count: 107)
        #expect(errors("docker: {socket: unix:///var/run/docker.sock, project: My_App, host: x}\nunits: {}\n") == [
            error(1, 18, "docker.socket", found: "\"unix:///var/run/docker.sock\"",
                  expected: "an absolute path such as /var/run/docker.sock"),
            error(1, 56, "docker.project", found: "\"My_App\"",
                  expected: "a Compose project name of lowercase letters, digits, _ and -, starting with a letter "
                      + "or digit"),
            error(1, 64, "docker.host", found: "unknown key \"host\"",
                  expected: "a key of docker (give the path of the Docker socket in socket, such as "
                      + "/var/run/docker.sock)"),
        ])
        #expect(errors("docker:\n  socket: \(long)\nunits: {}\n") == [
            error(2, 11, "docker.socket", found: "a path of 108 bytes",
                  expected: "an absolute path of at most 107 bytes (the limit of a Unix socket address)"),
        ])
        #expect(errors("docker: [x]\nunits: {}\n") == [
            error(1, 9, "docker", found: "a list", expected: "a mapping with the keys socket and project"),
        ])
    }

    @Test("container keys at the top level say where they go")
    func misplacedTopLevel() {
        let found = errors("""
            compose: worker
            container: redis
            label: app=cache
            services: {worker: {}}
            project: voice
            socket: /var/run/docker.sock
            containers: [worker]
            """)
        #expect(found == [
            error(1, 1, "compose", found: "unknown key \"compose\"",
                  expected: "a top-level key (compose goes under containers.NAME: containers: {NAME: {compose: SERVICE}})"),
            error(2, 1, "container", found: "unknown key \"container\"",
                  expected: "a top-level key (container goes under containers.NAME: "
                      + "containers: {NAME: {container: NAME}})"),
            error(3, 1, "label", found: "unknown key \"label\"",
                  expected: "a top-level key (label goes under containers.NAME: containers: {NAME: {label: KEY=VALUE}})"),
            error(4, 1, "services", found: "unknown key \"services\"",
                  expected: "a top-level key (Compose services are selected under containers.NAME: "
                      + "containers: {NAME: {compose: SERVICE}})"),
            error(5, 1, "project", found: "unknown key \"project\"",
                  expected: "a top-level key (project goes under docker: docker: {project: NAME})"),
            error(6, 1, "socket", found: "unknown key \"socket\"",
                  expected: "a top-level key (socket goes under control or docker)"),
            error(7, 13, "containers", found: "a list",
                  expected: "a mapping of entry names to container selectors, such as "
                      + "{worker: {compose: {service: worker}}}"),
        ])
    }

    @Test("container entries' restart and probes are checked as units' are")
    func sharedSettings() {
        let found = errors("""
            containers:
              w:
                compose: w
                stop_timeout: 0s
                restart: {policy: allways, backoff: {initial: 5s, max: 1s}}
                liveness: {http: "localhost:8080"}
            """)
        #expect(found == [
            error(4, 19, "containers.w.stop_timeout", found: "\"0s\"", expected: positiveDurationExpected),
            error(5, 23, "containers.w.restart.policy", found: "\"allways\"",
                  expected: "one of no, on-failure, always or unless-stopped (did you mean \"always\"?)"),
            error(5, 60, "containers.w.restart.backoff.max", found: "1s",
                  expected: "a duration at least as long as initial (5s)"),
            error(6, 22, "containers.w.liveness.http", found: "\"localhost:8080\"",
                  expected: "an http:// or https:// URL such as http://127.0.0.1:8080/healthz"),
        ])
    }
}
