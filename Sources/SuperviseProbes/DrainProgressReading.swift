import Foundation

/// Reads the live-call count from a drain-progress answer (`GET /worker`): the top-level field
/// `field` (`active_jobs` by default) of a JSON object.
///
/// A JSON object without the field, or with `null` in it, means no live calls: LiveKit's
/// `/worker` answer is protobuf JSON, which leaves out every field at its zero value, so an idle
/// worker's answer has no `active_jobs` at all. Protobuf JSON writes 64-bit integers as strings,
/// so `"3"` is read as 3. A body that is not a JSON object, or a field holding anything but a
/// count, leaves the count unknown.
public enum DrainProgressReading {
    /// Why a body gave no count, worded for the operator.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The number of live calls in `body`, or why it cannot be read.
    public static func activeCalls(in body: String, field: String) -> Result<Int, Failure> {
        let object: [String: FieldValue]
        do {
            object = try JSONDecoder().decode([String: FieldValue].self, from: Data(body.utf8))
        } catch {
            return .failure(Failure("not a JSON object: \(excerpt(body))"))
        }
        switch object[field] {
        case nil, .null?:
            return .success(0)
        case .integer(let n)? where n >= 0:
            return .success(n)
        case .text(let text)? where Int(text).map { $0 >= 0 } == true:
            return .success(Int(text)!)
        case let value?:
            return .failure(Failure("\"\(field)\" is \(value.description), expected a number of live calls, in \(excerpt(body))"))
        }
    }

    private static func excerpt(_ body: String) -> String {
        body.isEmpty ? "an empty body" : String(body.prefix(120))
    }

    /// One top-level value, as far as telling a count from anything else needs.
    private enum FieldValue: Decodable, CustomStringConvertible {
        case null
        case integer(Int)
        case text(String)
        /// Anything else, described.
        case other(String)

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .other("\(b)") }
            else if let n = try? c.decode(Int.self) { self = .integer(n) }
            else if let s = try? c.decode(String.self) { self = .text(s) }
            else if let d = try? c.decode(Double.self) { self = .other("\(d)") }
            else { self = .other("an array or object") }
        }

        var description: String {
            switch self {
            case .null: "null"
            case .integer(let n): "\(n)"
            case .text(let s): "\"\(s)\""
            case .other(let d): d
            }
        }
    }
}
