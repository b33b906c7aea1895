import SuperviseConfig
import SuperviseCore
import Testing

@Suite("Unknown and duplicate keys")
struct KeyErrorTests {
    @Test("an unknown key close to a known one gets a did-you-mean")
    func didYouMean() {
        let found = errors("""
            unit:
              a: {comand: [x]}
            """)
        #expect(found == [
            error(1, 1, "unit", found: "unknown key \"unit\"", expected: "a known key (did you mean \"units\"?)"),
            error(1, 1, "units", found: "no \"units\"", expected: "a mapping of unit names to units (units: {} for none)"),
        ])
        #expect(errors(unitA("    comand: [y]\n    workdir: /x\n    dependson: [b]\n    restart: {polcy: always}\n")) == [
            error(4, 5, "units.a.comand", found: "unknown key \"comand\"",
                  expected: "a known key (did you mean \"command\"?)"),
            error(5, 5, "units.a.workdir", found: "unknown key \"workdir\"",
                  expected: "a known key (did you mean \"working_dir\"?)"),
            error(6, 5, "units.a.dependson", found: "unknown key \"dependson\"",
                  expected: "a known key (did you mean \"depends_on\"?)"),
            error(7, 15, "units.a.restart.polcy", found: "unknown key \"polcy\"",
                  expected: "a known key (did you mean \"policy\"?)"),
        ])
    }

    @Test("a prefix of two keys suggests both; a key like none lists the allowed ones")
    func prefixesAndLists() {
        #expect(errors(unitA("    stop: 5s\n    colour: red\n")) == [
            error(4, 5, "units.a.stop", found: "unknown key \"stop\"",
                  expected: "a known key (did you mean \"stop_signal\" or \"stop_timeout\"?)"),
            error(5, 5, "units.a.colour", found: "unknown key \"colour\"", expected: "one of \(unitKeys)"),
        ])
        #expect(errors("control: {sock: /x, owner: root}\nunits: {}\n") == [
            error(1, 11, "control.sock", found: "unknown key \"sock\"", expected: "a known key (did you mean \"socket\"?)"),
            error(1, 21, "control.owner", found: "unknown key \"owner\"", expected: "one of socket, group or mode"),
        ])
    }

    @Test("keys in the wrong place say where they belong")
    func misplacedKeys() {
        let found = errors("""
            defaults:
              command: [x]
              depends_on: [a]
            units:
              a:
                command: [x]
                policy: always
            """)
        #expect(found == [
            error(2, 3, "defaults.command", found: "unknown key \"command\"",
                  expected: "a key allowed in defaults (command is set in each unit)"),
            error(3, 3, "defaults.depends_on", found: "unknown key \"depends_on\"",
                  expected: "a key allowed in defaults (depends_on is set in each unit)"),
            error(7, 5, "units.a.policy", found: "unknown key \"policy\"",
                  expected: "a key of a unit (policy goes under restart: restart: {policy: ...})"),
        ])
    }

    @Test("a duplicate key is reported at its second occurrence, and the rest of the file is still checked")
    func duplicateKeys() {
        let found = errors("""
            units:
              a:
                command: [x]
                stop_timeout: 1s
                command: [y]
              b: {command: [x], stop_timeout: forever}
              a:
                command: [z]
            """)
        #expect(found == [
            error(5, 5, "units.a.command", found: "\"command\" a second time (first at line 3, column 5)",
                  expected: "each key at most once in a mapping"),
            error(6, 35, "units.b.stop_timeout", found: "\"forever\"", expected: durationExpected),
            error(7, 3, "units.a", found: "\"a\" a second time (first at line 2, column 3)",
                  expected: "each key at most once in a mapping"),
        ])
    }

    @Test("duplicates on one line keep exact columns, also quoted, anchored and repeated three times")
    func duplicateKeysInFlowMappings() {
        #expect(errors("units: {x: {command: [a], bad: 1}, x: {command: [b]}, x: {command: [c]}}\n") == [
            error(1, 27, "units.x.bad", found: "unknown key \"bad\"", expected: "one of \(unitKeys)"),
            error(1, 36, "units.x", found: "\"x\" a second time (first at line 1, column 9)",
                  expected: "each key at most once in a mapping"),
            error(1, 55, "units.x", found: "\"x\" a second time (first at line 1, column 9)",
                  expected: "each key at most once in a mapping"),
        ])
        #expect(errors("units:\n  \"x\": {command: [a], env: {A: 1, \"A\": 2}}\n  'x': {command: [b]}\n") == [
            error(2, 35, "units.x.env.A", found: "\"A\" a second time (first at line 2, column 29)",
                  expected: "each key at most once in a mapping"),
            error(3, 3, "units.x", found: "\"x\" a second time (first at line 2, column 3)",
                  expected: "each key at most once in a mapping"),
        ])
        #expect(errors("units:\n  &k a: {command: [x]}\n  a: {command: [y]}\n") == [
            error(3, 3, "units.a", found: "\"a\" a second time (first at line 2, column 3)",
                  expected: "each key at most once in a mapping"),
        ])
    }

    @Test("a key that is not a scalar")
    func complexKey() {
        #expect(errors("units:\n  [a, b]: {command: [x]}\n") == [
            error(2, 3, "units", found: "a list as a key", expected: "a key name"),
        ])
    }
}
