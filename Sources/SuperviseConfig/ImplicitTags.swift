import Yams

/// YAML 1.1's implicit tags for plain scalars (`yes` is a bool, `0x1F` an int, `~` a null), given to a tree that Yams
/// composed with its rule-less resolver (`Resolver.basic`, which tags every plain scalar `str`).
///
/// Yams' default resolver tells them apart by matching every plain scalar against seven `NSRegularExpression`s. Those
/// bring Foundation's regular expressions and ICU's engine and tables into the daemon for a handful of spellings,
/// and Swift's `Regex` would bring its pattern parser: about 1 MiB of the idle daemon's RSS, in pages touched once,
/// at the first configuration it reads. The rules here are Yams' own (`Resolver.default`), in its order (bool, int,
/// float, merge, null, timestamp, value), each written out as the few lines of matching its pattern comes to; a test
/// holds them to Yams' resolver on every spelling it knows and on thousands made at random. A scalar that carries a
/// tag of its own in the text (`!!str 5`, `! yes`) keeps it, as with Yams' resolver.
enum ImplicitTags {
    /// The tag Yams' default resolver gives the plain scalar `text`: the first rule that matches, `str` if none does.
    static func tag(of text: String) -> Tag.Name {
        // The patterns are ASCII: a scalar outside it matches none, as one byte of UTF-8 outside it does.
        let s = Array(text.utf8)
        if isBool(text) { return .bool }
        if isInt(s) { return .int }
        if isFloat(s) { return .float }
        if text == "<<" { return .merge }
        if text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL" { return .null }
        if isTimestamp(s) { return .timestamp }
        if text == "=" { return .value }
        return .str
    }

    /// `root` with each plain scalar that has no tag of its own in `text` (the text it was composed from) tagged
    /// by YAML 1.1's rules.
    static func resolve(_ root: Node, in text: String) -> Node {
        var pass = Pass(text: text)
        var node = root
        pass.resolve(&node)
        return node
    }

    private static let bools: Set<String> = ["yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
                                             "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"]

    static func isBool(_ text: String) -> Bool { bools.contains(text) }

    /// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`
    static func isInt(_ s: [UInt8]) -> Bool {
        var c = Cursor(s)
        c.sign()
        let start = c.i
        if c.take("0"), c.take("b") { return c.run(binary) >= 1 && c.atEnd }
        c.i = start
        if c.take("0") {
            _ = c.take("o")
            if c.run(octal) >= 1 && c.atEnd { return true }
        }
        c.i = start
        if c.take("0"), c.atEnd { return true }
        c.i = start
        if c.take(nonZero) {
            _ = c.run(digitOrUnderscore)
            if c.atEnd { return true }
            return c.sexagesimal() && c.atEnd
        }
        c.i = start
        if c.take("0"), c.take("x") { return c.run(hexadecimal) >= 1 && c.atEnd }
        return false
    }

    /// `[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)? | \.[0-9_]+(?:[eE][-+][0-9]+)?
    /// | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)`
    static func isFloat(_ s: [UInt8]) -> Bool {
        var c = Cursor(s)
        c.sign()
        let afterSign = c.i
        if c.take(digit) {
            _ = c.run(digitOrUnderscore)
            let mantissa = c.i
            // A number with an optional fraction and exponent.
            if c.take(".") { _ = c.run(digitOrUnderscore) }
            if c.exponent(signRequired: false), c.atEnd { return true }
            // Sexagesimal with a fraction.
            c.i = mantissa
            guard c.sexagesimal(), c.take(".") else { return false }
            _ = c.run(digitOrUnderscore)
            return c.atEnd
        }
        c.i = afterSign
        if c.take(".") {
            let rest = String(decoding: s[c.i...], as: UTF8.self)
            if rest == "inf" || rest == "Inf" || rest == "INF" { return true }
            // Unsigned only: `.5`, `.nan`.
            guard afterSign == 0 else { return false }
            if rest == "nan" || rest == "NaN" || rest == "NAN" { return true }
            return c.run(digitOrUnderscore) >= 1 && c.exponent(signRequired: true) && c.atEnd
        }
        return false
    }

    /// `[0-9]{4}-[0-9]{2}-[0-9]{2} | [0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}
    /// (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?`
    static func isTimestamp(_ s: [UInt8]) -> Bool {
        var c = Cursor(s)
        guard c.run(digit, max: 4) == 4, c.take("-") else { return false }
        let month = c.run(digit, max: 2)
        guard month >= 1, c.take("-") else { return false }
        let day = c.run(digit, max: 2)
        guard day >= 1 else { return false }
        if c.atEnd { return month == 2 && day == 2 }
        if !(c.take("T") || c.take("t")) {
            guard c.run(blank) >= 1 else { return false }
        }
        guard c.run(digit, max: 2) >= 1, c.take(":"), c.run(digit, max: 2) == 2, c.take(":"),
              c.run(digit, max: 2) == 2 else { return false }
        if c.take(".") { _ = c.run(digit) }
        if c.atEnd { return true }
        _ = c.run(blank)
        if c.take("Z") { return c.atEnd }
        guard c.take("-") || c.take("+"), c.run(digit, max: 2) >= 1 else { return false }
        if c.atEnd { return true }
        return c.take(":") && c.run(digit, max: 2) == 2 && c.atEnd
    }

