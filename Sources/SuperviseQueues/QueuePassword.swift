import Foundation
import SuperviseCore

/// Reads a queue's password from where the configuration says it is (`password_file` or `password_env`). The
/// daemon does this where it starts reading the queues, never the configuration loader: the file holds a secret,
/// and the loader stays free of I/O beyond the configuration file itself.
public enum QueuePassword {
    /// The longest password file read (Redis passwords are short; a bigger file is not one).
    public static let maximumFileBytes = 64 * 1024

    /// The password of `queue`: nil when it has none. A file's one trailing line break (`\n` or `\r\n`) is not
    /// part of the password.
    ///
    /// - Throws: ``QueuePasswordError`` naming the queue and the file or variable: a file that cannot be read (with
    ///   the system's reason), is empty, too big or not UTF-8; a variable that is not set or empty.
    public static func resolve(for queue: QueueSpec,
                               environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(QueuePasswordError) -> String? {
        guard let source = queue.password else { return nil }
        func failure(_ reason: String) -> QueuePasswordError {
            QueuePasswordError(queue: queue.name, source: source, reason: reason)
        }
        switch source {
        case .environment(let variable):
            guard let value = environment[variable] else { throw failure("the variable is not set") }
            guard !value.isEmpty else { throw failure("the variable is empty") }
            return value
        case .file(let path):
            var bytes: [UInt8]
            switch contents(of: path) {
            case .success(let read): bytes = read
            case .failure(let problem): throw failure(problem.reason)
            }
            if bytes.last == UInt8(ascii: "\n") {
                bytes.removeLast()
                if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            }
            guard !bytes.isEmpty else { throw failure("the file is empty") }
            guard let password = String(validating: bytes, as: UTF8.self) else {
                throw failure("the password is not UTF-8 text")
            }
            return password
        }
    }

    /// The passwords of every queue that has one, by queue name: what ``QueueDepthPoller`` takes.
    ///
    /// - Throws: the first ``QueuePasswordError``, in the order of `queues`.
    public static func resolve(for queues: [QueueSpec],
                               environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(QueuePasswordError) -> [String: String] {
        var passwords: [String: String] = [:]
        for queue in queues {
            if let password = try resolve(for: queue, environment: environment) { passwords[queue.name] = password }
        }
        return passwords
    }

    /// The file's bytes, or the system's reason it cannot be read.
    private static func contents(of path: String) -> Result<[UInt8], ReadFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return .failure(ReadFailure(errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(errno))
            }
            if count == 0 { return .success(bytes) }
            bytes += chunk[..<count]
            guard bytes.count <= maximumFileBytes else {
                return .failure(ReadFailure("the file is over \(maximumFileBytes) bytes"))
            }
        }
    }

    private struct ReadFailure: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
        init(_ code: Int32) { reason = String(cString: strerror(code)) }
    }
}
