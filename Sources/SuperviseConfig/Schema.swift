/// The keys allowed in each mapping of a configuration file.
struct Section: Sendable {
    /// The allowed keys, in the order the documentation lists them.
    let keys: [String]
    /// Keys that belong elsewhere, with the `expected` text that says where.
    let misplaced: [String: String]

    init(_ keys: [String], misplaced: [String: String] = [:]) {
        self.keys = keys
        self.misplaced = misplaced
    }

    /// `a, b, c or d`, for messages.
    var keyList: String { Section.list(keys) }

    /// `a mapping with the keys a, b and c`, for messages.
    var mappingPhrase: String { "a mapping with the keys \(Section.list(keys, conjunction: "and"))" }

    static func list(_ words: [String], conjunction: String = "or") -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " \(conjunction) " + words[words.count - 1]
    }
}

/// The shape of a configuration file.
enum Schema {
    static let top = Section(["control", "state_dir", "defaults", "units"], misplaced: [
        "command": "a top-level key (unit settings such as command go under units.NAME)",
        "depends_on": "a top-level key (depends_on goes under units.NAME)",
        "liveness": "a top-level key (liveness goes under units.NAME or defaults)",
        "readiness": "a top-level key (readiness goes under units.NAME or defaults)",
    ])
    static let control = Section(["socket", "group", "mode"])
    static let defaults = Section(
        ["env", "working_dir", "user", "group", "stop_signal", "stop_timeout", "restart", "liveness", "readiness"],
        misplaced: probeKeysMisplaced(in: "a key allowed in defaults").merging([
            "command": "a key allowed in defaults (command is set in each unit)",
            "depends_on": "a key allowed in defaults (depends_on is set in each unit)",
        ]) { _, own in own })
    static let unit = Section(
        ["command", "env", "working_dir", "user", "group", "stop_signal", "stop_timeout", "restart", "depends_on",
         "liveness", "readiness"],
        misplaced: probeKeysMisplaced(in: "a key of a unit").merging([
            "policy": "a key of a unit (policy goes under restart: restart: {policy: ...})",
            "backoff": "a key of a unit (backoff goes under restart)",
            "start_limit": "a key of a unit (start_limit goes under restart)",
            "success_exit_codes": "a key of a unit (success_exit_codes goes under restart)",
        ]) { _, own in own })
    static let restart = Section(["policy", "success_exit_codes", "backoff", "start_limit"])
    static let backoff = Section(["initial", "max", "multiplier", "jitter", "reset_after"])
    static let startLimit = Section(["burst", "interval"])

    /// The kinds of check a probe can make; a probe has exactly one.
    static let probeChecks = ["http", "tcp", "exec"]
    /// A probe's timing and thresholds, beside its check.
    static let probeTiming = ["interval", "timeout", "failure_threshold", "success_threshold", "start_period",
                              "initial_delay"]
    static let probe = Section(probeChecks + probeTiming, misplaced: [
        "url": "a key of a probe (url goes under http: {http: {url: ...}})",
        "status": "a key of a probe (status goes under http: {http: {url: ..., status: ...}})",
        "body_contains": "a key of a probe (body_contains goes under http: {http: {url: ..., body_contains: ...}})",
        "headers": "a key of a probe (headers goes under http: {http: {url: ..., headers: ...}})",
        "host": "a key of a probe (host goes under tcp: {tcp: {host: ..., port: ...}})",
        "port": "a key of a probe (port goes under tcp: {tcp: {port: ...}})",
        "command": "a key of a probe (command goes under exec: {exec: {command: [...]}} or {exec: [...]})",
        "periodSeconds": "a known key (Kubernetes' periodSeconds is interval here, a duration such as 10s)",
        "retries": "a known key (Compose's retries is failure_threshold here)",
        "test": "a known key (Compose's test is exec here: {exec: [sh, -c, ...]})",
    ])
    static let http = Section(["url", "status", "body_contains", "headers"], misplaced: checkTimingMisplaced("http")
        .merging(["path", "port", "host", "scheme"].map {
            ($0, "a key of http (give the whole address in url, such as http://127.0.0.1:8080/healthz)")
        }) { _, own in own })
    static let tcp = Section(["host", "port"], misplaced: checkTimingMisplaced("tcp"))
    static let exec = Section(["command"], misplaced: checkTimingMisplaced("exec"))

    /// Where the keys of a probe go when they are written directly in a unit or in `defaults`.
    static func probeKeysMisplaced(in owner: String) -> [String: String] {
        var result: [String: String] = [:]
        for key in probeChecks + probeTiming {
            result[key] = "\(owner) (\(key) goes under liveness or readiness: liveness: {\(key): ...})"
        }
        result["timeout"] = "\(owner) (timeout goes under liveness or readiness: liveness: {timeout: ...}; "
            + "the stop grace period is stop_timeout)"
        result["healthcheck"] = "\(owner) (health checks are liveness and readiness)"
        return result
    }

    /// Where a probe's timing keys go when they are written inside its check.
    static func checkTimingMisplaced(_ check: String) -> [String: String] {
        var result: [String: String] = [:]
        for key in probeTiming {
            result[key] = "a key of \(check) (\(key) goes beside \(check), in the probe: {\(check): ..., \(key): ...})"
        }
        return result
    }

    static let durationExpected = "a duration such as 250ms, 10s, 5m or 1h"
    static let positiveDurationExpected = "a duration greater than zero, such as 250ms, 10s, 5m or 1h"
    static let nonNegativeDurationExpected = "a duration of zero or more, such as 0s, 10s or 1m"
    static let commandExpected = "a non-empty list of strings such as [\"/usr/bin/agent-sim\", \"--port\", \"8080\"]"
}