    private static func digit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func nonZero(_ b: UInt8) -> Bool { b >= 0x31 && b <= 0x39 }
    private static func digitOrUnderscore(_ b: UInt8) -> Bool { digit(b) || b == 0x5F }
    private static func binary(_ b: UInt8) -> Bool { b == 0x30 || b == 0x31 || b == 0x5F }
    private static func octal(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x37) || b == 0x5F }
    private static func hexadecimal(_ b: UInt8) -> Bool {
        digitOrUnderscore(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)
    }
    private static func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    /// A position in a scalar's bytes, moved forward by what it takes.
    private struct Cursor {
        let s: [UInt8]
        var i = 0
        init(_ s: [UInt8]) { self.s = s }

        var atEnd: Bool { i == s.count }

        mutating func take(_ byte: Unicode.Scalar) -> Bool {
            guard i < s.count, s[i] == UInt8(byte.value) else { return false }
            i += 1
            return true
        }

        mutating func take(_ accepts: (UInt8) -> Bool) -> Bool {
            guard i < s.count, accepts(s[i]) else { return false }
            i += 1
            return true
        }

        /// Takes up to `max` bytes that `accepts` takes; returns how many.
        mutating func run(_ accepts: (UInt8) -> Bool, max: Int = .max) -> Int {
            var n = 0
            while n < max, i < s.count, accepts(s[i]) { i += 1; n += 1 }
            return n
        }

        mutating func sign() { _ = take("-") || take("+") }

        /// `(?::[0-5]?[0-9])+`. Two digits when they fit, since what follows a group is never a digit.
        mutating func sexagesimal() -> Bool {
            var groups = 0
            while take(":") {
                if i + 1 < s.count, s[i] >= 0x30, s[i] <= 0x35, ImplicitTags.digit(s[i + 1]) {
                    i += 2
                } else if !take(ImplicitTags.digit) {
                    return false
                }
                groups += 1
            }
            return groups >= 1
        }

        /// `(?:[eE][-+]?[0-9]+)?` (`[eE][-+][0-9]+` when `signRequired`): true when there is none, or a whole one.
        mutating func exponent(signRequired: Bool) -> Bool {
            guard take("e") || take("E") else { return true }
            let signed = take("-") || take("+")
            if signRequired && !signed { return false }
            return run(ImplicitTags.digit) >= 1
        }
    }

    /// A walk over one composed tree.
    private struct Pass {
        let text: String
        /// Where each line of `text` starts, made on the first scalar that needs a look at the text.
        var lineStarts: [String.UnicodeScalarView.Index]?
        /// One tag per name for the pass (a `Tag` is a class, made with a resolver and a constructor).
        var tags: [String: Tag] = [:]

        init(text: String) { self.text = text }

        mutating func resolve(_ node: inout Node) {
            switch node {
            case .scalar(var scalar):
                // Yams resolves a tag when it is first read: a plain scalar without a tag of its own still has the
                // implicit one, unless Yams read it while composing (a mapping's keys are compared), and then has
                // `str`, as one tagged `!!str` in the text has.
                guard scalar.style == .plain else { return }
                let implicit = scalar.tag.rawValue == Tag.Name.implicit.rawValue
                guard implicit || scalar.tag.rawValue == Tag.Name.str.rawValue else { return }
                let name = ImplicitTags.tag(of: scalar.string)
                guard name != .str, implicit || !taggedInText(at: scalar.mark) else { return }
                scalar.tag = tag(name)
                node = .scalar(scalar)
            case .mapping(var mapping):
                for index in mapping.indices {
                    var (key, value) = mapping[index]
                    resolve(&key)
                    resolve(&value)
                    mapping[index] = (key, value)
                }
                node = .mapping(mapping)
            case .sequence(var sequence):
                for index in sequence.indices { resolve(&sequence[index]) }
                node = .sequence(sequence)
            case .alias:
                return
            }
        }

        mutating func tag(_ name: Tag.Name) -> Tag {
            if let known = tags[name.rawValue] { return known }
            let made = Tag(name, .basic, .default)
            tags[name.rawValue] = made
            return made
        }

        /// Whether the node whose properties start at `mark` (libyaml's start of a node: its anchor or tag, if it has
        /// one, else its value) has a tag in the text: `!!str 5`, `! yes`, `&a !!int "5"`.
        mutating func taggedInText(at mark: Mark?) -> Bool {
            guard let mark else { return false }
            if lineStarts == nil {
                var starts = [text.unicodeScalars.startIndex]
                var index = text.unicodeScalars.startIndex
                while index < text.unicodeScalars.endIndex {
                    let scalar = text.unicodeScalars[index]
                    text.unicodeScalars.formIndex(after: &index)
                    if scalar == "\n" { starts.append(index) }
                }
                lineStarts = starts
            }
            guard let starts = lineStarts, mark.line >= 1, mark.line <= starts.count else { return false }
            let scalars = text.unicodeScalars
            guard var index = scalars.index(starts[mark.line - 1], offsetBy: mark.column - 1, limitedBy: scalars.endIndex),
                  index < scalars.endIndex else { return false }
            if scalars[index] == "&" {
                // The anchor's name, then the space (or line break) before the tag or the value.
                while index < scalars.endIndex, !Self.isSpace(scalars[index]) { scalars.formIndex(after: &index) }
                while index < scalars.endIndex, Self.isSpace(scalars[index]) { scalars.formIndex(after: &index) }
            }
            return index < scalars.endIndex && scalars[index] == "!"
        }

        static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
        }
    }
}
