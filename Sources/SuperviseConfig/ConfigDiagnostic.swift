/// One problem found in a configuration file, with where it is and what was wanted instead.
///
/// Its ``description`` reads like a compiler diagnostic:
///
///     supervise.yaml:12:16: units.worker-1.stop_timeout: found "10 seconds", expected a duration such as 250ms, 10s, 5m or 1h
public struct ConfigDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as it was named to the loader (a path, or the label given to ``ConfigLoader/parse(yaml:file:)``).
    public var file: String
    /// 1-based line of the offending node; 0 when unknown (for example when the file cannot be read).
    public var line: Int
    /// 1-based column (in Unicode scalars) of the offending node; 0 when unknown.
    public var column: Int
    /// Dotted path of the offending key, such as `units.worker-1.restart.backoff.initial`;
    /// list items appear as `command[2]`. Empty for problems with the whole file.
    public var keyPath: String
    /// What was found, such as `"10 seconds"` (quoted when it is text), `a list` or `unknown key "comand"`.
    public var found: String
    /// What would have been accepted, such as `a duration such as 250ms, 10s, 5m or 1h`.
    public var expected: String

    /// Creates an error; `line` and `column` are 1-based, 0 when unknown.
    public init(file: String, line: Int, column: Int, keyPath: String, found: String, expected: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.found = found
        self.expected = expected
    }

    /// `FILE:LINE:COLUMN: KEYPATH: found FOUND, expected EXPECTED`.
    ///
    /// The `LINE:COLUMN` part is left out when the position is unknown (line 0),
    /// and the `KEYPATH: ` part when the problem concerns the whole file. Control characters that reach it (in a
    /// file name, say: the loader already escapes those of the file's text) are written as escapes such as
    /// `\u{1B}`, so the line is always one line and never drives the terminal it is printed on.
    public var description: String {
        var text = file
        if line > 0 { text += ":\(line):\(column)" }
        text += ": "
        if !keyPath.isEmpty { text += "\(keyPath): " }
        text += "found \(found), expected \(expected)"
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        return text.unicodeScalars.map(escaped).joined()
    }
}
