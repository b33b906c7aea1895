import AgentSimQueue

/// A minimal JSON writer for the few flat objects the simulator returns.
///
/// Keys keep the order they are given in, so responses read the same every time.
struct JSONObject: Sendable {
    private var members: [String] = []
    /// Leave out members at their zero value (`0`, `false`, `""`), as protobuf's JSON mapping does.
    private let omittingZeroValues: Bool

    init(omittingZeroValues: Bool = false) {
        self.omittingZeroValues = omittingZeroValues
    }

    /// Appends `"key": "value"` with the value escaped.
    mutating func add(_ key: String, _ value: String) {
        if omittingZeroValues && value.isEmpty { return }
        members.append(Self.quote(key) + ":" + Self.quote(value))
    }

    /// Appends `"key": integer`.
    mutating func add(_ key: String, _ value: Int) {
        if omittingZeroValues && value == 0 { return }
        members.append(Self.quote(key) + ":" + String(value))
    }

    /// Appends `"key": number`; non-finite numbers become `null`, as JSON has no spelling for them.
    mutating func add(_ key: String, _ value: Double) {
        if omittingZeroValues && value == 0 { return }
        members.append(Self.quote(key) + ":" + (value.isFinite ? "\(value)" : "null"))
    }

    /// Appends `"key": true|false`.
    mutating func add(_ key: String, _ value: Bool) {
        if omittingZeroValues && !value { return }
        members.append(Self.quote(key) + ":" + (value ? "true" : "false"))
    }

    /// The object as compact JSON text.
    var text: String { "{" + members.joined(separator: ",") + "}" }

    /// `text` quoted and escaped as a JSON string (as queue jobs are written).
    static func quote(_ text: String) -> String { JSONString.quote(text) }
}

extension JSONObject {
    /// `{"error": message}`.
    static func error(_ message: String) -> JSONObject {
        var object = JSONObject()
        object.add("error", message)
        return object
    }
}
