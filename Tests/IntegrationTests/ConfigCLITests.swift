import Foundation
import Testing

/// `supervise check-config` and `supervise run` on bad files: the documented errors and exit code 78.
@Suite(.serialized) struct ConfigCLITests {
    static let bad = """
        units:
          worker-1:
            comand: [sleep, "1"]
            stop_timeout: 10 seconds
          worker-2:
            command: [sleep, "1"]
            depends_on: [nope]
        """

    @Test func checkConfigReportsEveryErrorWithItsPosition() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.yaml").path
        try Self.bad.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runCommand(Binaries.supervise, ["check-config", path])
        #expect(result.code == 78)
        let expected = [
            "\(path):2:3: units.worker-1.command: found no \"command\", expected a non-empty list of strings",
            "\(path):3:5: units.worker-1.comand: found unknown key \"comand\", expected a known key (did you mean \"command\"?)",
            "\(path):4:19: units.worker-1.stop_timeout: found \"10 seconds\", expected a duration such as 250ms, 10s, 5m or 1h",
            "\(path):7:18: units.worker-2.depends_on[0]: found \"nope\"",
        ]
        for line in expected { #expect(result.output.contains(line), "missing: \(line)\n\(result.output)") }
        #expect(!result.output.contains("Fatal error"))
    }

    @Test func checkConfigAcceptsAGoodFileAndTheDemo() throws {
        let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/demo.yaml").path
        let result = try runCommand(Binaries.supervise, ["check-config", demo])
        #expect(result.code == 0)
        #expect(result.output.contains("OK (7 units: api-sim, worker-1, worker-2, worker-3, flaky-worker, agent-1, agent-2)"), "\(result.output)")
    }

    @Test func theDaemonRefusesABadConfigWithTheSameErrorsAndNoCrash() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.yaml").path
        try Self.bad.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runCommand(Binaries.supervise, ["run", "--config", path, "--socket", dir.appendingPathComponent("c.sock").path,
                                                         "--state-dir", dir.appendingPathComponent("state").path])
        #expect(result.code == 78)
        #expect(result.output.hasPrefix("supervise: cannot load configuration:\n\(path):2:3: units.worker-1.command: found no \"command\""))
        #expect(result.output.contains("\(path):3:5: units.worker-1.comand: found unknown key"))
        #expect(!result.output.contains("Fatal error") && !result.output.contains("Stack dump"))
        let missing = try runCommand(Binaries.supervise, ["run", "--config", dir.appendingPathComponent("none.yaml").path])
        #expect(missing.code == 78)
        #expect(missing.output.contains("none.yaml: found an error opening the file: No such file or directory"))
    }
}
