import CSuperviseSys
import Foundation
import Synchronization
import SuperviseCore
import SuperviseThreads

/// Which standard stream a captured line came from.
public enum OutputStream: String, Sendable {
    case stdout, stderr
}

/// Reads every child's output pipes on one dedicated thread with epoll and hands over complete lines.
///
/// Not Dispatch read sources: creating and cancelling many of them quickly crashes libdispatch
/// on Linux (swift-corelibs-libdispatch#949), which a crash-looping unit or frequent exec probes
/// would do. Lines longer than a pipe's `maxLine` bytes are cut (see ``LineReader``). One pipe is read
/// at most ``readsPerTurn`` times in a row, so a process writing flat out cannot starve the others.
final class OutputPump: Sendable {
    private let epfd: Int32
    private let readers = Mutex<[Int32: LineReader]>([:])
    /// Reads of ``scratchSize`` bytes from one pipe before the others get their turn.
    static let readsPerTurn = 4
    /// The read buffer, shared by every pipe (only the pump thread reads): the size of a Linux pipe.
    static let scratchSize = 64 * 1024

    /// Written to stop the thread.
    private let wakeup: Int32
    private let stopping = Atomic<Bool>(false)

    init() {
        epfd = csupervise_epoll_create()
        wakeup = csupervise_eventfd()
        _ = csupervise_epoll_add(epfd, wakeup)
        startThread(named: "sv-output") { [self] in self.run() }
    }

    /// Ends the thread; the pipes it still reads are closed without another line.
    func stop() {
        // Written once: the thread closes the descriptor when it ends.
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = csupervise_eventfd_signal(wakeup)
    }

    /// Takes ownership of `fd` (closed at end of file); `onLine` gets each line, cut at `maxLine` bytes;
    /// `onEnd` runs after its last line.
    func add(fd: Int32, maxLine: Int = OutputLimits.default.maxLine, onLine: @escaping @Sendable (String) -> Void,
             onEnd: (@Sendable () -> Void)? = nil) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        readers.withLock { $0[fd] = LineReader(fd: fd, maxLine: maxLine, onLine: onLine, onEnd: onEnd) }
        if csupervise_epoll_add(epfd, fd) != 0 {
            // Cannot watch it: drop the output rather than leak the descriptor.
            readers.withLock { _ = $0.removeValue(forKey: fd) }
            close(fd)
            onEnd?()
        }
    }

    private func run() {
        var ready = [Int32](repeating: 0, count: 128)
        let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Self.scratchSize)
        defer { scratch.deallocate() }
        while !stopping.load(ordering: .acquiring) {
            let n = csupervise_epoll_wait(epfd, &ready, Int32(ready.count), -1)
            if n < 0 { if errno == EINTR { continue }; usleep(10_000); continue }
            for fd in ready.prefix(Int(n)) where fd != wakeup {
                guard let reader = readers.withLock({ $0[fd] }) else { continue }
                // Level-triggered: a pipe with more to read is reported again on the next turn.
                if reader.readAvailable(into: scratch, maxReads: Self.readsPerTurn) == .ended {
                    _ = csupervise_epoll_remove(epfd, fd)
                    readers.withLock { _ = $0.removeValue(forKey: fd) }
                    close(fd)
                    reader.onEnd?()
                }
            }
        }
        for fd in readers.withLock({ all in defer { all.removeAll() }; return Array(all.keys) }) { close(fd) }
        close(wakeup)
        close(epfd)
    }
}

