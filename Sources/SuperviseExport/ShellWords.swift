/// Splits a Compose `command` or `entrypoint` written as one string into words, as Compose does (shell-like
/// quoting with `'…'`, `"…"` and backslashes; no variables, globbing or operators: the words go to exec, not to a
/// shell).
enum ShellWords {
    /// The words, or nil when a quote is left open.
    static func split(_ text: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped {
                if quote == "\"" && !"\"\\$`\n".contains(c) { word.append("\\") }
                if c != "\n" || quote != nil { word.append(c) }
                escaped = false
                inWord = true
                continue
            }
            switch (quote, c) {
            case (nil, "\\"), ("\"", "\\"):
                escaped = true
            case (nil, "'"), (nil, "\""):
                quote = c
                inWord = true
            case ("'", "'"), ("\"", "\""):
                quote = nil
            case (nil, _) where c.isWhitespace:
                if inWord { words.append(word) }
                word = ""
                inWord = false
            default:
                word.append(c)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { words.append(word) }
        return words
    }
}
