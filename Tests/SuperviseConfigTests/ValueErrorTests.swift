import SuperviseConfig
import SuperviseCore
import Testing

@Suite("Wrong types and values")
struct ValueErrorTests {
    @Test("a duration that is not one, with the exact description")
    func invalidDuration() {
        let found = errors("""
            units:
              worker-1:
                command: [agent-sim]
                stop_timeout: 10 seconds
            """)
        #expect(found == [error(4, 19, "units.worker-1.stop_timeout", found: "\"10 seconds\"", expected: durationExpected)])
        #expect(found.first?.description == "supervise.yaml:4:19: units.worker-1.stop_timeout: found \"10 seconds\", "
            + "expected a duration such as 250ms, 10s, 5m or 1h")
    }

    @Test("zero durations where they make no sense, and a number without a unit")
    func zeroDurations() {
        let found = errors(unitA("""
                stop_timeout: 0s
                restart:
                  backoff: {initial: 0ms, max: 0s}
                  start_limit: {interval: 10}
            """))
        #expect(found == [
            error(4, 19, "units.a.stop_timeout", found: "\"0s\"", expected: positiveDurationExpected),
            error(6, 26, "units.a.restart.backoff.initial", found: "\"0ms\"", expected: positiveDurationExpected),
            error(6, 36, "units.a.restart.backoff.max", found: "\"0s\"", expected: positiveDurationExpected),
            error(7, 31, "units.a.restart.start_limit.interval", found: "10", expected: durationExpected),
        ])
        #expect(errors(unitA("    restart: {start_limit: {interval: 0s}}\n")) == [
            error(4, 39, "units.a.restart.start_limit.interval", found: "\"0s\"", expected: positiveDurationExpected),
        ])
    }

    @Test("max shorter than initial is reported where the unit sets it, or once in defaults")
    func backoffBounds() {
        let found = errors("""
            defaults:
              restart:
                backoff: {initial: 2s, max: 1s}
            units:
              a: {command: [x], restart: {backoff: {max: 500ms}}}
              b: {command: [x], restart: {backoff: {initial: 5s}}}
              c: {command: [x], restart: {backoff: {max: 10s}}}
              d: {command: [x]}
            """)
        #expect(found == [
            error(3, 33, "defaults.restart.backoff.max", found: "1s",
                  expected: "a duration at least as long as initial (2s)"),
            error(5, 46, "units.a.restart.backoff.max", found: "500ms",
                  expected: "a duration at least as long as initial (2s)"),
            error(6, 50, "units.b.restart.backoff.initial", found: "5s",
                  expected: "a duration no longer than max (1s)"),
        ])
    }

    @Test("numbers out of range: multiplier, jitter, burst, exit codes")
    func numbersOutOfRange() {
        let found = errors(unitA("""
                restart:
                  backoff: {multiplier: 0.5, jitter: 1.5}
                  start_limit: {burst: 0}
                  success_exit_codes: [0, 256, -1, SIGHUPP, {code: 1}]
            """))
        let codeExpected = "an exit code 0...255 or a signal name such as SIGHUP"
        #expect(found == [
            error(5, 29, "units.a.restart.backoff.multiplier", found: "0.5",
                  expected: "a number of at least 1, such as 2"),
            error(5, 42, "units.a.restart.backoff.jitter", found: "1.5", expected: "a number from 0 to 1, such as 0.1"),
            error(6, 28, "units.a.restart.start_limit.burst", found: "0",
                  expected: "a whole number of at least 1, such as 5"),
            error(7, 31, "units.a.restart.success_exit_codes[1]", found: "256", expected: codeExpected),
            error(7, 36, "units.a.restart.success_exit_codes[2]", found: "-1", expected: codeExpected),
            error(7, 40, "units.a.restart.success_exit_codes[3]", found: "\"SIGHUPP\"",
                  expected: codeExpected + " (did you mean \"SIGHUP\"?)"),
            error(7, 49, "units.a.restart.success_exit_codes[4]", found: "a mapping", expected: codeExpected),
        ])
    }

    @Test("unknown signal names, with a suggestion when one is close")
    func unknownSignals() {
        let found = errors("""
            defaults: {stop_signal: SIGTREM}
            units:
              a: {command: [x], stop_signal: BOGUS}
              b: {command: [x], stop_signal: 0}
            """)
        let expected = "a signal such as SIGTERM, TERM or 15"
        #expect(found == [
            error(1, 25, "defaults.stop_signal", found: "\"SIGTREM\"", expected: expected + " (did you mean \"SIGTERM\"?)"),
            error(3, 34, "units.a.stop_signal", found: "\"BOGUS\"", expected: expected),
            error(4, 34, "units.b.stop_signal", found: "0", expected: expected),
        ])
    }

    @Test("unknown restart policy, with a suggestion")
    func unknownPolicy() {
        let policies = "one of no, on-failure, always or unless-stopped"
        #expect(errors(unitA("    restart: on_failure\n")) == [
            error(4, 14, "units.a.restart", found: "\"on_failure\"", expected: policies + " (did you mean \"on-failure\"?)"),
        ])
        #expect(errors(unitA("    restart: {policy: sometimes}\n")) == [
            error(4, 23, "units.a.restart.policy", found: "\"sometimes\"", expected: policies),
        ])
    }

    @Test("relative paths and a socket path too long for a Unix socket")
    func paths() {
        let long = "/run/" + String(repeating: "s", count: 103)
        let found = errors("""
            state_dir: var/lib/supervise
            control:
              socket: run/control.sock
            defaults: {working_dir: srv}
            units:
              a: {command: [x], working_dir: ./tmp}
              b: {command: [x], working_dir: /tmp}
            """)
        #expect(found == [
            error(1, 12, "state_dir", found: "\"var/lib/supervise\"", expected: "an absolute path such as /var/lib/supervise"),
            error(3, 11, "control.socket", found: "\"run/control.sock\"",
                  expected: "an absolute path such as /run/supervise/control.sock"),
            error(4, 25, "defaults.working_dir", found: "\"srv\"", expected: "an absolute path such as /srv/app"),
            error(6, 34, "units.a.working_dir", found: "\"./tmp\"", expected: "an absolute path such as /srv/app"),
        ])
        #expect(errors("control: {socket: \(long)}\nunits: {}\n") == [
            error(1, 19, "control.socket", found: "a path of 108 bytes",
                  expected: "an absolute path of at most 107 bytes (the limit of a Unix socket address)"),
        ])
    }

    @Test("a mode that is not octal permission bits")
    func modes() {
        let expected = "octal permission bits such as \"0660\" (at most 0777)"
        #expect(errors("control: {mode: \"0999\"}\nunits: {}\n") == [
            error(1, 17, "control.mode", found: "\"0999\"", expected: expected),
        ])
        #expect(errors("control: {mode: rw-rw----}\nunits: {}\n") == [
            error(1, 17, "control.mode", found: "\"rw-rw----\"", expected: expected),
        ])
        #expect(errors("control:\n  mode: 660\nunits: {}\n") == [
            error(2, 9, "control.mode", found: "660", expected: expected + "; a plain 660 is decimal: write 0660 or \"660\""),
        ])
    }

    @Test("wrong types: lists, scalars and mappings where another is expected")
    func wrongTypes() {
        let found = errors("""
            control: /run/x.sock
            defaults:
              env: [A=1]
            units:
              a:
                command: /usr/bin/agent-sim --port 8080
                user: [root]
                restart: [always]
                depends_on: {b: 1}
              b:
                command: [x, [y], {z: 1}, ~]
                env: {A: {b: c}}
                restart: {backoff: 1s}
              c: [x]
            """)
        let argumentExpected = "a string (quote an argument that contains \": \" or starts with \"{\", \"[\" or \"*\")"
        #expect(found == [
            error(1, 10, "control", found: "\"/run/x.sock\"", expected: "a mapping with the keys socket, group and mode"),
            error(3, 8, "defaults.env", found: "a list",
                  expected: "a mapping of variable names to values, such as {LOG_LEVEL: debug}"),
            error(6, 14, "units.a.command", found: "\"/usr/bin/agent-sim --port 8080\"", expected: commandExpected),
            error(7, 11, "units.a.user", found: "a list", expected: "a user name such as www-data or a numeric id"),
            error(8, 14, "units.a.restart", found: "a list", expected: "a restart policy (no, on-failure, always or "
                + "unless-stopped) or a mapping with the keys policy, success_exit_codes, backoff and start_limit"),
            error(9, 21, "units.a.depends_on.b", found: "1",
                  expected: "a mapping such as {condition: service_healthy} (or an empty one, for service_started)"),
            error(11, 18, "units.b.command[1]", found: "a list", expected: argumentExpected),
            error(11, 23, "units.b.command[2]", found: "a mapping", expected: argumentExpected),
            error(11, 31, "units.b.command[3]", found: "an empty value", expected: argumentExpected),
            error(12, 14, "units.b.env.A", found: "a mapping", expected: "a string value (write \"\" for an empty one)"),
            error(13, 24, "units.b.restart.backoff", found: "\"1s\"",
                  expected: "a mapping with the keys initial, max, multiplier, jitter and reset_after"),
            error(14, 6, "units.c", found: "a list", expected: "a mapping with at least \"command\""),
        ])
    }

    @Test("a missing or empty command, and an empty program name")
    func commands() {
        let found = errors("""
            units:
              a: {user: nobody}
              b: {command: []}
              c: {command: ["", x]}
              d:
            """)
        #expect(found == [
            error(2, 3, "units.a.command", found: "no \"command\"", expected: commandExpected),
            error(3, 16, "units.b.command", found: "an empty list", expected: commandExpected),
            error(4, 17, "units.c.command[0]", found: "an empty string", expected: "a program path or name"),
            error(5, 3, "units.d.command", found: "no \"command\"", expected: commandExpected),
        ])
    }

    @Test("invalid environment names, unit names, users and groups")
    func names() {
        let long = String(repeating: "x", count: 65)
        let found = errors("""
            units:
              -bad: {command: [x]}
              \(long): {command: [x]}
              "with space": {command: [x]}
              ok.name@1_x-y: {command: [x], env: {1ABC: x, "A-B": y, _ok: z}, user: "", group: "a:b"}
            """)
        let unitName = "a unit name of at most 64 letters, digits, _ . @ and -, starting with a letter or digit"
        let envName = "a variable name of letters, digits and _, not starting with a digit"
        #expect(found == [
            error(2, 3, "units.-bad", found: "\"-bad\"", expected: unitName),
            error(3, 3, "units.\(long)", found: "\"\(long)\"", expected: unitName),
            error(4, 3, "units.with space", found: "\"with space\"", expected: unitName),
            error(5, 39, "units.ok.name@1_x-y.env.1ABC", found: "\"1ABC\"", expected: envName),
            error(5, 48, "units.ok.name@1_x-y.env.A-B", found: "\"A-B\"", expected: envName),
            error(5, 73, "units.ok.name@1_x-y.user", found: "\"\"",
                  expected: "a user name such as www-data or a numeric id"),
            error(5, 84, "units.ok.name@1_x-y.group", found: "\"a:b\"",
                  expected: "a group name such as www-data or a numeric id"),
        ])
    }
}

@Suite("The nice key")
struct NiceConfigTests {
    @Test("a nice value in range is taken, from the unit or from defaults; out of range names the line and the range")
    func niceRange() throws {
        let expected = "a nice value from -20 (most CPU) to 19 (least); 0 is the default"
        #expect(errors(unitA("    nice: 20\n")) == [error(4, 11, "units.a.nice", found: "20", expected: expected)])
        #expect(errors(unitA("    nice: low\n")) == [error(4, 11, "units.a.nice", found: "\"low\"", expected: expected)])
        let config = try ConfigLoader.parse(yaml: """
            defaults: {nice: 5}
            units:
              a: {command: [a]}
              b: {command: [b], nice: -3}
            """, file: "supervise.yaml")
        #expect(config.units.map(\.nice) == [5, -3])
        #expect(try ConfigLoader.parse(yaml: "units: {a: {command: [a]}}\n", file: "supervise.yaml").units[0].nice == 0)
    }

    @Test("a container entry has no nice: its process is Docker's")
    func niceIsProcessOnly() {
        let found = errors("containers: {worker: {compose: worker, nice: 5}}\n")
        #expect(found.count == 1 && found[0].description.contains("containers.worker.nice"))
    }
}
