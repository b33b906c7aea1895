import SuperviseCore
import Yams

/// Typed reading of scalar values; each reports what is wrong and returns nil.
extension Diagnostics {
    /// The text of a scalar (numbers and booleans as written). Reports lists, mappings and empty values.
    func text(_ node: Node, _ path: String, expected: String) -> String? {
        guard let text = node.text else {
            report(node, path, expected: expected)
            return nil
        }
        return text
    }

    /// An absolute path such as `/srv/app`.
    func absolutePath(_ node: Node, _ path: String, example: String) -> String? {
        let expected = "an absolute path such as \(example)"
        guard let text = text(node, path, expected: expected) else { return nil }
        guard text.hasPrefix("/"), !text.unicodeScalars.contains("\0") else {
            report(node, path, expected: expected)
            return nil
        }
        return text
    }

    /// A duration in `DurationText` form (`250ms`, `10s`, `1m30s`); greater than zero when `positive`. A negative
    /// one (`-1s`) is reported as out of range rather than as not a duration.
    func duration(_ node: Node, _ path: String, positive: Bool) -> Duration? {
        guard let text = text(node, path, expected: Schema.durationExpected) else { return nil }
        guard let duration = DurationText.parse(text) else {
            let negative = text.hasPrefix("-") && DurationText.parse(String(text.dropFirst())) != nil
            let expected = !negative ? Schema.durationExpected
                : positive ? Schema.positiveDurationExpected : Schema.nonNegativeDurationExpected
            report(node, path, expected: expected)
            return nil
        }
        guard !positive || duration > .zero else {
            report(node, path, expected: Schema.positiveDurationExpected)
            return nil
        }
        return duration
    }

    /// A signal: `SIGTERM`, `TERM` or a number (see `Signals.parse`).
    func signal(_ node: Node, _ path: String) -> Int32? {
        let expected = "a signal such as SIGTERM, TERM or 15"
        guard let text = text(node, path, expected: expected) else { return nil }
        if let signal = Signals.parse(text) { return signal }
        report(node, path, expected: expected + Diagnostics.signalHint(text))
        return nil
    }

    /// ` (did you mean "SIGTERM"?)` for a misspelt signal name, or nothing.
    static func signalHint(_ text: String) -> String {
        let bare = Signals.byName.keys.sorted()
        let candidates = text.uppercased().hasPrefix("SIG") ? bare.map { "SIG" + $0 } : bare
        return KeySuggestion.didYouMean(text, among: candidates).map { " (\($0))" } ?? ""
    }

    /// A whole number within `range`.
    func integer(_ node: Node, _ path: String, in range: ClosedRange<Int>, expected: String) -> Int? {
        guard let text = text(node, path, expected: expected) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            report(node, path, expected: expected)
            return nil
        }
        return value
    }

    /// A finite number within `range`.
    func number(_ node: Node, _ path: String, in range: ClosedRange<Double>, expected: String) -> Double? {
        guard let text = text(node, path, expected: expected) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            report(node, path, expected: expected)
            return nil
        }
        return value
    }

    /// A user or group: a name such as `www-data` or a numeric id.
    func account(_ node: Node, _ path: String, kind: String) -> String? {
        let expected = "a \(kind) name such as www-data or a numeric id"
        guard let text = text(node, path, expected: expected) else { return nil }
        let forbidden: Set<Unicode.Scalar> = [":", "/", ",", "\0"]
        let valid: Bool
        if text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber) {
            valid = UInt32(text).map { $0 < UInt32.max } ?? false
        } else {
            valid = !text.isEmpty && text.count <= 32 && !text.hasPrefix("-") && !text.hasPrefix("+")
                && !text.unicodeScalars.contains { forbidden.contains($0) || $0.properties.isWhitespace }
        }
        guard valid else {
            report(node, path, expected: expected)
            return nil
        }
        return text
    }

    /// Permission bits: octal text (`"0660"`, `"660"`, `0660`, `0o660`) or a decimal integer (`432`), at most 0777.
    func fileMode(_ node: Node, _ path: String) -> UInt32? {
        let expected = "octal permission bits such as \"0660\" (at most 0777)"
        guard let text = text(node, path, expected: expected), case .scalar(let scalar) = node else { return nil }
        var digits = Substring(text)
        var radix = 10
        if digits.hasPrefix("0o") || digits.hasPrefix("0O") {
            digits = digits.dropFirst(2)
            radix = 8
        } else if scalar.style != .plain || (digits.hasPrefix("0") && digits.count > 1) {
            radix = 8
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = UInt32(digits, radix: radix), value <= 0o777 else {
            if radix == 10, let decimal = UInt32(digits), decimal > 0o777 {
                report(node, path, expected: expected + "; a plain \(text) is decimal: write 0\(text) or \"\(text)\"")
            } else {
                report(node, path, expected: expected)
            }
            return nil
        }
        return value
    }

    /// The items of a list, or of a single scalar when `singleAllowed`, with their key paths.
    /// Reports and returns nil when `node` is neither.
    func items(_ node: Node, _ path: String, singleAllowed: Bool, expected: String) -> [(node: Node, path: String)]? {
        switch node {
        case .sequence(let sequence):
            return sequence.enumerated().map { ($0.element, KeyPath.item(path, $0.offset)) }
        case .scalar where singleAllowed && !node.isNull:
            return [(node, path)]
        default:
            report(node, path, expected: expected)
            return nil
        }
    }
}
