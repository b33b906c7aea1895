import Foundation
import SuperviseConfig
import SuperviseCore
import Testing

/// `depends_on`'s long form (Compose's): a mapping of unit names to `{condition: ...}`.
@Suite("depends_on conditions")
struct DependencyConditionTests {
    @Test("the short, long and mixed forms decode to the written names and conditions")
    func validForms() throws {
        let yaml = """
            units:
              db: {command: [x]}
              migrate: {command: [x], restart: on-failure}
              seed: {command: [x], restart: {policy: no}}
              cache: {command: [x]}
              api:
                command: [x]
                depends_on:
                  db: {condition: service_healthy}
                  migrate: {condition: service_completed_successfully}
                  seed: {condition: service_completed_successfully}
                  cache: {}
              worker:
                command: [x]
                depends_on: [api, cache]
              web:
                command: [x]
                depends_on:
                  api:
                  worker: {condition: service_started, required: true, restart: false}
                  cache: {required: yes, restart: no}
              one: {command: [x], depends_on: db}
              none: {command: [x], depends_on: {}}
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        let dependencies = Dictionary(uniqueKeysWithValues: config.units.map { ($0.name, $0.dependsOn) })
        #expect(dependencies["api"] == [
            DependencySpec("db", condition: .healthy),
            DependencySpec("migrate", condition: .completedSuccessfully),
            DependencySpec("seed", condition: .completedSuccessfully),
            DependencySpec("cache", condition: .started),
        ])
        #expect(dependencies["worker"] == [DependencySpec("api"), DependencySpec("cache")])
        #expect(dependencies["web"] == [DependencySpec("api"), DependencySpec("worker"), DependencySpec("cache")])
        #expect(dependencies["one"] == [DependencySpec("db")])
        #expect(dependencies["none"] == [])
        #expect(dependencies["db"] == [])
        #expect(dependencies["api"]?.map(\.description) == [
            "db (service_healthy)", "migrate (service_completed_successfully)",
            "seed (service_completed_successfully)", "cache",
        ])
    }

    @Test("an unknown condition lists the three, with a suggestion when one is close")
    func unknownConditions() {
        let found = errors("""
            units:
              db: {command: [x]}
              api:
                command: [x]
                depends_on:
                  db: {condition: service_healty}
              web:
                command: [x]
                depends_on: {db: {condition: healthy}, api: {condition: [service_started]}}
              worker:
                command: [x]
                depends_on: {db: {condition: service_running}, api: {condition: }}
            """)
        let conditions = "one of service_started, service_healthy or service_completed_successfully"
        #expect(found == [
            error(6, 23, "units.api.depends_on.db.condition", found: "\"service_healty\"",
                  expected: conditions + " (did you mean \"service_healthy\"?)"),
            error(9, 34, "units.web.depends_on.db.condition", found: "\"healthy\"",
                  expected: conditions + " (did you mean \"service_healthy\"?)"),
            error(9, 61, "units.web.depends_on.api.condition", found: "a list", expected: conditions),
            error(12, 34, "units.worker.depends_on.db.condition", found: "\"service_running\"", expected: conditions),
            error(12, 69, "units.worker.depends_on.api.condition", found: "an empty value", expected: conditions),
        ])
    }

    @Test("an entry that is not a mapping, an unknown key in one, and a condition written as a unit")
    func entryShapes() {
        let found = errors("""
            units:
              db: {command: [x]}
              api:
                command: [x]
                depends_on:
                  db: service_healthy
              web:
                command: [x]
                depends_on:
                  db: [condition]
              worker:
                command: [x]
                depends_on:
                  db: {condtion: service_healthy, timeout: 5s}
              agent:
                command: [x]
                depends_on:
                  db:
                  condition: service_healthy
              job:
                command: [x]
                depends_on:
                  - db: {condition: service_healthy}
              cron:
                command: [x]
                depends_on:
                condition: service_healthy
            """)
        let dependsOnExpected = "a list of unit names, one name, or a mapping of unit names to conditions, "
            + "such as {db: {condition: service_healthy}}"
        #expect(found == [
            error(6, 11, "units.api.depends_on.db", found: "\"service_healthy\"",
                  expected: "a mapping: {condition: service_healthy}"),
            error(10, 11, "units.web.depends_on.db", found: "a list",
                  expected: "a mapping such as {condition: service_healthy} (or an empty one, for service_started)"),
            error(14, 12, "units.worker.depends_on.db.condtion", found: "unknown key \"condtion\"",
                  expected: "a known key (did you mean \"condition\"?)"),
            error(14, 39, "units.worker.depends_on.db.timeout", found: "unknown key \"timeout\"",
                  expected: "one of condition, required or restart"),
            error(19, 7, "units.agent.depends_on.condition", found: "\"condition\" as a unit name",
                  expected: "a unit name (condition goes inside the unit's entry: "
                      + "depends_on: {db: {condition: ...}})"),
            error(23, 9, "units.job.depends_on[0]", found: "a mapping",
                  expected: "a unit name (with conditions, depends_on is a mapping, without \"-\": "
                      + "depends_on: {db: {condition: service_healthy}})"),
            error(26, 16, "units.cron.depends_on", found: "an empty value", expected: dependsOnExpected),
            error(27, 5, "units.cron.condition", found: "unknown key \"condition\"",
                  expected: "a key of a unit (condition goes under depends_on: depends_on: {NAME: {condition: ...}})"),
        ])
    }

    @Test("Compose's required and restart: only their defaults, required: true and restart: false")
    func requiredAndRestart() {
        let found = errors("""
            units:
              db: {command: [x]}
              api:
                command: [x]
                depends_on:
                  db: {condition: service_healthy, required: false, restart: true}
              web:
                command: [x]
                depends_on: {db: {required: "true", restart: later}}
            """)
        let requiredExpected = "true, or no required (every dependency is required: a unit waits for each of its "
            + "dependencies, and they must be units of this file)"
        let restartExpected = "false, or no restart (a dependency's restart does not restart the units that depend "
            + "on it)"
        #expect(found == [
            error(6, 50, "units.api.depends_on.db.required", found: "false", expected: requiredExpected),
            error(6, 66, "units.api.depends_on.db.restart", found: "true", expected: restartExpected),
            error(9, 33, "units.web.depends_on.db.required", found: "\"true\"", expected: requiredExpected),
            error(9, 50, "units.web.depends_on.db.restart", found: "\"later\"", expected: restartExpected),
        ])
    }

    @Test("service_completed_successfully on a unit restarted after every exit, naming where its policy is set")
    func completionThatNeverComes() {
        let found = errors("""
            defaults:
              restart: {policy: always}
            units:
              migrate: {command: [x]}
              seed: {command: [x], restart: unless-stopped}
              cron: {command: [x], restart: {policy: on-failure}}
              once: {command: [x], restart: no}
              api:
                command: [x]
                depends_on:
                  migrate: {condition: service_completed_successfully}
                  seed: {condition: service_completed_successfully}
                  cron: {condition: service_completed_successfully}
                  once: {condition: service_completed_successfully}
              web:
                command: [x]
                depends_on: {migrate: {condition: service_healthy}, seed: {}}
            """)
        func expected(_ name: String) -> String {
            "restart: no or on-failure for \"\(name)\" (a unit restarted after every exit never completes), "
                + "or the condition service_started or service_healthy"
        }
        #expect(found == [
            error(11, 28, "units.api.depends_on.migrate.condition",
                  found: "\"service_completed_successfully\" for \"migrate\", whose restart policy is always "
                      + "(defaults.restart.policy at line 2, column 21)",
                  expected: expected("migrate")),
            error(12, 25, "units.api.depends_on.seed.condition",
                  found: "\"service_completed_successfully\" for \"seed\", whose restart policy is unless-stopped "
                      + "(units.seed.restart at line 5, column 33)",
                  expected: expected("seed")),
        ])
    }

    @Test("unknown names, self-dependencies, repeated names and cycles, in the long form and across forms")
    func namesInTheLongForm() {
        let found = errors("""
            units:
              api-sim: {command: [x]}
              a: {command: [x], depends_on: {a: {}, api-sm: {condition: service_healthy}}}
              b: {command: [x], depends_on: {c: {condition: service_healthy}}}
              c: {command: [x], depends_on: [b]}
              d: {command: [x], depends_on: {api-sim: {}, api-sim: {condition: service_healthy}}}
            """)
        #expect(found == [
            error(3, 34, "units.a.depends_on.a", found: "\"a\" (the unit itself)", expected: "the name of another unit"),
            error(3, 41, "units.a.depends_on.api-sm", found: "\"api-sm\"",
                  expected: "one of the units api-sim, b, c or d (did you mean \"api-sim\"?)"),
            error(4, 34, "units.b.depends_on.c", found: "a dependency cycle b -> c -> b",
                  expected: "dependencies without cycles"),
            error(6, 47, "units.d.depends_on.api-sim", found: "\"api-sim\" a second time (first at line 6, column 34)",
                  expected: "each key at most once in a mapping"),
        ])
    }

    @Test("examples/dependencies.yaml, the platform's Compose conditions as units, loads")
    func platformExample() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/dependencies.yaml").path
        let config = try ConfigLoader.load(path: path)
        let dependencies = Dictionary(uniqueKeysWithValues: config.units.map { ($0.name, $0.dependsOn) })
        #expect(config.units.map(\.name) == ["db", "redis", "migrate", "api", "worker"])
        #expect(dependencies["migrate"] == [DependencySpec("db", condition: .healthy)])
        #expect(dependencies["api"] == [
            DependencySpec("db", condition: .healthy),
            DependencySpec("redis", condition: .healthy),
            DependencySpec("migrate", condition: .completedSuccessfully),
        ])
        #expect(dependencies["worker"] == [DependencySpec("api", condition: .healthy)])
    }
}
