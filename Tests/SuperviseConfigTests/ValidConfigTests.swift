import SuperviseConfig
import SuperviseCore
import Testing

@Suite("Valid configurations")
struct ValidConfigTests {
    @Test("a full configuration resolves defaults, inheritance and overrides, in file order")
    func fullConfiguration() throws {
        let yaml = """
            control:
              socket: /run/sv/control.sock
              group: supervise
              mode: "0640"
            state_dir: /var/lib/sv
            defaults:
              env: {PATH: "/usr/bin:/bin", LOG_LEVEL: info}
              working_dir: /srv
              user: www-data
              group: www-data
              stop_signal: SIGINT
              stop_timeout: 5s
              restart:
                policy: always
                success_exit_codes: [0, 3]
                backoff: {initial: 200ms, max: 30s, multiplier: 3}
                start_limit: {burst: 3}
            units:
              zeta:
                command: ["/usr/bin/agent-sim", "--port", "8080"]
              alpha:
                command: [agent-sim, --port, 8081]
                env: {LOG_LEVEL: debug, RETRIES: 3}
                working_dir: /tmp
                user: nobody
                stop_signal: TERM
                restart:
                  policy: on-failure
                  success_exit_codes: [0, SIGHUP, 15]
                  backoff: {max: 1m, jitter: 0.5}
                  start_limit: {interval: 30s}
                depends_on: zeta
              mid:
                command: [agent-sim]
                restart: unless-stopped
                stop_timeout: 1m30s
                depends_on: [zeta, alpha]
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)

        let inheritedRestart = RestartSettings(
            policy: .always, successExitCodes: [0, 3], successSignals: [],
            backoff: BackoffPolicy(initial: .milliseconds(200), max: .seconds(30), multiplier: 3, jitter: 0.1,
                                   resetAfter: .seconds(10)),
            startLimit: StartLimit(burst: 3, interval: .seconds(10)))
        let zeta = UnitSpec(
            name: "zeta", command: ["/usr/bin/agent-sim", "--port", "8080"],
            environment: ["PATH": "/usr/bin:/bin", "LOG_LEVEL": "info"], workingDirectory: "/srv",
            user: "www-data", group: "www-data", stopSignal: Signals.int, stopTimeout: .seconds(5),
            restart: inheritedRestart)
        let alpha = UnitSpec(
            name: "alpha", command: ["agent-sim", "--port", "8081"],
            environment: ["PATH": "/usr/bin:/bin", "LOG_LEVEL": "debug", "RETRIES": "3"], workingDirectory: "/tmp",
            user: "nobody", group: "www-data", stopSignal: Signals.term, stopTimeout: .seconds(5),
            restart: RestartSettings(
                policy: .onFailure, successExitCodes: [0, 15], successSignals: [Signals.hup],
                backoff: BackoffPolicy(initial: .milliseconds(200), max: .seconds(60), multiplier: 3, jitter: 0.5,
                                       resetAfter: .seconds(10)),
                startLimit: StartLimit(burst: 3, interval: .seconds(30))),
            dependsOn: ["zeta"])
        var midRestart = inheritedRestart
        midRestart.policy = .unlessStopped
        let mid = UnitSpec(
            name: "mid", command: ["agent-sim"],
            environment: ["PATH": "/usr/bin:/bin", "LOG_LEVEL": "info"], workingDirectory: "/srv",
            user: "www-data", group: "www-data", stopSignal: Signals.int, stopTimeout: .seconds(90),
            restart: midRestart, dependsOn: ["zeta", "alpha"])

        #expect(config.units.map(\.name) == ["zeta", "alpha", "mid"])
        #expect(config.units[0] == zeta)
        #expect(config.units[1] == alpha)
        #expect(config.units[2] == mid)
        #expect(config.control == ControlSettings(socketPath: "/run/sv/control.sock", group: "supervise",
                                                  socketMode: 0o640))
        #expect(config.stateDirectory == "/var/lib/sv")
        #expect(config == SupervisorConfig(units: [zeta, alpha, mid], control: config.control,
                                           stateDirectory: "/var/lib/sv"))
    }

    @Test("a unit with only a command gets every default")
    func minimalUnit() throws {
        let config = try ConfigLoader.parse(yaml: "units:\n  a:\n    command: [x]\n", file: testFile)
        #expect(config == SupervisorConfig(units: [UnitSpec(name: "a", command: ["x"])]))
        let unit = try #require(config.units.first)
        #expect(unit.restart == .default)
        #expect(unit.restart.backoff == BackoffPolicy(initial: .milliseconds(100), max: .seconds(60), multiplier: 2,
                                                      jitter: 0.1, resetAfter: .seconds(10)))
        #expect(unit.restart.startLimit == StartLimit(burst: 5, interval: .seconds(10)))
        #expect(unit.stopSignal == 15)
        #expect(unit.stopTimeout == .seconds(10))
        #expect(config.control.socketPath == "/run/supervise/control.sock")
        #expect(config.control.socketMode == 0o660)
        #expect(config.control.group == nil)
        #expect(config.stateDirectory == "/var/lib/supervise")
    }

    @Test("units: {} is a daemon with nothing to supervise")
    func emptyUnits() throws {
        #expect(try ConfigLoader.parse(yaml: "units: {}\n", file: testFile) == SupervisorConfig(units: []))
        #expect(try ConfigLoader.parse(yaml: "units:\n", file: testFile) == SupervisorConfig(units: []))
    }

    @Test("restart: always is shorthand for {policy: always}", arguments: [
        ("always", RestartPolicy.always), ("on-failure", .onFailure), ("unless-stopped", .unlessStopped),
        ("\"no\"", .no),
    ])
    func shorthand(text: String, policy: RestartPolicy) throws {
        let config = try ConfigLoader.parse(yaml: unitA("    restart: \(text)\n"), file: testFile)
        var expected = RestartSettings.default
        expected.policy = policy
        #expect(config.units.first?.restart == expected)
    }

    @Test("restart: no, which YAML 1.1 reads as a boolean, means never restart", arguments: [
        "    restart: no\n", "    restart: false\n", "    restart: {policy: no}\n", "    restart:\n      policy: false\n",
    ])
    func restartNo(body: String) throws {
        let config = try ConfigLoader.parse(yaml: unitA(body), file: testFile)
        #expect(config.units.first?.restart.policy == RestartPolicy.no)
        #expect(config.units.first?.restart.backoff == .default)
    }

    @Test("a unit's restart overrides the default policy but keeps the defaults' backoff field by field")
    func restartShorthandOverDefaults() throws {
        let yaml = """
            defaults:
              restart: {policy: always, backoff: {initial: 1s, max: 2m}}
            units:
              a:
                command: [x]
                restart: "no"
              b:
                command: [x]
                restart: {backoff: {max: 5s, reset_after: 0s}}
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        #expect(config.units[0].restart.policy == RestartPolicy.no)
        #expect(config.units[0].restart.backoff.initial == .seconds(1))
        #expect(config.units[0].restart.backoff.max == .seconds(120))
        #expect(config.units[1].restart.policy == .always)
        #expect(config.units[1].restart.backoff == BackoffPolicy(initial: .seconds(1), max: .seconds(5), multiplier: 2,
                                                                 jitter: 0.1, resetAfter: .zero))
    }

    @Test("mode is octal text or an integer", arguments: [
        ("\"0660\"", UInt32(0o660)), ("0660", 0o660), ("432", 0o660), ("0o600", 0o600), ("\"600\"", 0o600),
        ("0", 0),
    ])
    func modes(text: String, mode: UInt32) throws {
        let config = try ConfigLoader.parse(yaml: "control: {mode: \(text)}\nunits: {}\n", file: testFile)
        #expect(config.control.socketMode == mode)
    }

    @Test("scalars in command and env become strings as written; quoted empty arguments are kept")
    func scalarsAsWritten() throws {
        let yaml = """
            units:
              a:
                command: [x, 8081, 1.50, yes, "", ~x]
                env: {A: 1.0, B: true, C: "", D: 0x1F}
                user: 1000
                stop_signal: 9
            """
        let unit = try #require(try ConfigLoader.parse(yaml: yaml, file: testFile).units.first)
        #expect(unit.command == ["x", "8081", "1.50", "yes", "", "~x"])
        #expect(unit.environment == ["A": "1.0", "B": "true", "C": "", "D": "0x1F"])
        #expect(unit.user == "1000")
        #expect(unit.stopSignal == Signals.kill)
    }

    @Test("anchors and aliases can share values between units")
    func aliases() throws {
        let yaml = """
            units:
              a:
                command: &cmd [agent-sim, --port, "8080"]
              b:
                command: *cmd
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        #expect(config.units.map(\.command) == [["agent-sim", "--port", "8080"], ["agent-sim", "--port", "8080"]])
    }

    @Test("CRLF line endings and a byte-order mark are accepted")
    func lineEndings() throws {
        let config = try ConfigLoader.parse(yaml: "\u{FEFF}units:\r\n  a:\r\n    command: [x]\r\n", file: testFile)
        #expect(config == SupervisorConfig(units: [UnitSpec(name: "a", command: ["x"])]))
    }
}
