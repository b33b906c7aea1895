import Foundation

/// Which standard stream a captured line came from.
public enum OutputStream: String, Sendable {
    case stdout, stderr
}

/// Reads a child's pipe without blocking any thread and hands over complete lines.
///
/// Readiness comes from a Dispatch read source (epoll underneath) on one serial queue
/// shared by every unit. Lines longer than `maxLine` bytes are split.
final class OutputCapture: @unchecked Sendable {
    // @unchecked: `buffer` and `source` are only touched on `queue`.
    private let fd: Int32
    private let queue: DispatchQueue
    private let onLine: @Sendable (String) -> Void
    private var buffer: [UInt8] = []
    private var source: (any DispatchSourceRead)?
    static let maxLine = 16 * 1024

    init(fd: Int32, queue: DispatchQueue, onLine: @escaping @Sendable (String) -> Void) {
        self.fd = fd
        self.queue = queue
        self.onLine = onLine
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        self.source = source
        source.setEventHandler { [self] in self.readAvailable() }
        source.setCancelHandler { [fd] in close(fd) }
        source.resume()
    }

    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                emitLines()
            } else if n == 0 {
                finish()
                return
            } else if errno == EINTR {
                continue
            } else {
                if errno != EAGAIN && errno != EWOULDBLOCK { finish() }
                return
            }
        }
    }

    private func emitLines() {
        var start = 0
        for i in buffer.indices where buffer[i] == UInt8(ascii: "\n") {
            deliver(buffer[start..<i])
            start = i + 1
        }
        buffer.removeFirst(start)
        while buffer.count >= Self.maxLine {
            deliver(buffer[0..<Self.maxLine])
            buffer.removeFirst(Self.maxLine)
        }
    }

    private func deliver(_ bytes: ArraySlice<UInt8>) {
        var line = bytes
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        onLine(String(decoding: line, as: UTF8.self))
    }

    private func finish() {
        if !buffer.isEmpty { deliver(buffer[...]); buffer.removeAll() }
        source?.cancel()
        source = nil
    }
}
