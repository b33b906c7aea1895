import Yams

/// `text` in double quotes, with quotes, backslashes and the scalars ``needsEscape(_:)`` names escaped, cut after
/// 80 scalars.
func quoted(_ text: String) -> String {
    var result = "\""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == 80 {
            result += "…"
            break
        }
        count += 1
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        default: result += escaped(scalar)
        }
    }
    return result + "\""
}

/// A user-supplied name or key where errors show it bare (in a key path, a list of units, a cycle): as it is when
/// no scalar of it needs escaping, otherwise ``quoted(_:)``, so that `units."a\u{1B}[2Jb".command` cannot clear the
/// operator's terminal.
func shown(_ text: String) -> String {
    text.unicodeScalars.contains(where: needsEscape) ? quoted(text) : text
}

/// Whether `scalar` is written as an escape in errors: control characters (C0, DEL and C1, which terminals act on:
/// ESC starts an escape sequence, U+009B is an 8-bit CSI), line and paragraph separators, bidirectional formatting
/// characters (which reorder what follows them on screen), and the composer's duplicate-key markers.
func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .lineSeparator, .paragraphSeparator: return true
    default: return scalar.properties.isBidiControl || (0xE000...0xE001).contains(scalar.value)
    }
}

/// `scalar` as errors show it: `\n`, `\t`, `\r`, `\u{1B}` for the scalars ``needsEscape(_:)`` names, itself
/// otherwise.
func escaped(_ scalar: Unicode.Scalar) -> String {
    switch scalar {
    case "\n": return "\\n"
    case "\t": return "\\t"
    case "\r": return "\\r"
    default:
        return needsEscape(scalar) ? "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" : String(scalar)
    }
}

/// How a node is named in the `found` part of an error: `a list`, `a mapping`, `an empty value`, a number or
/// boolean as written, or text in quotes.
func foundText(_ node: Node) -> String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .alias: return "an alias"
    case .scalar(let scalar):
        if node.isNull && (scalar.string.isEmpty || scalar.string == "~") { return "an empty value" }
        if scalar.style == .plain, [Tag.Name.int, .float, .bool, .null].map(\.rawValue).contains(node.tag.rawValue) {
            return scalar.string
        }
        return quoted(YAMLComposer.originalKey(scalar.string).key)
    }
}

extension Node {
    /// Whether this is a null scalar: an empty value, `~`, `null` or `!!null`.
    var isNull: Bool {
        guard case .scalar = self else { return false }
        return tag.rawValue == Tag.Name.null.rawValue
    }

    /// The scalar's text when this is a scalar that is not null.
    var text: String? {
        guard case .scalar(let scalar) = self, !isNull else { return nil }
        return scalar.string
    }
}
