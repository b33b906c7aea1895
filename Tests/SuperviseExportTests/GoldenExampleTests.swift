import Foundation
import SuperviseConfig
import SuperviseExport
import Testing

/// examples/kubernetes/: ADR-010's docker-compose.prod.yml (with the data services and the per-agent pool it leaves
/// out, in files of their own) and a supervise.yaml for it; its export, reviewed, is manifests.yaml, and what the
/// export noticed is notices.txt. Regenerated here and compared byte for byte, as
///
///     cd examples/kubernetes
///     supervise export kubernetes --config supervise.yaml --compose docker-compose.prod.yml \
///       --compose docker-compose.data.yml --compose docker-compose.agents.yml >manifests.yaml 2>notices.txt
///
/// writes them (with VERSION unset).
struct GoldenExampleTests {
    static let directory = repository.appendingPathComponent("examples/kubernetes")
    static let composeFiles = ["docker-compose.prod.yml", "docker-compose.data.yml", "docker-compose.agents.yml"]

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func exportExample() throws -> KubernetesExportResult {
        let config = try ConfigLoader.parse(yaml: try text("supervise.yaml"), file: "supervise.yaml")
        let compose = try ComposeReader.parse(try composeFiles.map { (file: $0, yaml: try text($0)) }, variables: [:])
        return try KubernetesExport(config: config, configFile: "supervise.yaml", compose: compose).run()
    }

    @Test func theExampleExportsToTheReviewedManifests() throws {
        let result = try Self.exportExample()
        let reviewed = try Self.text("manifests.yaml")
        #expect(result.yaml == reviewed, "the export of examples/kubernetes changed: regenerate manifests.yaml and review it")
        let notices = result.notices.map { "\($0)\n" }.joined()
        #expect(notices == (try Self.text("notices.txt")),
                "what the export notices changed: regenerate notices.txt and review it")
    }

    /// The ADR's own file, as the ADR gives it: its services, images, commands and limits.
    @Test func theADRsComposeFileIsTheADRs() throws {
        let prod = try Self.text("docker-compose.prod.yml")
        for line in ["image: agent-studio-api:${VERSION:-latest}", "replicas: 2", "cpus: '1'", "memory: 1G",
                     "test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8000/health/ready\"]", "interval: 30s",
                     "db: { condition: service_healthy }", "redis: { condition: service_healthy }",
                     "image: agent-studio-worker:${VERSION:-latest}",
                     "command: uv run python -m agent_studio.worker.entrypoint", "replicas: 3", "cpus: '2'",
                     "memory: 2G", "api: { condition: service_healthy }"] {
            #expect(prod.contains(line), "\(line)")
        }
        let result = try Self.exportExample()
        #expect(result.manifests.map(\.reference) == [
            "Service/api", "Deployment/api", "PodDisruptionBudget/api",
            "Deployment/worker", "PodDisruptionBudget/worker", "ScaledObject/worker",
            "Deployment/worker-meal-agent", "PodDisruptionBudget/worker-meal-agent",
        ])
        // ADR-010's KEDA plan: scale worker on call-queue at 5 a replica, 2 to 20, Redis at redis:6379.
        let scaled = try #require(result.scaledObjects.first)
        #expect(scaled.minReplicaCount == 2 && scaled.maxReplicaCount == 20)
        #expect(scaled.triggers.first?.metadata == [Label("address", "redis:6379"), Label("listName", "call-queue"),
                                                    Label("listLength", "5")])
        // ADR-010's per-agent pool: 3 replicas of 2 CPUs and 2Gi, AGENT_FILTER=meal-agent.
        let meal = try #require(result.deployments.first { $0.metadata.name == "worker-meal-agent" })
        #expect(meal.replicas == 3 && meal.container.limits == ResourceAmounts(cpu: "2", memory: "2Gi"))
        #expect(meal.container.env == [EnvironmentVariable(name: "AGENT_FILTER", value: "meal-agent")])
    }
}

/// docs/kubernetes.md says what the example, the setup and the tests do.
struct KubernetesDocumentationTests {
    static func text(_ path: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func theWorkedMigrationQuotesTheExample() throws {
        let docs = try Self.text("docs/kubernetes.md")
        let manifests = try GoldenExampleTests.text("manifests.yaml")
        let notices = try GoldenExampleTests.text("notices.txt")
        for quoted in ["terminationGracePeriodSeconds: 3630", "listLength: \"5\"", "redis:6379", "call-queue",
                       "AGENT_FILTER"] {
            #expect(docs.contains(quoted) && manifests.contains(quoted), "\(quoted)")
        }
        for key in ["services.db", "services.redis", "services.api.env_file", "start_limit", "drain.progress",
                    "not pinned"] {
            #expect(notices.contains(key), "the docs discuss \(key), which the example's notices no longer have")
        }
        for command in ["supervise export kubernetes --config supervise.yaml --compose docker-compose.prod.yml",
                        "--compose docker-compose.data.yml --compose docker-compose.agents.yml"] {
            #expect(docs.contains(command))
        }
    }

    @Test func theValidatorsAreThoseSetupInstalls() throws {
        let docs = try Self.text("docs/kubernetes.md")
        let setup = try Self.text("scripts/setup.sh")
        #expect(setup.contains("kubernetes-validate==1.34.1") && docs.contains("kubernetes-validate](https://pypi.org/project/kubernetes-validate/) 1.34.1"))
        let versions = ValidationTests.kubernetesVersions.map { $0.split(separator: ".").prefix(2).joined(separator: ".") }
        #expect(docs.contains("Kubernetes **\(versions.joined(separator: " and "))**"))
    }
}
