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
    ])
    static let control = Section(["socket", "group", "mode"])
    static let defaults = Section(
        ["env", "working_dir", "user", "group", "stop_signal", "stop_timeout", "restart"],
        misplaced: [
            "command": "a key allowed in defaults (command is set in each unit)",
            "depends_on": "a key allowed in defaults (depends_on is set in each unit)",
        ])
    static let unit = Section(
        ["command", "env", "working_dir", "user", "group", "stop_signal", "stop_timeout", "restart", "depends_on"],
        misplaced: [
            "policy": "a key of a unit (policy goes under restart: restart: {policy: ...})",
            "backoff": "a key of a unit (backoff goes under restart)",
            "start_limit": "a key of a unit (start_limit goes under restart)",
            "success_exit_codes": "a key of a unit (success_exit_codes goes under restart)",
        ])
    static let restart = Section(["policy", "success_exit_codes", "backoff", "start_limit"])
    static let backoff = Section(["initial", "max", "multiplier", "jitter", "reset_after"])
    static let startLimit = Section(["burst", "interval"])

    static let durationExpected = "a duration such as 250ms, 10s, 5m or 1h"
    static let positiveDurationExpected = "a duration greater than zero, such as 250ms, 10s, 5m or 1h"
    static let commandExpected = "a non-empty list of strings such as [\"/usr/bin/agent-sim\", \"--port\", \"8080\"]"
}
