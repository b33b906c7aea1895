import Foundation
import Testing
@testable import supervise

/// Every `supervise …` command line in `runbooks/` must parse with the real CLI parser (arguments,
/// flags and option values, such as `--then restart` or `--timeout 20m`), so runbooks cannot rot.
@Suite struct RunbookCommandTests {
    static let runbooks = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("runbooks")

    /// `supervise` command lines inside the runbooks' code blocks and inline code spans, with their file and line.
    static func commands() throws -> [(file: String, line: Int, argv: [String])] {
        let files = try FileManager.default.contentsOfDirectory(atPath: runbooks.path).filter { $0.hasSuffix(".md") }.sorted()
        return try files.flatMap { file in
            commands(in: try String(contentsOf: runbooks.appendingPathComponent(file), encoding: .utf8), file: file)
        }
    }

    /// The `supervise` command lines of one Markdown text.
    static func commands(in text: String, file: String) -> [(file: String, line: Int, argv: [String])] {
        var found: [(String, Int, [String])] = []
        var inBlock = false
        for (n, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") { inBlock.toggle(); continue }
            var candidates: [String] = []
            if inBlock {
                candidates.append(line)
            } else {
                // Inline code: `supervise restart worker-3`
                let parts = raw.components(separatedBy: "`")
                candidates += stride(from: 1, to: parts.count, by: 2).map { parts[$0] }
            }
            for candidate in candidates {
                let command = candidate.hasPrefix("sudo ") ? String(candidate.dropFirst(5)) : candidate
                guard command.hasPrefix("supervise ") else { continue }
                // Shell words: runbooks use no quoting in supervise lines; strip trailing comments.
                let words = command.components(separatedBy: " #").first!.split(separator: " ").map(String.init)
                found.append((file, n + 1, Array(words.dropFirst())))
            }
        }
        return found
    }

    @Test func runbooksExistForEveryIncident() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.runbooks.path)
        for expected in ["unit-failed-restart-loop.md", "drain-worker-for-maintenance.md", "roll-out-new-worker-image.md",
                         "api-replica-unhealthy.md", "docker-daemon-restarted-or-unreachable.md",
                         "supervise-restarted-or-not-running.md", "state-directory-full-or-unwritable.md",
                         "unit-stopping-with-processes-left.md"] {
            #expect(names.contains(expected), "missing runbook \(expected)")
        }
    }

    @Test func everySuperviseCommandInTheRunbooksParses() throws {
        let commands = try Self.commands()
        #expect(commands.count >= 30, "found only \(commands.count) supervise commands")
        for (file, line, argv) in commands {
            do {
                _ = try Supervise.parseAsRoot(argv)
            } catch {
                Issue.record("runbooks/\(file):\(line): `supervise \(argv.joined(separator: " "))` does not parse: \(Supervise.message(for: error))")
            }
        }
        // The commands the incidents rely on are among them.
        let lines = Set(commands.map { $0.argv.prefix(1).joined() })
        for subcommand in ["status", "drain", "undrain", "restart", "stop", "start", "reset", "check-config"] {
            #expect(lines.contains(subcommand), "no runbook uses `supervise \(subcommand)`")
        }
    }

    @Test func theExtractorFindsBlockAndInlineCommandsAndTheParserRejectsBadOnes() throws {
        let text = """
            Run `supervise status` first, then `docker ps` (not ours).

            ```
            sudo supervise drain worker-3 --then restart   # keeps calls
            systemctl status supervise
            supervise drain worker-3 --then later
            ```
            """
        let found = Self.commands(in: text, file: "t.md")
        #expect(found.map(\.line) == [1, 4, 6])
        #expect(found.map(\.argv) == [["status"], ["drain", "worker-3", "--then", "restart"], ["drain", "worker-3", "--then", "later"]])
        // What the extractor hands over is judged by the real parser: the last line is rejected.
        #expect(throws: Never.self) { try Supervise.parseAsRoot(found[1].argv) }
        #expect(throws: (any Error).self) { try Supervise.parseAsRoot(found[2].argv) }
        #expect(throws: (any Error).self) { try Supervise.parseAsRoot(["drain", "worker-3", "--timeout", "soon"]) }
        #expect(throws: (any Error).self) { try Supervise.parseAsRoot(["stauts"]) }
        #expect(throws: (any Error).self) { try Supervise.parseAsRoot(["restart", "--rollling", "worker"]) }
    }
}
