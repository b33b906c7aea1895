/// A 1-based line and column (in Unicode scalars) in the original text of a configuration file.
struct SourcePosition: Hashable, Comparable, Sendable {
    var line: Int
    var column: Int

    static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    /// The position of the Unicode scalar `offset` scalars into `text`, counting line breaks as libyaml does
    /// (`\r\n`, `\r`, `\n`, NEL, LS and PS).
    static func of(scalarOffset offset: Int, in text: String) -> SourcePosition {
        var position = SourcePosition(line: 1, column: 1)
        var previous: Unicode.Scalar?
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index >= offset { break }
            switch scalar {
            case "\n" where previous == "\r":
                break  // the second half of a CRLF: the line was already counted
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                position = SourcePosition(line: position.line + 1, column: 1)
            default:
                position.column += 1
            }
            previous = scalar
        }
        return position
    }
}
