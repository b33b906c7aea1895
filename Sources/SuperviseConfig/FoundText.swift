import Yams

/// `text` in double quotes, with quotes, backslashes and control characters escaped, cut after 80 scalars.
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
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F || (0xE000...0xE001).contains(scalar.value) {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
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
