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

    /// The preStop hook of an HTTP drain, run for real against agent-sim on loopback: it POSTs the drain request,
    /// waits while a call is live, and ends once the worker reports none (agent-sim's protobuf JSON, like LiveKit's,
    /// leaves active_jobs out at 0), without cutting the call.
    @Test func theHTTPDrainHookWaitsForTheLiveCallsToEnd() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Binaries.agentSim), "agent-sim not built at \(Binaries.agentSim)")
        let port = freeLoopbackPort()
        let sim = try TestProcess(Binaries.agentSim, ["--port", "\(port)", "--name", "hook", "--drain-linger", "30",
                                                      "--protobuf-json"])
        defer { sim.stop() }
        try #require(sim.waitForOutput(timeout: 15) { $0.contains("listening on 127.0.0.1:\(port)") }, "\(sim.output)")
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            containers:
              worker:
                compose: worker
                drain:
                  http: "http://127.0.0.1:\(port)/drain"
                  progress: "http://127.0.0.1:\(port)/worker"
                  network: container
                  timeout: 1m
            """.write(toFile: dir.appendingPathComponent("supervise.yaml").path, atomically: true, encoding: .utf8)
        try "services:\n  worker: {image: \"worker:1\"}\n"
            .write(toFile: dir.appendingPathComponent("compose.yaml").path, atomically: true, encoding: .utf8)
        let manifests = try runCommand("/bin/sh", ["-c", "cd '\(dir.path)' && '\(Binaries.supervise)' export kubernetes "
            + "--config supervise.yaml 2>/dev/null"])
        #expect(manifests.code == 0)
        // The hook is the literal block after `- |` in the Deployment's lifecycle.preStop.exec.command.
        let lines = manifests.output.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasSuffix("- |") }, "\(manifests.output)")
        let indent = String(repeating: " ", count: lines[start].prefix { $0 == " " }.count + 2)
        let script = lines[(start + 1)...].prefix { $0.hasPrefix(indent) }.map { $0.dropFirst(indent.count) + "\n" }.joined()
        #expect(script.hasPrefix("curl -fsS -X POST 'http://127.0.0.1:\(port)/drain'"), "\(script)")

        let call = httpRequest("POST", port: port, path: "/calls?duration=2", timeout: 5)
        #expect(call?.status == 201)
        let began = Date()
        let hook = try runCommand("/bin/sh", ["-c", script], timeout: 30)
        let took = Date().timeIntervalSince(began)
        #expect(hook.code == 0, "\(hook.output)")
        #expect(took > 1 && took < 15, "the hook ended after \(took) s")
        let worker = try #require(httpRequest("GET", port: port, path: "/worker", timeout: 5))
        #expect(worker.body.contains("\"draining\":true") && worker.body.contains("\"calls_completed\":1"), "\(worker.body)")
        #expect(!worker.body.contains("calls_cut"), "\(worker.body)")
    }
}
