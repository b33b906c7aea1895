/// Compose's variable interpolation in values: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
/// `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, and `$$` for a literal `$`.
///
/// The variables are those the export is given (the environment of `supervise export`, as `docker compose` takes
/// its own). Defaults are read literally (nested `${…}` inside a default is not expanded).
struct ComposeInterpolation {
    var variables: [String: String]

    enum Failure: Error, Equatable {
        /// `${VAR:?message}` or `${VAR?message}` with VAR unset (or empty, for `:?`).
        case required(variable: String, message: String)
        /// A `$` not followed by a name, `{`, or `$`; or `${` without its `}`.
        case malformed(String)
    }

    /// `text` with its variables replaced, and the names of the variables that were unset and had no default.
    func interpolate(_ text: String) throws(Failure) -> (text: String, unset: [String]) {
        guard text.contains("$") else { return (text, []) }
        var result = ""
        var unset: [String] = []
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            guard let next = rest.first else { throw .malformed(text) }
            if next == "$" {
                result += "$"
                rest = rest.dropFirst()
            } else if next == "{" {
                guard let close = rest.firstIndex(of: "}") else { throw .malformed(text) }
                let body = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                result += try braced(body, in: text, unset: &unset)
            } else if Self.isNameStart(next) {
                let name = rest.prefix { Self.isNameCharacter($0) }
                rest = rest.dropFirst(name.count)
                if let value = variables[String(name)] { result += value } else { unset.append(String(name)) }
            } else {
                throw .malformed(text)
            }
        }
        return (result + rest, unset)
    }

    private func braced(_ body: Substring, in text: String, unset: inout [String]) throws(Failure) -> String {
        let name = body.prefix { Self.isNameCharacter($0) }
        guard let first = name.first, Self.isNameStart(first) else { throw .malformed(text) }
        let modifier = body.dropFirst(name.count)
        let value = variables[String(name)]
        if modifier.isEmpty {
            if value == nil { unset.append(String(name)) }
            return value ?? ""
        }
        for (op, emptyCounts) in [(":-", true), ("-", false), (":?", true), ("?", false), (":+", true), ("+", false)] {
            guard modifier.hasPrefix(op) else { continue }
            let argument = String(modifier.dropFirst(op.count))
            let isSet = value.map { !emptyCounts || !$0.isEmpty } ?? false
            switch op.last {
            case "-": return isSet ? value! : argument
            case "?":
                guard isSet else { throw .required(variable: String(name), message: argument) }
                return value!
            default: return isSet ? argument : ""
            }
        }
        throw .malformed(text)
    }

    static func isNameStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
    static func isNameCharacter(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }
}
