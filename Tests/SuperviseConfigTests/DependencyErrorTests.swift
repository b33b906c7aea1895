import SuperviseConfig
import SuperviseCore
import Testing

@Suite("depends_on")
struct DependencyErrorTests {
    @Test("an unknown unit lists the existing ones, with a suggestion when one is close")
    func unknownUnits() {
        let found = errors("""
            units:
              api-sim: {command: [x]}
              worker: {command: [x], depends_on: [api-sm, db]}
            """)
        #expect(found == [
            error(3, 39, "units.worker.depends_on[0]", found: "\"api-sm\"",
                  expected: "one of the units api-sim (did you mean \"api-sim\"?)"),
            error(3, 47, "units.worker.depends_on[1]", found: "\"db\"", expected: "one of the units api-sim"),
        ])
        #expect(errors("units:\n  a: {command: [x], depends_on: b}\n") == [
            error(2, 33, "units.a.depends_on", found: "\"b\"",
                  expected: "the name of a unit defined under units (there are no other units)"),
        ])
    }

    @Test("a unit that depends on itself, or names a unit twice")
    func selfAndRepeated() {
        let found = errors("""
            units:
              a: {command: [x], depends_on: [a]}
              b: {command: [x], depends_on: [a, a]}
            """)
        #expect(found == [
            error(2, 34, "units.a.depends_on[0]", found: "\"a\" (the unit itself)", expected: "the name of another unit"),
            error(3, 37, "units.b.depends_on[1]", found: "\"a\" a second time", expected: "each unit at most once"),
        ])
    }

    @Test("a cycle is reported once, named from its first unit in file order")
    func cycles() {
        let found = errors("""
            units:
              a: {command: [x], depends_on: b}
              b: {command: [x], depends_on: [a]}
              c: {command: [x], depends_on: [e]}
              d: {command: [x], depends_on: [c]}
              e: {command: [x], depends_on: [a, d]}
            """)
        #expect(found == [
            error(2, 33, "units.a.depends_on", found: "a dependency cycle a -> b -> a",
                  expected: "dependencies without cycles"),
            error(4, 34, "units.c.depends_on[0]", found: "a dependency cycle c -> e -> d -> c",
                  expected: "dependencies without cycles"),
        ])
    }

    @Test("dependencies are kept in the order written")
    func order() throws {
        let yaml = """
            units:
              db: {command: [x]}
              cache: {command: [x]}
              api: {command: [x], depends_on: [db, cache]}
              web: {command: [x], depends_on: api}
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        #expect(config.units.map(\.dependsOn) == [[], [], ["db", "cache"], ["api"]])
    }
}
