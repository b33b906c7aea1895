import Foundation
import SuperviseExport
import Testing

/// The export's objects are valid for real: kubernetes-validate (PyPI, installed by scripts/setup.sh) checks the
/// built-in kinds against the schemas of Kubernetes 1.30 and 1.34 it bundles, offline, in strict mode (an unknown field
/// is an error); the ScaledObjects are checked against KEDA's ScaledObject schema (Resources/, from KEDA's CRD) the way
/// the API server checks a custom resource.
@Suite(.serialized) struct ValidationTests {
    static let kubernetesVersions = ["1.30.0", "1.34.0"]
    static let kedaSchema = resources.appendingPathComponent("keda-scaledobject-v1alpha1.schema.json").path
    static let kedaCheck = resources.appendingPathComponent("check_scaledobjects.py").path

    /// Every feature the export maps, in one configuration.
    static let everything = """
        docker: {project: voice}
        defaults: {stop_timeout: 15s}
        units:
          livekit: {command: [livekit-server]}
        containers:
          api:
            compose: api
            restart: always
            liveness:
              http: {url: "http://127.0.0.1:18000/health", headers: {X-Probe: supervise}, status: 200-299}
              interval: 500ms
              start_period: 10s
            readiness: {tcp: 18000}
            replicas: 3
            max_surge: 2
            max_unavailable: 2
          worker:
            compose: worker
            liveness: {exec: [docker, exec, "voice-worker-{replica}", /bin/check], success_threshold: 2}
            drain:
              http: "http://127.0.0.1:8081/drain"
              progress: {url: "http://127.0.0.1:8081/worker", field: active_jobs}
              network: container
              timeout: 2h
            autoscale:
              min: 1
              max: 50
              queue: {redis: 127.0.0.1:6379, list: call-queue, target: 4, activation: 1, db: 1}
              active_calls: {target: 8}
              interval: 5s
              scale_up: {pods: 8, percent: 200, period: 1m, stabilization: 10s}
              scale_down: {stabilization: 0s}
          sip:
            compose: sip
            drain: {timeout: 5m}
        """
    static let everythingCompose = """
        services:
          api:
            image: registry.example.com/api:2.0
            entrypoint: ["/bin/tini", "--"]
            command: uvicorn app:app --host 0.0.0.0 --port 8000
            ports: ["18000:8000", "127.0.0.1:9090:9090"]
            environment: {LOG_LEVEL: info, WORKERS: 4, DEBUG: "no"}
            env_file: api.env
            labels: [com.example.team=voice, "com.example.description=Agent Studio API"]
            deploy: {resources: {limits: {cpus: '1.5', memory: 1536M}, reservations: {cpus: '0.5', memory: 512M}}}
            healthcheck: {test: ["CMD", "true"]}
            depends_on: [redis]
            volumes: ["./config:/config:ro"]
          worker:
            image: registry.example.com/worker@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            command: ["python", "-m", "worker", "--price", "$$(cost)"]
            deploy: {replicas: 2, resources: {limits: {cpus: '2', memory: 2G}}}
            restart: on-failure:3
            stop_grace_period: 2h
          sip:
            image: sip:1
            ports: ["5060:5060/udp", "5061:5061/tcp", "10000-10002:10000-10002/udp"]
            healthcheck:
              test: ["CMD-SHELL", "sipsak -s sip:ping@127.0.0.1"]
              interval: 10s
              timeout: 3s
              retries: 2
              start_period: 1m
          redis:
            image: redis:7
            ports: ["127.0.0.1:6379:6379"]
        """

    static func everythingExport() throws -> KubernetesExportResult {
        try export(everything, compose: [("compose.yaml", everythingCompose)], namespace: "voice")
    }

    func kubernetesValidate(_ file: String, expectObjects: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard Validators.installed else {
            Issue.record(Comment(rawValue: Validators.missing), sourceLocation: sourceLocation)
            return
        }
        for version in Self.kubernetesVersions {
            let result = try run(Validators.kubernetesValidate, ["--strict", "--kubernetes-version", version, file])
            #expect(result.code == 0, "kubernetes-validate \(version):\n\(result.output)", sourceLocation: sourceLocation)
            #expect(!result.output.contains("ERROR"), "\(result.output)", sourceLocation: sourceLocation)
            let passed = result.output.components(separatedBy: "\n").filter { $0.contains(" passed for resource ") }
            #expect(passed.count == expectObjects, "\(result.output)", sourceLocation: sourceLocation)
            print("kubernetes-validate --strict \(version): \(passed.count) objects passed")
        }
    }

    func kedaCheck(_ file: String, expect: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard Validators.installed else {
            Issue.record(Comment(rawValue: Validators.missing), sourceLocation: sourceLocation)
            return
        }
        let result = try run(Validators.python, [Self.kedaCheck, Self.kedaSchema, file])
        #expect(result.code == 0, "\(result.output)", sourceLocation: sourceLocation)
        #expect(result.output == expect.map { "ok \($0)\n" }.joined(), sourceLocation: sourceLocation)
    }

    @Test func theExampleIsValidKubernetes() throws {
        let file = GoldenExampleTests.directory.appendingPathComponent("manifests.yaml").path
        try kubernetesValidate(file, expectObjects: 7)
        try kedaCheck(file, expect: ["worker"])
    }

    @Test func everythingTheExportWritesIsValidKubernetes() throws {
        let result = try Self.everythingExport()
        #expect(result.manifests.map(\.reference) == [
            "Service/api", "Deployment/api", "PodDisruptionBudget/api",
            "Deployment/worker", "PodDisruptionBudget/worker", "ScaledObject/worker",
            "Service/sip", "Deployment/sip", "PodDisruptionBudget/sip",
        ])
        let file = try temporaryFile(result.yaml, name: "everything.yaml")
        try kubernetesValidate(file, expectObjects: 8)
        try kedaCheck(file, expect: ["worker"])
    }

    /// The checks catch what they are for: a field Kubernetes does not know, a trigger value that is not a string.
    @Test func theValidatorsRefuseWhatIsWrong() throws {
        guard Validators.installed else {
            Issue.record(Comment(rawValue: Validators.missing))
            return
        }
        let yaml = try Self.everythingExport().yaml
        let unknownField = try temporaryFile(yaml.replacingOccurrences(of: "      terminationGracePeriodSeconds:",
                                                                       with: "      terminationGracePeriod: 1\n      terminationGracePeriodSeconds:"),
                                             name: "unknown.yaml")
        let refused = try run(Validators.kubernetesValidate, ["--strict", "--kubernetes-version", "1.34.0", unknownField])
        #expect(refused.code != 0 && refused.output.contains("'terminationGracePeriod' was unexpected"), "\(refused.output)")
        let number = try temporaryFile(yaml.replacingOccurrences(of: "listLength: \"4\"", with: "listLength: 4"),
                                       name: "number.yaml")
        let wrong = try run(Validators.python, [Self.kedaCheck, Self.kedaSchema, number])
        #expect(wrong.code == 1 && wrong.output.contains("listLength: 4 is not of type 'string'"), "\(wrong.output)")
        let extra = try temporaryFile(yaml.replacingOccurrences(of: "  pollingInterval: 5\n",
                                                                with: "  pollingInterval: 5\n  pollInterval: 5\n"),
                                      name: "extra.yaml")
        let unknown = try run(Validators.python, [Self.kedaCheck, Self.kedaSchema, extra])
        #expect(unknown.code == 1 && unknown.output.contains("'pollInterval' was unexpected"), "\(unknown.output)")
    }
}
