#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The password of a call queue's Redis: from a file (`--redis-password-file`), else from the environment variable
/// ``environmentVariable``, else none. Never from the command line or the queue's location, which `ps` shows.
public enum CallQueuePassword {
    /// `AGENT_SIM_REDIS_PASSWORD`: the password when no file is given.
    public static let environmentVariable = "AGENT_SIM_REDIS_PASSWORD"
    /// The longest password file read.
    public static let maximumFileBytes = 64 * 1024

    /// The password: the file's contents without one trailing line break (`\n` or `\r\n`) when `file` is given,
    /// else the variable's value when it is set and not empty, else nil.
    ///
    /// - Throws: ``CallQueuePasswordError`` for a file that cannot be read, is empty, too big or not UTF-8.
    public static func resolve(file: String?, environment: [String: String]) throws(CallQueuePasswordError) -> String? {
        guard let file else {
            guard let value = environment[environmentVariable], !value.isEmpty else { return nil }
            return value
        }
        func failure(_ reason: String) -> CallQueuePasswordError { CallQueuePasswordError(file: file, reason: reason) }
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= maximumFileBytes else { throw failure("the file is over \(maximumFileBytes) bytes") }
        }
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        guard !bytes.isEmpty else { throw failure("the file is empty") }
        guard let password = String(validating: bytes, as: UTF8.self) else { throw failure("the password is not UTF-8 text") }
        return password
    }

    /// This process's environment, without Foundation.
    public static var processEnvironment: [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}

/// A password file that cannot be used, with the reason.
public struct CallQueuePasswordError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file as given.
    public var file: String
    /// Why it cannot be used: the system's reason, or empty, too big, not UTF-8.
    public var reason: String

    /// `password file FILE: REASON`.
    public var description: String { "password file \(file): \(reason)" }
}
