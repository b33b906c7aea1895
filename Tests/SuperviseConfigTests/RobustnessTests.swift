import SuperviseConfig
import SuperviseCore
import Testing

@Suite("Robustness")
struct RobustnessTests {
    static let sample = """
        control: {socket: /run/supervise/control.sock, group: supervise, mode: "0660"}
        state_dir: /var/lib/supervise
        defaults:
          env: {LOG_LEVEL: info}
          stop_timeout: 10s
          restart: {policy: on-failure, backoff: {initial: 100ms, max: 1m}}
        units:
          api-sim:
            command: ["/usr/bin/agent-sim", "--port", "8080"]
          worker-1:
            command: [agent-sim, --port, "8081"]
            env: {LOG_LEVEL: debug}
            restart: always
            depends_on: [api-sim]
            liveness:
              http: {url: "http://127.0.0.1:8081/", status: 200-399, headers: {X-Probe: supervise}}
              interval: 1s
              failure_threshold: 3
            readiness: {tcp: {host: 127.0.0.1, port: 8081}, start_period: 5s}
          worker-2:
            command: [agent-sim, --port, "8082"]
            restart:
              success_exit_codes: [0, 3, SIGHUP]
              start_limit: {burst: 5, interval: 10s}
            liveness: {exec: [sh, -c, "test -f /tmp/ok"], timeout: 500ms}
        """

    @Test("the sample parses")
    func sampleParses() throws {
        let config = try ConfigLoader.parse(yaml: Self.sample, file: testFile)
        #expect(config.units.map(\.name) == ["api-sim", "worker-1", "worker-2"])
    }

    /// Deterministic mutations of the sample (deleting, duplicating, swapping and inserting characters, including
    /// YAML indicators): each either parses or throws InvalidConfig with at least one positioned error; none crashes.
    @Test("mangled files give errors, never a crash")
    func mangledFiles() {
        var generator = SplitMix64(seed: 0x5EED)
        let original = Array(Self.sample.unicodeScalars)
        let alphabet = Array(":-{}[],'\"&*!|>#%@` \t\n\r\u{1}\u{E000}é0aZ".unicodeScalars)
        var rejected = 0
        for _ in 0..<400 {
            var scalars = original
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let at = Int(generator.next() % UInt64(scalars.count))
                switch generator.next() % 4 {
                case 0: scalars.remove(at: at)
                case 1: scalars.insert(scalars[at], at: at)
                case 2: scalars.swapAt(at, Int(generator.next() % UInt64(scalars.count)))
                default: scalars.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: at)
                }
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            do {
                _ = try ConfigLoader.parse(yaml: String(view), file: testFile)
            } catch let thrown as InvalidConfig {
                rejected += 1
                #expect(!thrown.errors.isEmpty)
                #expect(thrown.errors.allSatisfy { $0.file == testFile && $0.line >= 0 && $0.column >= 0 })
                #expect(thrown.errors.allSatisfy { $0.line > 0 || $0.found.contains("duplicate") })
            } catch {
                Issue.record("unexpected \(type(of: error)): \(error)")
            }
        }
        #expect(rejected > 200)
    }
}

