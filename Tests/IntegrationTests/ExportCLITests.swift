import Foundation
import Testing

/// `supervise export kubernetes` as a person runs it: the documented command in examples/kubernetes/ prints the
/// reviewed manifests on stdout and the notices on stderr, and bad input exits with the documented codes.
@Suite(.serialized) struct ExportCLITests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/kubernetes")
    static let arguments = "export kubernetes --config supervise.yaml --compose docker-compose.prod.yml "
        + "--compose docker-compose.data.yml --compose docker-compose.agents.yml"

    /// Runs `supervise ARGUMENTS` in examples/kubernetes/ with VERSION unset, keeping stdout or stderr only.
    func inExample(_ arguments: String, keep: String) throws -> (code: Int32, output: String) {
        let redirect = keep == "stdout" ? "2>/dev/null" : "2>&1 >/dev/null"
        return try runCommand("/bin/sh", ["-c", "cd '\(Self.example.path)' && env -u VERSION '\(Binaries.supervise)' \(arguments) \(redirect)"])
    }

    @Test func theDocumentedCommandPrintsTheReviewedManifests() throws {
        let stdout = try inExample(Self.arguments, keep: "stdout")
        #expect(stdout.code == 0)
        #expect(stdout.output == (try String(contentsOf: Self.example.appendingPathComponent("manifests.yaml"), encoding: .utf8)))
        let stderr = try inExample(Self.arguments, keep: "stderr")
        #expect(stderr.output == (try String(contentsOf: Self.example.appendingPathComponent("notices.txt"), encoding: .utf8)))
    }

    @Test func theVersionComesFromTheEnvironmentAndNamespaceAndServiceApply() throws {
        let result = try runCommand("/bin/sh", ["-c", "cd '\(Self.example.path)' && VERSION=1.4.2 '\(Binaries.supervise)' "
            + "\(Self.arguments) --namespace agent-studio --service worker 2>/dev/null"])
        #expect(result.code == 0)
        #expect(result.output.contains("image: agent-studio-worker:1.4.2\n"))
        #expect(result.output.contains("  namespace: agent-studio\n"))
        #expect(!result.output.contains("name: api\n"))
    }

    @Test func badInputExitsWithTheDocumentedCodes() throws {
        let unknown = try inExample(Self.arguments + " --service wroker", keep: "stderr")
        #expect(unknown.code == 3)
        #expect(unknown.output.contains("no container service named \"wroker\" to export; services: api, worker, worker-meal-agent"),
                "\(unknown.output)")
        // ADR-010's file alone names db and redis without defining them: Compose refuses it, and so does the export.
        let alone = try inExample("export kubernetes --config supervise.yaml --compose docker-compose.prod.yml", keep: "stderr")
        #expect(alone.code == 78)
        #expect(alone.output.contains("docker-compose.prod.yml:16:7: services.api.depends_on.db: found \"db\", expected a "
                                      + "service of the Compose files"), "\(alone.output)")
        let namespace = try inExample(Self.arguments + " --namespace Voice_1", keep: "stderr")
        #expect(namespace.code == 64)
    }
}
