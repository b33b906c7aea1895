import SuperviseExport
import Testing

/// How each supervise feature becomes a Kubernetes field, and what is noticed instead of dropped.
struct MappingTests {
    static let worker = """
        services:
          worker:
            image: worker:1.0
            command: ["python", "-m", "worker"]
            ports: ["127.0.0.1:8081:8081", "9100"]
            deploy: {replicas: 3, resources: {limits: {cpus: '0.5', memory: 512M}, reservations: {cpus: '0.25', memory: 256M}}}
            labels: {com.example.team: voice}
            environment: ["PRICE=$$(cost)"]
        """

    @Test func probesMapFieldByField() throws {
        let result = try export("""
            containers:
              worker:
                compose: worker
                liveness:
                  http: {url: "http://127.0.0.1:8081/healthz?deep=1", headers: {X-Probe: supervise}}
                  interval: 2s
                  timeout: 500ms
                  failure_threshold: 4
                  start_period: 30s
                  initial_delay: 1s
                readiness:
                  tcp: {host: 127.0.0.1, port: 8081}
                  interval: 3s
                  success_threshold: 2
            """, compose: Self.worker)
        let container = try #require(result.deployments.first?.container)
        let liveness = try #require(container.livenessProbe)
        #expect(liveness.handler == .httpGet(path: "/healthz?deep=1", port: 8081, host: nil, scheme: "HTTP",
                                              headers: [Label("X-Probe", "supervise")]))
        #expect(liveness.periodSeconds == 2 && liveness.timeoutSeconds == 1 && liveness.failureThreshold == 4)
        #expect(liveness.successThreshold == 1 && liveness.initialDelaySeconds == 0)
        // start_period 30s at 2s a run: 15 runs of grace, then the liveness probe's own 4 failures.
        let startup = try #require(container.startupProbe)
        #expect(startup.handler == liveness.handler)
        #expect(startup.failureThreshold == 19 && startup.periodSeconds == 2 && startup.initialDelaySeconds == 1)
        #expect(container.readinessProbe == Probe(handler: .tcpSocket(port: 8081, host: nil), initialDelaySeconds: 0,
                                                  periodSeconds: 3, timeoutSeconds: 1, successThreshold: 2,
                                                  failureThreshold: 3))
        #expect(result.noted("containers.worker.liveness.timeout", "500ms is written 1s"))
    }

    /// With network: host a probe reaches a published port: the pod is probed at the port it maps to.
    @Test func aHostPortBecomesTheContainerPortItPublishes() throws {
        let result = try export("""
            containers:
              api:
                compose: api
                liveness: {http: "http://localhost:18000/health"}
                readiness: {tcp: 9999}
            """, compose: "services:\n  api:\n    image: api:1\n    ports: [\"18000:8000\"]\n")
        let container = try #require(result.deployments.first?.container)
        #expect(container.livenessProbe?.handler == .httpGet(path: "/health", port: 8000, host: nil, scheme: "HTTP",
                                                              headers: []))
        #expect(container.readinessProbe?.handler == .tcpSocket(port: 9999, host: nil))
        #expect(result.noted("containers.api.readiness.tcp.port", "does not publish it"))
    }

    @Test func execProbesRunInTheContainer() throws {
        let result = try export("""
            containers:
              a:
                compose: a
                liveness: {exec: [docker, exec, -u, app, "a-{replica}", pg_isready, -q]}
              b:
                compose: b
                liveness: {exec: [/usr/local/bin/check-b]}
            """, compose: "services:\n  a:\n    image: x:1\n  b:\n    image: x:1\n")
        #expect(result.deployments[0].container.livenessProbe?.handler == .exec(command: ["pg_isready", "-q"]))
        #expect(result.deployments[1].container.livenessProbe?.handler == .exec(command: ["/usr/local/bin/check-b"]))
        #expect(result.noted("containers.b.liveness.exec", "inside the container"))
    }

    /// supervise's own probe wins over the Compose HEALTHCHECK, which is noticed; without one, the HEALTHCHECK is the
    /// liveness probe, and either stands in for readiness as it does under supervise.
    @Test func healthcheckOrSupervisesProbe() throws {
        let compose = """
            services:
              api:
                image: api:1
                healthcheck:
                  test: ["CMD-SHELL", "curl -f http://localhost:8000/health"]
                  interval: 15s
                  timeout: 5s
                  retries: 4
                  start_period: 1m
            """
        let own = try export("containers:\n  api:\n    compose: api\n    liveness: {tcp: {port: 8000}, network: container}\n",
                             compose: compose)
        #expect(own.deployments[0].container.livenessProbe?.handler == .tcpSocket(port: 8000, host: nil))
        #expect(own.deployments[0].container.startupProbe == nil)
        #expect(own.noticeLines.contains("compose.yaml:4:5: services.api.healthcheck: replaced by supervise.yaml: "
            + "containers.api.liveness: supervise's probe wins (a container has one liveness probe; under supervise both "
            + "restarted it)"))
        let docker = try export("containers:\n  api:\n    compose: api\n", compose: compose)
        let container = docker.deployments[0].container
        let check = ProbeHandler.exec(command: ["/bin/sh", "-c", "curl -f http://localhost:8000/health"])
        #expect(container.livenessProbe == Probe(handler: check, initialDelaySeconds: 0, periodSeconds: 15,
                                                 timeoutSeconds: 5, successThreshold: 1, failureThreshold: 4))
        #expect(container.startupProbe?.failureThreshold == 8)
        #expect(container.readinessProbe == container.livenessProbe)
    }

    @Test func imageCommandEnvironmentResourcesAndPorts() throws {
        let result = try export("containers:\n  worker:\n    compose: worker\n", compose: Self.worker)
        let deployment = try #require(result.deployments.first)
        #expect(deployment.replicas == 3)
        #expect(deployment.container.image == "worker:1.0")
        #expect(deployment.container.command == nil)
        #expect(deployment.container.args == ["python", "-m", "worker"])
        // Kubernetes would expand $(cost): $$( keeps it as written.
        #expect(deployment.container.env == [EnvironmentVariable(name: "PRICE", value: "$$(cost)")])
        #expect(deployment.container.limits == ResourceAmounts(cpu: "500m", memory: "512Mi"))
        #expect(deployment.container.requests == ResourceAmounts(cpu: "250m", memory: "256Mi"))
        #expect(deployment.container.ports.map(\.name) == ["tcp-8081", "tcp-9100"])
        #expect(deployment.podAnnotations == [Label("com.example.team", "voice")])
        #expect(result.services.first?.ports.map(\.containerPort) == [8081, 9100])
        #expect(result.manifests.map(\.reference) == ["Service/worker", "Deployment/worker", "PodDisruptionBudget/worker"])
    }

    /// The drain deadline plus the stop timeout is the grace period; a signal drain needs no hook, an HTTP drain gets
    /// a preStop hook that POSTs and waits for the live calls to end.
    @Test func drainAsTermination() throws {
        let signal = try export("""
            containers:
              worker:
                compose: worker
                stop_timeout: 20s
                drain: {progress: "http://127.0.0.1:8081/worker", timeout: 30m}
            """, compose: Self.worker)
        #expect(signal.deployments[0].terminationGracePeriodSeconds == 1820)
        #expect(signal.deployments[0].container.preStop == nil)
        let http = try export("""
            containers:
              worker:
                compose: worker
                drain:
                  http: "http://127.0.0.1:8081/drain"
                  progress: {url: "http://127.0.0.1:8081/worker", field: active_jobs, interval: 2s}
                  timeout: 10m
            """, compose: Self.worker)
        #expect(http.deployments[0].terminationGracePeriodSeconds == 610)
        let hook = try #require(http.deployments[0].container.preStop)
        #expect(hook == ["/bin/sh", "-c", """
            curl -fsS -X POST 'http://127.0.0.1:8081/drain' >/dev/null
            waited=0
            while [ "$waited" -lt 600 ]; do
              if body=$(curl -fsS 'http://127.0.0.1:8081/worker'); then
                calls=$(printf '%s' "$body" | sed -n 's/.*"active_jobs"[[:space:]]*:[[:space:]]*"\\{0,1\\}\\([0-9][0-9]*\\).*/\\1/p')
                [ "${calls:-0}" -eq 0 ] && exit 0
              fi
              sleep 2
              waited=$((waited + 2))
            done

            """])
        #expect(http.noted("containers.worker.drain.http", "curl and sed inside the container"))
        let none = try export("containers:\n  worker:\n    compose: worker\n", compose: Self.worker)
        #expect(none.deployments[0].terminationGracePeriodSeconds == 10)
    }

    /// The rollout keeps capacity (maxUnavailable 0, surge max_surge); max_unavailable is the disruption budget.
    @Test func strategyAndDisruptionBudget() throws {
        let result = try export("""
            containers:
              worker:
                compose: worker
                replicas: 4
                max_surge: 2
                max_unavailable: 2
                progress_deadline: 15m
            """, compose: Self.worker)
        let deployment = try #require(result.deployments.first)
        #expect(deployment.replicas == 4)
        #expect(deployment.maxSurge == 2 && deployment.maxUnavailable == 0 && deployment.progressDeadlineSeconds == 900)
        #expect(result.budgets.first?.maxUnavailable == 2)
        #expect(result.budgets.first?.selector == deployment.selector)
        #expect(result.noticeLines.contains(where: { $0.hasPrefix("compose.yaml: services.worker.deploy.replicas: 3 replaced") }))
    }

    @Test func autoscaleBecomesAScaledObject() throws {
        let compose = Self.worker + "\n  redis:\n    image: redis:7\n    ports: [\"127.0.0.1:16379:6379\"]\n"
        let result = try export("""
            containers:
              worker:
                compose: worker
                drain: {progress: "http://127.0.0.1:8081/worker"}
                autoscale:
                  min: 2
                  max: 20
                  queue: {redis: 127.0.0.1:16379, list: call-queue, target: 5, db: 2, activation: 3, password_file: /etc/redis.pass}
                  active_calls: {target: 10}
                  interval: 10s
                  scale_up: {pods: 2, percent: 50, period: 30s}
                  scale_down: {stabilization: 10m}
            """, compose: compose)
        #expect(result.deployments.first?.replicas == nil)
        let scaled = try #require(result.scaledObjects.first)
        #expect(scaled.target == "worker" && scaled.minReplicaCount == 2 && scaled.maxReplicaCount == 20)
        #expect(scaled.pollingInterval == 10 && scaled.scaleDownStabilizationSeconds == 600)
        #expect(scaled.scaleUp == ScaleUpBehavior(stabilizationWindowSeconds: 0, pods: 2, percent: 50, periodSeconds: 30))
        #expect(scaled.triggers == [ScaleTrigger(type: "redis", metadata: [
            Label("address", "redis:6379"), Label("listName", "call-queue"), Label("listLength", "5"),
            Label("activationListLength", "3"), Label("databaseIndex", "2"),
        ])])
        #expect(result.noted("containers.worker.autoscale.active_calls", "prometheus trigger"))
        #expect(result.noted("containers.worker.autoscale.queue", "TriggerAuthentication"))
        #expect(result.noted("containers.worker.autoscale.queue.activation", "activationListLength"))
        // The HPA's default scale-up is left to the HPA.
        let plain = try export("""
            containers:
              worker:
                compose: worker
                autoscale: {max: 4, queue: {redis: 10.0.0.5:6379, list: q}}
            """, compose: Self.worker)
        #expect(plain.scaledObjects.first?.scaleUp == nil)
        #expect(plain.scaledObjects.first?.triggers.first?.metadata.first == Label("address", "10.0.0.5:6379"))
        let unreachable = try export("""
            containers:
              worker:
                compose: worker
                autoscale: {max: 4, queue: {redis: 127.0.0.1:6379, list: q}}
            """, compose: Self.worker)
        #expect(unreachable.noted("containers.worker.autoscale.queue.redis", "KEDA cannot reach"))
    }

    /// ADR-010's per-agent pools: one Compose service per agent, one Deployment each, selectors apart.
    @Test func perAgentPoolsAreDeploymentsOfTheirOwn() throws {
        let result = try export("""
            docker: {project: voice}
            containers:
              worker-meal-agent: {compose: worker-meal-agent}
              worker-travel-agent: {compose: worker-travel-agent}
            """, compose: """
            services:
              worker-meal-agent: {image: "worker:1", environment: [AGENT_FILTER=meal-agent]}
              worker-travel-agent: {image: "worker:1", environment: [AGENT_FILTER=travel-agent]}
            """)
        #expect(result.deployments.map(\.metadata.name) == ["worker-meal-agent", "worker-travel-agent"])
        #expect(result.deployments[0].selector == [Label("app.kubernetes.io/name", "worker-meal-agent"),
                                                   Label("app.kubernetes.io/part-of", "voice")])
        #expect(result.deployments[0].selector != result.deployments[1].selector)
        #expect(result.deployments[1].container.env == [EnvironmentVariable(name: "AGENT_FILTER", value: "travel-agent")])
    }

    /// What has no counterpart is noticed with what to do instead.
    @Test func whatHasNoCounterpartIsNoticed() throws {
        let result = try export("""
            units:
              livekit: {command: [livekit-server]}
              sim:
                command: [agent-sim, --port, "{port}"]
                replicas: 2
                port: 9000
            containers:
              api:
                compose: api
                restart: {policy: on-failure, start_limit: {burst: 3, interval: 1m}}
              cache: {container: cache}
            """, compose: """
            services:
              api:
                image: api
                restart: "no"
                env_file: [api.env]
                depends_on: {db: {condition: service_healthy}}
                stop_grace_period: 1m
                build: .
              db:
                image: postgres:15
            """)
        #expect(result.noted("units.livekit", "a process unit: not exported"))
        #expect(result.noticeLines.filter { $0.contains("units.sim") }.count == 1)
        #expect(result.noted("containers.cache", "by name: not exported"))
        #expect(result.noted("services.db", "no compose entry of supervise.yaml supervises it"))
        #expect(result.noted("containers.api.restart.policy", "Job"))
        #expect(result.noted("containers.api.restart", "start_limit (3 starts in 1m)"))
        #expect(result.noted("services.api.restart", "restartPolicy: Always"))
        #expect(result.noted("services.api.env_file[0]", "--from-env-file=api.env"))
        #expect(result.noted("services.api.depends_on.db", "initContainer"))
        #expect(result.noted("services.api.stop_grace_period", "supervise's stop_timeout (10s) is used"))
        #expect(result.noted("services.api.build", "push it"))
        #expect(result.noted("services.api.image", "not pinned"))
    }

    @Test func namespaceAndServiceChoice() throws {
        let compose = "services:\n  a: {image: \"x:1\"}\n  b: {image: \"x:1\", ports: [\"80\"]}\n"
        let config = "containers:\n  a: {compose: a}\n  bee: {compose: b}\n"
        let result = try export(config, compose: compose, namespace: "voice", services: ["bee"])
        #expect(result.manifests.map(\.reference) == ["Service/b", "Deployment/b", "PodDisruptionBudget/b"])
        #expect(result.deployments[0].metadata.namespace == "voice")
        #expect(result.yaml.contains("  namespace: voice\n"))
        #expect(throws: ExportError.unknownService("c", available: ["a", "b"])) {
            try export(config, compose: compose, services: ["c"])
        }
        #expect(throws: ExportError.self) { try export("containers:\n  z: {compose: z}\n", compose: compose) }
    }

    @Test func namesBecomeDNSLabels() throws {
        let result = try export("containers:\n  api: {compose: Agent_API}\n",
                                compose: "services:\n  Agent_API: {image: \"x:1\"}\n")
        #expect(result.deployments.first?.metadata.name == "agent-api")
        #expect(result.noted("services.Agent_API", "named agent-api"))
        let digit = try export("containers:\n  pool: {compose: 1st.pool}\n", compose: "services:\n  1st.pool: {image: \"x:1\"}\n")
        #expect(digit.deployments.first?.metadata.name == "svc-1st-pool")
    }

    @Test func yamlIsOrderedAndQuotedAsKubectlReadsIt() throws {
        let result = try export("containers:\n  worker:\n    compose: worker\n", compose: Self.worker)
        #expect(result.yaml.hasPrefix("# supervise export kubernetes: supervise.yaml with compose.yaml\n---\n"
            + "apiVersion: v1\nkind: Service\nmetadata:\n  name: worker\n"))
        #expect(result.yaml.contains("\n            cpu: 500m\n            memory: 512Mi\n"))
        #expect(result.yaml.hasSuffix("\n"))
        #expect(YAMLEmitterTests.emit(.map([("a", .string("2")), ("b", .string("yes")), ("c", .string("")),
                                            ("d", .string("1.5")), ("e", .string("x: y")), ("f", .int(2))]))
                == "a: \"2\"\nb: \"yes\"\nc: \"\"\nd: \"1.5\"\ne: 'x: y'\nf: 2\n")
    }
}

enum YAMLEmitterTests {
    static func emit(_ value: YAMLValue) -> String { (try? YAMLEmitter.document(value)) ?? "" }
}
