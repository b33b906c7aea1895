import Foundation
import SuperviseConfig
import SuperviseCore
import Testing

@Suite("Whole documents and files")
struct DocumentErrorTests {
    @Test("several problems in one file are reported at once, sorted, one per line")
    func severalErrors() {
        let yaml = """
            state_dir: relative
            units:
              worker-1:
                command: [agent-sim]
                stop_timeout: 10 seconds
                restart:
                  policy: sometimes
                  backoff: {initial: 100ms, jitter: 2}
              worker-2:
                comand: [agent-sim]
                depends_on: [worker-1, nope]
            control: {mode: 999}
            """
        let found = errors(yaml)
        #expect(found == [
            error(1, 12, "state_dir", found: "\"relative\"", expected: "an absolute path such as /var/lib/supervise"),
            error(5, 19, "units.worker-1.stop_timeout", found: "\"10 seconds\"", expected: durationExpected),
            error(7, 15, "units.worker-1.restart.policy", found: "\"sometimes\"",
                  expected: "one of no, on-failure, always or unless-stopped"),
            error(8, 41, "units.worker-1.restart.backoff.jitter", found: "2",
                  expected: "a number from 0 to 1, such as 0.1"),
            error(9, 3, "units.worker-2.command", found: "no \"command\"", expected: commandExpected),
            error(10, 5, "units.worker-2.comand", found: "unknown key \"comand\"",
                  expected: "a known key (did you mean \"command\"?)"),
            error(11, 28, "units.worker-2.depends_on[1]", found: "\"nope\"", expected: "one of the units worker-1"),
            error(12, 17, "control.mode", found: "999",
                  expected: "octal permission bits such as \"0660\" (at most 0777); a plain 999 is decimal: "
                      + "write 0999 or \"999\""),
        ])
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: testFile)
        } catch let thrown as InvalidConfig {
            let lines = thrown.description.split(separator: "\n").map(String.init)
            #expect(lines.count == 8)
            #expect(lines[0] == "supervise.yaml:1:12: state_dir: found \"relative\", "
                + "expected an absolute path such as /var/lib/supervise")
            #expect(lines[5] == "supervise.yaml:10:5: units.worker-2.comand: found unknown key \"comand\", "
                + "expected a known key (did you mean \"command\"?)")
            #expect(thrown.description == found.map(\.description).joined(separator: "\n"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("InvalidConfig sorts by line then column, keeping the order of errors at the same place")
    func sorting() {
        let a = error(3, 1, "a", found: "x", expected: "y")
        let b = error(1, 9, "b", found: "x", expected: "y")
        let c = error(1, 2, "c", found: "x", expected: "y")
        let d = error(1, 2, "d", found: "x", expected: "y")
        let errors = InvalidConfig([a, b, c, d])
        #expect(errors.errors == [c, d, b, a])
        #expect(errors.description == """
            supervise.yaml:1:2: c: found x, expected y
            supervise.yaml:1:2: d: found x, expected y
            supervise.yaml:1:9: b: found x, expected y
            supervise.yaml:3:1: a: found x, expected y
            """)
    }

    @Test("a YAML syntax error has its line and column")
    func syntaxError() {
        let found = errors("""
            units:
              a: {command: [x]
              b: {command: [y]}
            """)
        #expect(found == [
            error(3, 3, "", found: "a YAML syntax error: did not find expected ',' or '}' "
                + "(while parsing a flow mapping at line 2, column 6)", expected: "valid YAML"),
        ])
        #expect(found.first?.description == "supervise.yaml:3:3: found a YAML syntax error: did not find expected "
            + "',' or '}' (while parsing a flow mapping at line 2, column 6), expected valid YAML")
        #expect(errors("units:\n  a:\n\tcommand: [x]\n") == [
            error(3, 1, "", found: "a tab character", expected: "spaces for indentation (YAML does not allow tabs there)"),
        ])
        #expect(errors("units: {}\n---\nunits: {}\n") == [
            error(2, 1, "", found: "a second YAML document", expected: "a single document (nothing after a second \"---\")"),
        ])
    }

    @Test("an empty document, or one that is not a mapping")
    func notAMapping() {
        let empty = error(1, 1, "", found: "an empty document", expected: "a mapping with at least a \"units\" or \"containers\" key")
        #expect(errors("") == [empty])
        #expect(errors("# nothing yet\n") == [empty])
        #expect(errors("---\n...\n") == [empty])
        #expect(errors("- units\n") == [
            error(1, 1, "", found: "a list", expected: "a mapping with the keys control, state_dir, docker, defaults, units, containers, queues, notify and metrics"),
        ])
        #expect(errors("\n\nunits\n") == [
            error(3, 1, "", found: "\"units\"", expected: "a mapping with the keys control, state_dir, docker, defaults, units, containers, queues, notify and metrics"),
        ])
        #expect(errors("state_dir: /x\n") == [
            error(1, 1, "units", found: "no \"units\"", expected: "a mapping of unit names to units (units: {} for none)"),
        ])
        #expect(errors("units: [a, b]\n") == [
            error(1, 8, "units", found: "a list",
                  expected: "a mapping of unit names to units, such as {api: {command: [/usr/bin/api]}}"),
        ])
    }

    @Test("a missing file names the file and the OS error")
    func missingFile() {
        let path = "/nonexistent-supervise-test/supervise.yaml"
        #expect(throws: InvalidConfig([ConfigDiagnostic(file: path, line: 0, column: 0, keyPath: "",
                                                  found: "an error opening the file: No such file or directory",
                                                  expected: "a readable YAML file")])) {
            try ConfigLoader.load(path: path)
        }
        do {
            _ = try ConfigLoader.load(path: path)
        } catch {
            #expect("\(error)" == "/nonexistent-supervise-test/supervise.yaml: found an error opening the file: "
                + "No such file or directory, expected a readable YAML file")
        }
    }

    @Test("a directory is not a configuration file")
    func directory() {
        #expect(throws: InvalidConfig([ConfigDiagnostic(file: "/", line: 0, column: 0, keyPath: "",
                                                  found: "an error reading the file: Is a directory",
                                                  expected: "a readable YAML file")])) {
            try ConfigLoader.load(path: "/")
        }
    }

    @Test("load reads a file from disk, and reports bytes that are not UTF-8 where they are")
    func loadFromDisk() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("supervise-config-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let good = directory.appendingPathComponent("supervise.yaml")
        try Data("units:\n  api-sim:\n    command: [\"/usr/bin/agent-sim\", \"--port\", \"8080\"]\n".utf8).write(to: good)
        #expect(try ConfigLoader.load(path: good.path) == SupervisorConfig(units: [
            UnitSpec(name: "api-sim", command: ["/usr/bin/agent-sim", "--port", "8080"]),
        ]))

        let bad = directory.appendingPathComponent("bad.yaml")
        try Data([0x75, 0x6E, 0x69, 0x74, 0x73, 0x3A, 0x0A, 0x20, 0x20, 0xFF, 0x3A, 0x20, 0x7B, 0x7D, 0x0A]).write(to: bad)
        #expect(throws: InvalidConfig([ConfigDiagnostic(file: bad.path, line: 2, column: 3, keyPath: "",
                                                  found: "bytes that are not UTF-8", expected: "UTF-8 text")])) {
            try ConfigLoader.load(path: bad.path)
        }
    }

    @Test("control characters are refused where they are")
    func controlCharacters() {
        #expect(errors("units:\n  a: {command: [\"x\u{1}\"]}\n") == [
            error(2, 19, "", found: "unreadable text: control characters are not allowed (U+0001)",
                  expected: "printable UTF-8 text"),
        ])
    }
}
