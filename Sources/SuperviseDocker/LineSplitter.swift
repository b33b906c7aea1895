/// Splits a byte stream into newline-terminated lines: a chunk may end inside a line or hold
/// several. Empty lines are dropped; a trailing `\r` is removed.
struct LineSplitter: Sendable {
    /// A line longer than this is an error (Docker's events are a few KiB at most).
    static let maxLine = 1 << 20

    private var pending: [UInt8] = []

    /// The complete lines in `pending + chunk`; the rest waits for the next chunk. Nil when a
    /// line grew beyond ``maxLine``.
    mutating func append(_ chunk: some Collection<UInt8>) -> [ArraySlice<UInt8>]? {
        pending.append(contentsOf: chunk)
        var lines: [ArraySlice<UInt8>] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: 0x0A) {
            var line = pending[start..<newline]
            if line.last == 0x0D { line = line.dropLast() }
            if !line.isEmpty { lines.append(line) }
            start = newline + 1
        }
        // Copy the complete lines out before compacting the buffer they point into.
        let result = lines.map { ArraySlice(Array($0)) }
        pending.removeSubrange(..<start)
        return pending.count > Self.maxLine ? nil : result
    }

    /// Bytes waiting for the rest of their line.
    var bufferedCount: Int { pending.count }
}