/// The line buffer of one pipe. Only the pump thread touches it after registration.
///
/// A line longer than `maxLine` bytes is cut: its first `maxLine` bytes (fewer when that would split a
/// UTF-8 character) are delivered with ` [… line cut: N bytes, first M shown]` once its newline (or the
/// end of the pipe) comes, and the rest of it is counted and discarded, never delivered as further
/// lines. The buffer holds at most `maxLine` bytes whatever the process writes.
final class LineReader: @unchecked Sendable {
    // @unchecked: `partial` and `cutLength` are only used on the pump thread.
    let fd: Int32
    let maxLine: Int
    let onLine: @Sendable (String) -> Void
    let onEnd: (@Sendable () -> Void)?
    /// The start of a line whose newline has not come yet: at most `maxLine` bytes.
    private var partial: [UInt8] = []
    /// The length so far of a line longer than `maxLine` (whose head is in `partial`); nil otherwise.
    private var cutLength: Int?

    enum Progress { case more, ended }

    init(fd: Int32, maxLine: Int, onLine: @escaping @Sendable (String) -> Void, onEnd: (@Sendable () -> Void)?) {
        self.fd = fd
        self.maxLine = max(1, maxLine)
        self.onLine = onLine
        self.onEnd = onEnd
    }

    /// Reads until the pipe would block or `maxReads` reads are done; `.ended` at end of file or on an error.
    func readAvailable(into scratch: UnsafeMutableBufferPointer<UInt8>, maxReads: Int = .max) -> Progress {
        var reads = 0
        while reads < maxReads {
            let n = read(fd, scratch.baseAddress, scratch.count)
            if n > 0 {
                reads += 1
                consume(UnsafeBufferPointer(rebasing: scratch[0..<n]))
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return .more
            } else {
                finish()
                return .ended
            }
        }
        return .more
    }

    /// Splits `bytes` at newlines: whole lines are delivered, the start of an unfinished one is kept.
    func consume(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        var position = 0
        while position < bytes.count {
            let found: UnsafeMutableRawPointer? = memchr(base + position, 0x0A, bytes.count - position)
            let end = found.map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? bytes.count
            let newline = found != nil
            take(UnsafeBufferPointer(rebasing: bytes[position..<end]), endsLine: newline)
            position = end + 1
        }
    }

    /// The end of the pipe: an unfinished last line is delivered as it is.
    func finish() {
        if cutLength != nil || !partial.isEmpty { endLine() }
    }

    private func take(_ segment: UnsafeBufferPointer<UInt8>, endsLine: Bool) {
        if let length = cutLength {
            cutLength = length + segment.count
        } else if partial.count + segment.count > maxLine {
            cutLength = partial.count + segment.count
            partial.append(contentsOf: segment.prefix(maxLine - partial.count))
        } else if endsLine && partial.isEmpty {
            // The common case: a whole line in one read, delivered straight from the read buffer.
            deliver(segment)
            return
        } else {
            partial.append(contentsOf: segment)
        }
        if endsLine { endLine() }
    }

    /// Delivers the line in `partial`, cut and marked when it was longer than `maxLine`.
    private func endLine() {
        if let length = cutLength {
            let kept = Self.characterBoundary(partial)
            let head = partial[..<kept].withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
            onLine(head + " [… line cut: \(length) bytes, first \(kept) shown]")
        } else {
            partial.withUnsafeBufferPointer { deliver($0) }
        }
        // A long line's buffer is not kept for the pipe's lifetime.
        partial.removeAll(keepingCapacity: partial.capacity <= 4096)
        cutLength = nil
    }

    private func deliver(_ bytes: UnsafeBufferPointer<UInt8>) {
        var line = bytes
        if line.last == UInt8(ascii: "\r") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        onLine(String(decoding: line, as: UTF8.self))
    }

    /// How many of `bytes` to keep so that the cut does not split a UTF-8 character: all of them unless
    /// they end in the first bytes of an unfinished one.
    static func characterBoundary(_ bytes: [UInt8]) -> Int {
        var lead = bytes.count
        // At most three continuation bytes (10xxxxxx) follow a lead byte.
        while lead > 0 && bytes.count - lead < 4 {
            lead -= 1
            let byte = bytes[lead]
            guard byte & 0xC0 == 0x80 else {
                let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                return lead + length > bytes.count ? lead : bytes.count
            }
        }
        return bytes.count
    }
}
