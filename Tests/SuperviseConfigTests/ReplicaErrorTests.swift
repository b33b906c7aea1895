import SuperviseConfig
import SuperviseCore
import Testing

let noReplicasExpected = "a value without {replica} or {port} (they are filled in only for the replicas of a unit with "
    + "replicas: N or autoscale)"
let noPortExpected = "port: BASE in the unit, for {port} to be BASE plus the replica's number"
let containerPortExpected = "a value without {port} (container entries fill {replica} only: {port} is for process "
    + "units with port)"
let notReplicatedExpected = "the name of a unit without replicas (replicas come and go with scale, rollout and "
    + "autoscale, so no unit waits for them)"

@Suite("replica errors: placeholders, names, dependencies and bounds")
struct ReplicaErrorTests {
    @Test("{replica} and {port} without replicas, {port} without port; ${...} is shell text and no placeholder")
    func placeholders() {
        #expect(errors("""
            units:
              api:
                command: [api, "--id={replica}", "${replica}"]
                env: {PORT: "{port}", SHELL: "${port}"}
              worker:
                command: [agent-sim, --port, "{port}", "{replica}"]
                replicas: 3
                readiness: {tcp: {port: "{port}"}}
                liveness: {http: {url: "http://127.0.0.1:8080/", headers: {X-Port: "{port}"}}}
            """) == [
            error(3, 20, "units.api.command[1]", found: "{replica} in \"--id={replica}\", in a unit without replicas",
                  expected: noReplicasExpected),
            error(4, 17, "units.api.env.PORT", found: "\"{port}\", in a unit without replicas",
                  expected: noReplicasExpected),
            error(6, 34, "units.worker.command[2]", found: "\"{port}\", in a unit without port", expected: noPortExpected),
            error(8, 29, "units.worker.readiness.tcp.port", found: "\"{port}\", in a unit without port",
                  expected: noPortExpected),
        ])
    }

    @Test("placeholders in defaults are reported once, naming the units and entries that inherit them")
    func inheritedPlaceholders() {
        #expect(errors("""
            defaults:
              env: {ID: "w{replica}", PORT: "{port}"}
              readiness: {tcp: {port: "{port}"}}
            units:
              a: {command: [x]}
              b: {command: [x], env: {PORT: "1"}}
              worker: {command: [x], replicas: 2}
              served: {command: [x], replicas: 2, port: 8000}
            containers:
              c: {compose: c}
              d: {compose: d, readiness: none}
            """) == [
            error(2, 13, "defaults.env.ID", found: "{replica} in \"w{replica}\", inherited by the units \"a\" and \"b\", "
                  + "which have no replicas", expected: noReplicasExpected),
            error(2, 33, "defaults.env.PORT", found: "\"{port}\", inherited by the unit \"a\", which has no replicas",
                  expected: noReplicasExpected),
            error(2, 33, "defaults.env.PORT", found: "\"{port}\", inherited by the unit \"worker\", which has no port",
                  expected: noPortExpected),
            error(3, 27, "defaults.readiness.tcp.port",
                  found: "\"{port}\", inherited by the units \"a\" and \"b\", which have no replicas",
                  expected: noReplicasExpected),
            error(3, 27, "defaults.readiness.tcp.port",
                  found: "\"{port}\", inherited by the unit \"worker\", which has no port", expected: noPortExpected),
            error(3, 27, "defaults.readiness.tcp.port", found: "\"{port}\", inherited by the container entry \"c\"",
                  expected: containerPortExpected),
        ])
    }

    @Test("{port} in a container entry: a compose entry fills {replica} only")
    func containerPort() {
        #expect(errors("""
            containers:
              worker:
                compose: worker
                liveness: {http: "http://127.0.0.1:{port}/", network: container}
                drain: {progress: "http://127.0.0.1:808{replica}/worker"}
            """) == [
            error(4, 22, "containers.worker.liveness.http",
                  found: "{port} in \"http://127.0.0.1:{port}/\", in a container entry", expected: containerPortExpected),
        ])
    }

    @Test("a replicated unit owns every name NAME-N: units, container entries and Compose services may not take one")
    func replicaNames() {
        let expected = "a name other than worker-N (the replicas of worker are worker-1, worker-2, … as it scales)"
        let found = "a replica name of the replicated unit worker (units.worker at line 2, column 3)"
        #expect(errors("""
            units:
              worker: {command: [agent-sim], replicas: 3}
              worker-2: {command: [x]}
              worker-7: {command: [x]}
              worker-a: {command: [x]}
            containers:
              worker-1: {container: w1}
              other: {compose: worker}
            """) == [
            error(3, 3, "units.worker-2", found: "\"worker-2\", " + found, expected: expected),
            error(4, 3, "units.worker-7", found: "\"worker-7\", " + found, expected: expected),
            error(7, 3, "containers.worker-1", found: "\"worker-1\", " + found, expected: expected),
            error(8, 20, "containers.other.compose", found: "the Compose service \"worker\", whose replicas would be "
                  + "named as those of the replicated unit worker (units.worker at line 2, column 3)",
                  expected: "a Compose service not named as a replicated process unit (both would have the units "
                      + "worker-1, worker-2, …)"),
        ])
    }

    @Test("a Compose service that supervise scales may not share its replica names with process units")
    func composeReplicaNames() {
        #expect(errors("""
            units:
              worker-2: {command: [x]}
            containers:
              worker:
                compose: worker
                replicas: 3
            """) == [
            error(6, 5, "containers.worker.replicas", found: "\"replicas\" for the Compose service worker, whose "
                  + "replica name \"worker-2\" is a process unit's (units.worker-2 at line 2, column 3)",
                  expected: "no process unit named worker-N beside a Compose service that supervise scales (the "
                      + "process unit would take the place of the container of the same name)"),
        ])
        // Without replicas or autoscale, a process unit still takes the place of the container (as before).
        #expect(throws: Never.self) {
            try ConfigLoader.parse(yaml: "units:\n  worker-2: {command: [x]}\ncontainers:\n  worker: {compose: worker}\n",
                                   file: testFile)
        }
    }

    @Test("nothing depends on a replicated unit or a replica; other names are suggested without them")
    func dependencies() {
        let found = " (units.worker at line 2, column 3)"
        #expect(errors("""
            units:
              worker: {command: [agent-sim], replicas: 2}
              api: {command: [api]}
              other:
                command: [x]
                depends_on: [worker, worker-3, wroker]
              self:
                command: [x]
                replicas: 2
                depends_on: [self-1]
            """) == [
            error(6, 18, "units.other.depends_on[0]", found: "\"worker\", a replicated unit" + found,
                  expected: notReplicatedExpected),
            error(6, 26, "units.other.depends_on[1]", found: "\"worker-3\", a replica of the replicated unit worker"
                  + found, expected: notReplicatedExpected),
            error(6, 36, "units.other.depends_on[2]", found: "\"wroker\"", expected: "one of the units api"),
            error(10, 18, "units.self.depends_on[0]", found: "\"self-1\", a replica of the replicated unit self "
                  + "(units.self at line 7, column 3)", expected: notReplicatedExpected),
        ])
    }

    @Test("replicas, port, max_surge and progress_deadline out of range; those three without replicas")
    func values() {
        #expect(errors("""
            units:
              a:
                command: [x]
                replicas: 0
                port: 65535
                max_surge: 0
                progress_deadline: 0s
              plain:
                command: [x]
                port: 8080
                max_surge: 2
                progress_deadline: 1m
            """) == [
            error(4, 15, "units.a.replicas", found: "0", expected: "a whole number of at least 1, such as 3"),
            error(5, 11, "units.a.port", found: "65535",
                  expected: "a port number from 1 to 65534 (replica N's {port} is port + N)"),
            error(6, 16, "units.a.max_surge", found: "0", expected: "a whole number of at least 1, such as 1 (a rollout "
                  + "starts this many new replicas before it drains old ones, so capacity never drops)"),
            error(7, 24, "units.a.progress_deadline", found: "\"0s\"", expected: positiveDurationExpected),
            error(10, 5, "units.plain.port", found: "\"port\" without replicas",
                  expected: "replicas: N or autoscale beside it (port applies to replicated units)"),
            error(11, 5, "units.plain.max_surge", found: "\"max_surge\" without replicas",
                  expected: "replicas: N or autoscale beside it (max_surge applies to replicated units)"),
            error(12, 5, "units.plain.progress_deadline", found: "\"progress_deadline\" without replicas",
                  expected: "replicas: N or autoscale beside it (progress_deadline applies to replicated units)"),
        ])
    }

    @Test("every replica's {port} and name must be valid, up to the count plus max_surge")
    func portAndNameRoom() {
        let long = String(repeating: "n", count: 62)
        #expect(errors("""
            units:
              fixed: {command: [x], replicas: 10, port: 65530}
              scaled:
                command: [x]
                port: 65520
                max_surge: 2
                autoscale: {max: 20, active_calls: {target: 5}}
                drain: {progress: "http://127.0.0.1:{port}/worker"}
              \(long): {command: [x], replicas: 10}
            """) == [
            error(2, 45, "units.fixed.port", found: "65530", expected: "a port number from 1 to 65524 (replica N's "
                  + "{port} is port + N, and N goes up to 11: replicas 10 plus max_surge 1)"),
            error(5, 11, "units.scaled.port", found: "65520", expected: "a port number from 1 to 65513 (replica N's "
                  + "{port} is port + N, and N goes up to 22: autoscale.max 20 plus max_surge 2)"),
            error(9, 3, "units.\(long)", found: "\"\(long)\"", expected: "a name of at most 61 characters (its "
                  + "replicas are named \(long)-N, at most 64 characters, and N goes up to 11: replicas 10 plus "
                  + "max_surge 1)"),
        ])
        #expect(throws: Never.self) {
            try ConfigLoader.parse(yaml: "units:\n  w: {command: [x], replicas: 10, port: 65524}\n", file: testFile)
        }
    }

    @Test("container and label entries are not replicated by supervise")
    func notCompose() {
        let expected = "a compose entry (replicas, max_surge, progress_deadline and autoscale apply to Compose "
            + "services: containers selected by container or label are not replicated by supervise)"
        #expect(errors("""
            containers:
              redis: {container: redis, replicas: 2, autoscale: {max: 2, active_calls: {target: 1}}}
              cache: {label: app=cache, max_surge: 2, progress_deadline: 1m}
              worker: {compose: worker, port: 8080}
            """) == [
            error(2, 29, "containers.redis.replicas", found: "\"replicas\" in an entry selected by container",
                  expected: expected),
            error(2, 42, "containers.redis.autoscale", found: "\"autoscale\" in an entry selected by container",
                  expected: expected),
            error(3, 29, "containers.cache.max_surge", found: "\"max_surge\" in an entry selected by label",
                  expected: expected),
            error(3, 43, "containers.cache.progress_deadline",
                  found: "\"progress_deadline\" in an entry selected by label", expected: expected),
            error(4, 29, "containers.worker.port", found: "unknown key \"port\"", expected: "a key of a container "
                  + "entry (port applies to replicated process units: a container's ports come from its image or "
                  + "Compose file)"),
        ])
    }

    @Test("misplaced keys say where they go: at the top, in defaults, in a unit, and KEDA's and Kubernetes' names")
    func misplaced() {
        #expect(errors("""
            units:
              w:
                command: [x]
                min: 2
                minReplicaCount: 2
                scale: 3
                maxSurge: 2
            defaults:
              replicas: 2
              port: 8000
            autoscale: {max: 2}
            replicas: 3
            port: 8000
            """) == [
            error(4, 5, "units.w.min", found: "unknown key \"min\"",
                  expected: "a key of a unit (min goes under autoscale: autoscale: {min: ...})"),
            error(5, 5, "units.w.minReplicaCount", found: "unknown key \"minReplicaCount\"",
                  expected: "a known key (KEDA's minReplicaCount is min here)"),
            error(6, 5, "units.w.scale", found: "unknown key \"scale\"",
                  expected: "a known key (Compose's scale is replicas here)"),
            error(7, 5, "units.w.maxSurge", found: "unknown key \"maxSurge\"",
                  expected: "a known key (did you mean \"max_surge\"?)"),
            error(9, 3, "defaults.replicas", found: "unknown key \"replicas\"",
                  expected: "a key allowed in defaults (replicas is set per service, in units.NAME or a compose entry)"),
            error(10, 3, "defaults.port", found: "unknown key \"port\"",
                  expected: "a key allowed in defaults (port is set per service, in units.NAME beside replicas)"),
            error(11, 1, "autoscale", found: "unknown key \"autoscale\"", expected: "a top-level key (autoscale goes "
                  + "under units.NAME, or under a compose entry containers.NAME)"),
            error(12, 1, "replicas", found: "unknown key \"replicas\"", expected: "a top-level key (replicas goes "
                  + "under units.NAME, or under a compose entry containers.NAME)"),
            error(13, 1, "port", found: "unknown key \"port\"",
                  expected: "a top-level key (port goes under units.NAME, beside replicas)"),
        ])
    }
}
