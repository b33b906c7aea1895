#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a configuration file as UTF-8 text, turning every failure into a ``ConfigDiagnostic``.
enum FileReader {
    /// Files larger than this are refused (a configuration is a few kilobytes; this stops `/dev/zero`).
    static let maximumBytes = 4 << 20

    static func contents(ofFile path: String) -> Result<String, ConfigDiagnostic> {
        func failure(_ found: String, _ expected: String = "a readable YAML file",
                     at position: SourcePosition? = nil) -> Result<String, ConfigDiagnostic> {
            .failure(ConfigDiagnostic(file: path, line: position?.line ?? 0, column: position?.column ?? 0,
                                 keyPath: "", found: found, expected: expected))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return failure("an error opening the file: \(errorText(errno))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return failure("an error reading the file: \(errorText(errno))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumBytes {
                return failure("a file larger than \(maximumBytes >> 20) MiB", "a configuration file")
            }
        }
        if let text = String(validating: bytes, as: UTF8.self) { return .success(text) }
        return failure("bytes that are not UTF-8", "UTF-8 text", at: firstInvalidUTF8(bytes))
    }

    /// The OS's text for an `errno` value, such as "No such file or directory".
    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// Where the first byte that is not part of valid UTF-8 is.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> SourcePosition {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput, .error:
                return SourcePosition.of(scalarOffset: scalars.count, in: String(scalars))
            }
        }
    }
}
