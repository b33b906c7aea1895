@testable import SuperviseConfig
import SuperviseCore
import Testing

/// Yams names one duplicate key of one mapping per parse; the composer finds all of them with one pass of the event
/// parser (``DuplicateKeyScan``), so the number of parses does not grow with the number of duplicates.
@Suite("Duplicate keys in one pass")
struct DuplicateKeyPassTests {
    @Test("a file with 600 units that repeat a key, and a key 50 times in one mapping: three parses, every duplicate reported")
    func parsesDoNotGrowWithDuplicates() {
        let units = 600
        var yaml = "units:\n"
        for i in 0..<units { yaml += "  u\(i):\n    command: [a]\n    command: [b]\n" }
        yaml += "  flow: {command: [x]" + String(repeating: ", stop_timeout: 1s", count: 50) + "}\n"

        var parses = 0
        guard case .composed = YAMLComposer.compose(yaml, parses: &parses) else {
            Issue.record("the file did not compose")
            return
        }
        // Yams refuses it, the scan finds the 649 repeats, Yams composes the renamed copy.
        #expect(parses == 3)
        var cleanParses = 0
        _ = YAMLComposer.compose("units:\n  a: {command: [x]}\n", parses: &cleanParses)
        #expect(cleanParses == 1)

        let twice = "each key at most once in a mapping"
        var expected = (0..<units).map { i in
            error(4 + 3 * i, 5, "units.u\(i).command", found: "\"command\" a second time (first at line \(3 + 3 * i), column 5)",
                  expected: twice)
        }
        // `  flow: {command: [x], stop_timeout: 1s, ...`: the first stop_timeout at column 24, then every 18 columns.
        let flowLine = 2 + 3 * units
        expected += (1..<50).map { k in
            error(flowLine, 24 + 18 * k, "units.flow.stop_timeout",
                  found: "\"stop_timeout\" a second time (first at line \(flowLine), column 24)", expected: twice)
        }
        #expect(errors(yaml) == expected)
    }

    @Test("the scan finds the keys that repeat one of their own mapping: not values, not other mappings' keys, not complex keys")
    func scanFindsRepeatedKeys() {
        let text = """
            a: 1
            b: {a: 1, a: 2}
            a: a
            list:
              - {x: 1}
              - {x: 2, x: 3}
            ? [k]
            : 1
            ? [k]
            : 2
            "b": 3
            """
        #expect(DuplicateKeyScan.repeatedKeys(in: text) == [
            DuplicateKeyScan.Key(line: 2, column: 11, text: "a"),
            DuplicateKeyScan.Key(line: 3, column: 1, text: "a"),
            DuplicateKeyScan.Key(line: 6, column: 12, text: "x"),
            DuplicateKeyScan.Key(line: 11, column: 1, text: "b"),
        ])
        // Up to a syntax error: what came before it.
        #expect(DuplicateKeyScan.repeatedKeys(in: "a: 1\na: 2\nb: [\n") == [DuplicateKeyScan.Key(line: 2, column: 1, text: "a")])
    }

    @Test("a repeated key that cannot be renamed (an alias) is refused with the key as written and its first place")
    func aliasKeyRepeats() {
        #expect(errors("units:\n  &k a: {command: [x]}\n  *k : {command: [y]}\n") == [
            error(2, 3, "", found: "duplicate key \"a\"", expected: "each key at most once in a mapping"),
        ])
    }

    @Test("a syntax error after duplicate keys is reported at its place in the original text")
    func syntaxErrorAfterDuplicates() {
        let found = errors("units: {a: {command: [x]}, a: {command: [y]}, a: {command: [z]}}\nb: [\n")
        #expect(found.count == 1)
        #expect(found.first?.line == 3)
        #expect(found.first?.found.hasPrefix("a YAML syntax error") == true)
    }
}
