import SuperviseConfig
import SuperviseCore
import Testing

let unitNameExpected = "a unit name of at most 64 letters, digits, _ . @ and -, starting with a letter or digit"

/// Names with control characters, and nesting past the YAML parser's limit.
@Suite("Control characters and deep nesting")
struct ConfigFaultTests {
    /// Whether `text` holds a scalar a terminal could act on, or that reorders the text on screen.
    static func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains {
            [.control, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory)
                || $0.properties.isBidiControl
        }
    }

    @Test("names with control characters are escaped wherever errors show them: found, key paths, lists, cycles")
    func controlCharactersInNames() {
        // YAML escapes: \e is ESC, \x9b the 8-bit CSI, \u202e a right-to-left override, \n and \t.
        let found = errors(#"""
            units:
              "a\e[2Jb": {command: [x], comand: y}
              ok: {command: [x], depends_on: ["c\x9b2J", "d\te", "a\e[2Jc"]}
              "x\ny": {command: [x], depends_on: ["z\u202e"]}
              "z\u202e": {command: [x], depends_on: ["x\ny"]}
            """#)
        let others = #"one of the units "a\u{1B}[2Jb", "x\ny" or "z\u{202E}""#
        #expect(found == [
            error(2, 3, #"units."a\u{1B}[2Jb""#, found: #""a\u{1B}[2Jb""#, expected: unitNameExpected),
            error(2, 29, #"units."a\u{1B}[2Jb".comand"#, found: #"unknown key "comand""#,
                  expected: #"a known key (did you mean "command"?)"#),
            error(3, 35, "units.ok.depends_on[0]", found: #""c\u{9B}2J""#, expected: others),
            error(3, 46, "units.ok.depends_on[1]", found: #""d\te""#, expected: others),
            error(3, 54, "units.ok.depends_on[2]", found: #""a\u{1B}[2Jc""#,
                  expected: #"one of the units "a\u{1B}[2Jb", "x\ny" or "z\u{202E}" (did you mean "a\u{1B}[2Jb"?)"#),
            error(4, 3, #"units."x\ny""#, found: #""x\ny""#, expected: unitNameExpected),
            error(4, 39, #"units."x\ny".depends_on[0]"#, found: #"a dependency cycle "x\ny" -> "z\u{202E}" -> "x\ny""#,
                  expected: "dependencies without cycles"),
            error(5, 3, #"units."z\u{202E}""#, found: #""z\u{202E}""#, expected: unitNameExpected),
        ])
        #expect(!found.contains { Self.hasControl($0.description) })
    }

    @Test("an error's line escapes control characters that reach it some other way, such as in the file name")
    func descriptionEscapes() {
        let line = ConfigDiagnostic(file: "/tmp/a\u{1B}[2J.yaml", line: 1, column: 2, keyPath: "units",
                               found: "a\u{9B}b", expected: "c\nd").description
        #expect(line == #"/tmp/a\u{1B}[2J.yaml:1:2: units: found a\u{9B}b, expected c\nd"#)
        #expect(!Self.hasControl(line))
    }

    @Test("nesting past the parser's limit is our error, with a position, at exactly 1000 levels")
    func deepNesting() {
        // The root mapping, and one more per `k:` line (the first is x's mapping): 999 levels pass, 1000 do not.
        func nested(_ levels: Int) -> String {
            var yaml = "units: {}\nx:\n"
            for level in 1...(levels - 1) { yaml += String(repeating: " ", count: level) + "k:\n" }
            return yaml
        }
        let unknownX = error(2, 1, "x", found: "unknown key \"x\"",
                             expected: "one of control, state_dir, docker, defaults, units, containers, queues, notify or metrics")
        #expect(errors(nested(999)) == [unknownX])
        let tooDeep = error(1001, 1000, "", found: "lists and mappings nested 1000 or more levels deep",
                            expected: "fewer than 1000 levels of nesting (the YAML parser's limit)")
        #expect(errors(nested(1000)) == [tooDeep])
        // Flow collections: the parser counts where its scanner has read to, ahead of the list it is at.
        let flow = "units: {}\nx: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        #expect(errors(flow) == [error(2, 5, "", found: "lists and mappings nested 1000 or more levels deep",
                                       expected: "fewer than 1000 levels of nesting (the YAML parser's limit)")])
        #expect(!errors(flow).contains { $0.description.contains("yaml_set_max_nest_level") })
    }
}
