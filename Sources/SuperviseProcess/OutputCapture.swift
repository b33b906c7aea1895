import CSuperviseSys
import Foundation
import Synchronization

/// Which standard stream a captured line came from.
public enum OutputStream: String, Sendable {
    case stdout, stderr
}

/// Reads every child's output pipes on one dedicated thread with epoll and hands over complete lines.
///
/// Not Dispatch read sources: creating and cancelling many of them quickly crashes libdispatch
/// on Linux (swift-corelibs-libdispatch#949), which a crash-looping unit or frequent exec probes
/// would do. Lines longer than ``LineReader/maxLine`` bytes are split.
final class OutputPump: Sendable {
    private let epfd: Int32
    private let readers = Mutex<[Int32: LineReader]>([:])

    init() {
        epfd = csupervise_epoll_create()
        let thread = Thread { [self] in self.run() }
        thread.name = "supervise-output"
        thread.start()
    }

    /// Takes ownership of `fd` (closed at end of file); `onEnd` runs after its last line.
    func add(fd: Int32, onLine: @escaping @Sendable (String) -> Void, onEnd: (@Sendable () -> Void)? = nil) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        readers.withLock { $0[fd] = LineReader(fd: fd, onLine: onLine, onEnd: onEnd) }
        if csupervise_epoll_add(epfd, fd) != 0 {
            // Cannot watch it: drop the output rather than leak the descriptor.
            readers.withLock { _ = $0.removeValue(forKey: fd) }
            close(fd)
            onEnd?()
        }
    }

    private func run() {
        var ready = [Int32](repeating: 0, count: 128)
        while true {
            let n = csupervise_epoll_wait(epfd, &ready, Int32(ready.count), -1)
            if n < 0 { if errno == EINTR { continue }; usleep(10_000); continue }
            for fd in ready.prefix(Int(n)) {
                guard let reader = readers.withLock({ $0[fd] }) else { continue }
                if reader.readAvailable() == .ended {
                    _ = csupervise_epoll_remove(epfd, fd)
                    readers.withLock { _ = $0.removeValue(forKey: fd) }
                    close(fd)
                    reader.onEnd?()
                }
            }
        }
    }
}

/// The line buffer of one pipe. Only the pump thread touches it after registration.
final class LineReader: @unchecked Sendable {
    // @unchecked: `buffer` is only used on the pump thread.
    static let maxLine = 16 * 1024
    let fd: Int32
    let onLine: @Sendable (String) -> Void
    let onEnd: (@Sendable () -> Void)?
    private var buffer: [UInt8] = []

    enum Progress { case more, ended }

    init(fd: Int32, onLine: @escaping @Sendable (String) -> Void, onEnd: (@Sendable () -> Void)?) {
        self.fd = fd
        self.onLine = onLine
        self.onEnd = onEnd
    }

    /// Reads until the pipe would block; `.ended` at end of file or on an error.
    func readAvailable() -> Progress {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                emitLines()
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return .more
            } else {
                if !buffer.isEmpty { deliver(buffer[...]); buffer.removeAll() }
                return .ended
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
}
