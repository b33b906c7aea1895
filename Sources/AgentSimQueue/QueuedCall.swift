/// One job on the call queue: a call to take, and how long it lasts.
///
/// On the wire (one Redis list item) it is a small JSON object, `{"id":"c-17","duration":12.5}`:
/// - `duration` (required): the call's length in seconds, a JSON number from 0 to 604800 (one week);
/// - `id` (optional): the job's name, a string or a number, shown in the worker's log;
/// - other members are ignored, so a producer may add its own.
///
/// A bare number (`12.5`) is taken as the duration of a job without an id.
public struct QueuedCall: Sendable, Hashable {
    /// The job's name, shown in the worker's log; nil when the job has none.
    public var id: String?
    /// Seconds the call lasts.
    public var duration: Double

    /// The longest duration a job may ask for: one week, as `POST /calls?duration=S` allows.
    public static let maximumDuration: Double = 604_800

    /// A job of `duration` seconds, named `id`.
    public init(id: String? = nil, duration: Double) {
        self.id = id
        self.duration = duration
    }

    /// The job as queued: `{"id":"c-17","duration":12.5}`, or `{"duration":12.5}` without an id.
    public var json: String {
        var text = "{"
        if let id { text += "\"id\":" + JSONString.quote(id) + "," }
        text += "\"duration\":" + (duration.isFinite ? "\(duration)" : "null") + "}"
        return text
    }

    /// Reads a queued item: the JSON object above, or a bare number.
    ///
    /// - Throws: ``QueuedCallError`` saying what is wrong with the item.
    public init(parsing bytes: [UInt8]) throws(QueuedCallError) {
        var parser = MiniJSON(bytes)
        let value: MiniJSON.Value
        do { value = try parser.document() } catch { throw QueuedCallError(item: bytes, reason: error.reason) }
        var id: String?
        let durationValue: MiniJSON.Value?
        switch value {
        case .number:
            durationValue = value
        case .object(let members):
            durationValue = members["duration"]
            switch members["id"] {
            case nil, .null?: break
            case .string(let text)?: id = text
            case .number(let text)?: id = text
            case .other?, .object?: throw QueuedCallError(item: bytes, reason: "\"id\" must be a string or a number")
            }
        default:
            throw QueuedCallError(item: bytes, reason: "expected a JSON object such as {\"id\":\"c-1\",\"duration\":12.5} or a number")
        }
        guard let durationValue else { throw QueuedCallError(item: bytes, reason: "no \"duration\"") }
        guard case .number(let text) = durationValue, let duration = Double(text) else {
            throw QueuedCallError(item: bytes, reason: "\"duration\" must be a number of seconds")
        }
        guard duration.isFinite, duration >= 0, duration <= Self.maximumDuration else {
            throw QueuedCallError(item: bytes, reason: "duration \(text) is not from 0 to \(Int(Self.maximumDuration)) seconds")
        }
        self.init(id: id, duration: duration)
    }
}

/// A queued item that is not a job, with the reason.
public struct QueuedCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The item's bytes as popped.
    public var item: [UInt8]
    /// What is wrong with it.
    public var reason: String

    /// The item as text: at most 100 bytes of it, control characters as `?`.
    public var shownItem: String {
        let shown = String(decoding: item.prefix(100).map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
        return item.count > 100 ? shown + "…" : shown
    }

    /// `invalid job 'ITEM': REASON`.
    public var description: String { "invalid job '\(shownItem)': \(reason)" }
}

/// Just enough JSON for a job: a top-level value, objects' string and number members by name; nested objects,
/// arrays and literals are checked and skipped. No Foundation, so agent-sim starts as fast as before.
struct MiniJSON {
    enum Value: Equatable {
        case object([String: Value])
        case string(String)
        /// The number's text, as written (`12.5`, `-1e3`).
        case number(String)
        case null
        /// `true`, `false`, an array, or an object below the top level.
        case other
    }

    struct Failure: Error {
        var reason: String
    }

    private let bytes: [UInt8]
    private var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The one value of the document, with nothing but whitespace around it.
    mutating func document() throws(Failure) -> Value {
        let value = try self.value(depth: 0)
        skipSpace()
        guard at == bytes.count else { throw Failure(reason: "unexpected text after the JSON value at byte \(at)") }
        return value
    }

    private mutating func value(depth: Int) throws(Failure) -> Value {
        guard depth < 32 else { throw Failure(reason: "nested too deep") }
        skipSpace()
        guard at < bytes.count else { throw Failure(reason: bytes.isEmpty ? "the item is empty" : "unexpected end") }
        switch bytes[at] {
        case UInt8(ascii: "{"):
            at += 1
            var members: [String: Value] = [:]
            skipSpace()
            if peek(UInt8(ascii: "}")) { at += 1; return depth == 0 ? .object(members) : .other }
            while true {
                skipSpace()
                guard peek(UInt8(ascii: "\"")) else { throw Failure(reason: "expected a member name at byte \(at)") }
                let name = try string()
                skipSpace()
                try expect(UInt8(ascii: ":"))
                let member = try value(depth: depth + 1)
                if depth == 0 { members[name] = member }
                skipSpace()
                if peek(UInt8(ascii: ",")) { at += 1; continue }
                try expect(UInt8(ascii: "}"))
                return depth == 0 ? .object(members) : .other
            }
        case UInt8(ascii: "["):
            at += 1
            skipSpace()
            if peek(UInt8(ascii: "]")) { at += 1; return .other }
            while true {
                _ = try value(depth: depth + 1)
                skipSpace()
                if peek(UInt8(ascii: ",")) { at += 1; continue }
                try expect(UInt8(ascii: "]"))
                return .other
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try number())
        default:
            for (word, value) in [("true", Value.other), ("false", .other), ("null", .null)] where hasWord(word) {
                at += word.utf8.count
                return value
            }
            throw Failure(reason: "unexpected character at byte \(at)")
        }
    }

    private mutating func number() throws(Failure) -> String {
        let start = at
        let allowed: Set<UInt8> = Set("+-.eE0123456789".utf8)
        while at < bytes.count, allowed.contains(bytes[at]) { at += 1 }
        let text = String(decoding: bytes[start..<at], as: UTF8.self)
        guard Double(text) != nil else { throw Failure(reason: "'\(text)' is not a number") }
        return text
    }

    private mutating func string() throws(Failure) -> String {
        at += 1  // the opening quote
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
            run.removeAll()
        }
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard at < bytes.count else { break }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{8}")
                case UInt8(ascii: "f"): scalars.append("\u{C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), hasWord("\\u") {
                        at += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low &- 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    throw Failure(reason: "bad escape at byte \(at - 1)")
                }
            case 0..<0x20:
                throw Failure(reason: "a control character in a string at byte \(at - 1)")
            default:
                run.append(byte)
            }
        }
        throw Failure(reason: "a string is not closed")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard at + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else {
            throw Failure(reason: "bad \\u escape at byte \(at)")
        }
        at += 4
        return code
    }

    private func peek(_ byte: UInt8) -> Bool { at < bytes.count && bytes[at] == byte }

    private func hasWord(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        return at + utf8.count <= bytes.count && Array(bytes[at..<at + utf8.count]) == utf8
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard peek(byte) else {
            throw Failure(reason: "expected '\(String(UnicodeScalar(byte)))' at byte \(at)")
        }
        at += 1
    }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }
}

/// JSON string literals, for the few hand-written JSON texts of agent-sim (its `/worker` document, queue jobs).
public enum JSONString {
    /// `text` as a JSON string: quoted, with `"`, `\` and control characters escaped.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
