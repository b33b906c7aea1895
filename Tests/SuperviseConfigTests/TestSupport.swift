import SuperviseConfig
import SuperviseCore
import Testing

/// The file label used by every test that parses text.
let testFile = "supervise.yaml"

/// The errors `yaml` is rejected with; records an issue (and returns none) when it is accepted.
func errors(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigDiagnostic] {
    do {
        let config = try ConfigLoader.parse(yaml: yaml, file: testFile)
        Issue.record("expected errors, got \(config)", sourceLocation: sourceLocation)
        return []
    } catch let thrown as InvalidConfig {
        return thrown.errors
    } catch {
        Issue.record("expected InvalidConfig, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return []
    }
}

/// An expected error in `testFile`.
func error(_ line: Int, _ column: Int, _ keyPath: String, found: String, expected: String) -> ConfigDiagnostic {
    ConfigDiagnostic(file: testFile, line: line, column: column, keyPath: keyPath, found: found, expected: expected)
}

/// A file whose only unit is `a`, running `x`, with `body` (indented lines) added to it.
func unitA(_ body: String) -> String {
    "units:\n  a:\n    command: [x]\n" + body
}

let durationExpected = "a duration such as 250ms, 10s, 5m or 1h"
let positiveDurationExpected = "a duration greater than zero, such as 250ms, 10s, 5m or 1h"
let commandExpected = "a non-empty list of strings such as [\"/usr/bin/agent-sim\", \"--port\", \"8080\"]"
let unitKeys = "command, env, working_dir, user, group, nice, stop_signal, stop_timeout, restart, depends_on, liveness, "
    + "readiness, drain, max_unavailable, output, replicas, port, max_surge, progress_deadline or autoscale"
