/// The last few hundred bytes of an exec probe's output, as one line for a failure text.
///
/// Lines are kept whole where possible and joined with ` | `; a single overlong line keeps its end.
struct OutputTail {
    let limit: Int
    private var lines: [String] = []
    private var bytes = 0

    init(limit: Int = 200) { self.limit = limit }

    mutating func append(_ line: String) {
        var clean = Substring(FailureText.singleLine(line.utf8, limit: Int.max))
        guard !clean.isEmpty else { return }
        if clean.utf8.count > limit {
            // Keep the end of an overlong line (that is where errors usually are).
            clean = clean.suffix(limit)
            while clean.utf8.count > limit - 3 { clean = clean.dropFirst() }
            clean = "…" + clean
        }
        lines.append(String(clean))
        bytes += clean.utf8.count + 3
        while bytes > limit + 3, lines.count > 1 {
            bytes -= lines.removeFirst().utf8.count + 3
        }
    }

    /// The tail, at most about `limit` bytes.
    var text: String { lines.joined(separator: " | ") }
}
