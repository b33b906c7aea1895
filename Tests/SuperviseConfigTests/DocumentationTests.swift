import Foundation
import SuperviseConfig
import SuperviseCore
import Testing

/// Keeps docs/configuration.md honest: its examples parse, and its error listings are the loader's real output.
@Suite("docs/configuration.md")
struct DocumentationTests {
    /// A fenced code block: its info string (`yaml`, or empty) and its text.
    struct Block {
        var language: String
        var text: String
    }

    static func blocks() throws -> [Block] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/configuration.md")
        let markdown = try String(contentsOf: docs, encoding: .utf8)
        var result: [Block] = []
        var current: Block?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let block = current {
                    result.append(block)
                    current = nil
                } else {
                    current = Block(language: String(line.dropFirst(3)), text: "")
                }
            } else if current != nil {
                current!.text += line + "\n"
            }
        }
        return result
    }

    @Test("every YAML example parses, unless an error listing follows it")
    func examplesParse() throws {
        let blocks = try Self.blocks()
        var parsed = 0
        for (index, block) in blocks.enumerated() where block.language == "yaml" {
            let listing = blocks.indices.contains(index + 1) ? blocks[index + 1] : nil
            if let listing, listing.language.isEmpty, listing.text.hasPrefix(testFile) { continue }
            do {
                _ = try ConfigLoader.parse(yaml: block.text, file: testFile)
            } catch {
                Issue.record("example \(index) does not parse: \(error)")
            }
            parsed += 1
        }
        #expect(parsed >= 2)
    }

    @Test("the main example's probes are the documented ones")
    func mainExample() throws {
        let example = try #require(try Self.blocks().first { $0.language == "yaml" })
        let config = try ConfigLoader.parse(yaml: example.text, file: testFile)
        let units = Dictionary(uniqueKeysWithValues: config.units.map { ($0.name, $0) })
        #expect(units["api-sim"]?.readiness == ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8080)))
        #expect(units["worker-1"]?.liveness == ProbeSpec(
            check: .http(HTTPCheck(url: "http://127.0.0.1:8081/healthz")), interval: .seconds(5),
            timeout: .milliseconds(500), startPeriod: .seconds(10)))
        #expect(units["worker-1"]?.readiness == ProbeSpec(check: .tcp(host: "127.0.0.1", port: 8081)))
        #expect(units["worker-2"]?.liveness == ProbeSpec(check: .exec(command: ["sh", "-c", "test -f /tmp/worker-2.ok"])))
        #expect(units["worker-2"]?.readiness == nil)
    }

    @Test("each error listing is what the loader reports for the YAML before it")
    func errorListings() throws {
        let blocks = try Self.blocks()
        var checked = 0
        for (yaml, listing) in zip(blocks, blocks.dropFirst())
        where yaml.language == "yaml" && listing.language.isEmpty && listing.text.hasPrefix(testFile) {
            let expected = listing.text.split(separator: "\n").map(String.init)
            #expect(errors(yaml.text).map(\.description) == expected)
            checked += 1
        }
        #expect(checked >= 2)
    }
}
