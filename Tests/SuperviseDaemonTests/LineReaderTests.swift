import Synchronization
import Testing
@testable import SuperviseProcess

/// How ``LineReader`` splits what a pipe delivers into lines and cuts long ones; bytes are handed to it
/// directly, in chunks as `read(2)` could return them.
@Suite struct LineReaderTests {
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// The lines `chunks` make, read through a reader with `maxLine`, the pipe ending after them.
    func lines(_ chunks: [[UInt8]], maxLine: Int = 16) -> [String] {
        let lines = Lines()
        let reader = LineReader(fd: -1, maxLine: maxLine, onLine: { lines.append($0) }, onEnd: nil)
        for chunk in chunks { chunk.withUnsafeBufferPointer { reader.consume($0) } }
        reader.finish()
        return lines.all
    }

    func lines(_ chunks: String..., maxLine: Int = 16) -> [String] {
        lines(chunks.map { Array($0.utf8) }, maxLine: maxLine)
    }

    @Test("lines split at newlines, across chunks; CRLF and an unfinished last line")
    func splitting() {
        #expect(lines("a\nbb\n\nccc\r\n", "dd", "d\ne") == ["a", "bb", "", "ccc", "ddd", "e"])
        #expect(lines("") == [])
    }

    @Test("a line of exactly max_line bytes is whole")
    func exactlyMax() {
        #expect(lines(String(repeating: "x", count: 16) + "\nnext\n") == [String(repeating: "x", count: 16), "next"])
    }

    @Test("a longer line is cut at max_line and marked with its length; the rest of it is not delivered")
    func cut() {
        let long = String(repeating: "x", count: 40)
        #expect(lines(long + "\nnext\n") == [String(repeating: "x", count: 16) + " [… line cut: 40 bytes, first 16 shown]",
                                             "next"])
        // The same line in small chunks, the newline in a chunk of its own.
        let chunks = stride(from: 0, to: 40, by: 7).map { String(long.dropFirst($0).prefix(7)) } + ["\nnext\n"]
        #expect(lines(chunks.map { Array($0.utf8) }) == [
            String(repeating: "x", count: 16) + " [… line cut: 40 bytes, first 16 shown]", "next",
        ])
    }

    @Test("a megabyte line with no newline before the pipe's end is one cut line")
    func cutAtEnd() {
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 64 * 1024)
        let found = lines(Array(repeating: chunk, count: 16), maxLine: 1024)
        #expect(found == [String(repeating: "y", count: 1024) + " [… line cut: 1048576 bytes, first 1024 shown]"])
    }

    @Test("a cut does not split a UTF-8 character")
    func utf8Boundary() {
        // 15 ASCII bytes, then "é" (2 bytes) straddling the 16-byte cut: it is left out whole.
        let text = String(repeating: "a", count: 15) + "éz"
        #expect(lines(text + "\n") == [String(repeating: "a", count: 15) + " [… line cut: 18 bytes, first 15 shown]"])
        // A 4-byte character ending exactly at the cut is kept.
        let emoji = String(repeating: "a", count: 12) + "😀" + "b"
        #expect(lines(emoji + "\n") == [String(repeating: "a", count: 12) + "😀 [… line cut: 17 bytes, first 16 shown]"])
        #expect(LineReader.characterBoundary(Array("ab".utf8)) == 2)
        #expect(LineReader.characterBoundary([0x61, 0xF0, 0x9F, 0x98]) == 1)
        #expect(LineReader.characterBoundary([0x80, 0x80, 0x80, 0x80]) == 4)
    }
}
