import Foundation

/// `headers_file`: request headers kept out of the configuration file, one `Name: value` per line.
///
/// Blank lines and lines starting with `#` are skipped. Read at every attempt, so a rotated token is used
/// without a reload. Errors never quote the file's contents (they are secrets): only the path and line number.
enum HeadersFile {
    /// Files larger than this are refused: a headers file is a few lines.
    static let maximumBytes = 64 * 1024

    /// The header lines of the file at `path` (`Name: value`), or why they cannot be read.
    static func read(_ path: String) -> Result<[String], HeadersFileError> {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            return .failure(HeadersFileError("headers_file \(path) \(reason)"))
        }
        guard data.count <= maximumBytes else {
            return .failure(HeadersFileError("headers_file \(path) is over \(maximumBytes) bytes"))
        }
        return parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// The header lines of `text`, the contents of the file at `path`.
    static func parse(_ text: String, path: String) -> Result<[String], HeadersFileError> {
        var lines: [String] = []
        // "\r\n" is one Character in Swift: split on both line ends.
        let rawLines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (index, raw) in rawLines.enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), isHeaderName(line[..<colon]),
                  !line.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F })
            else {
                return .failure(HeadersFileError(
                    "headers_file \(path) line \(index + 1): expected Name: value (a header name, a colon, its value)"))
            }
            let name = line[..<colon]
            var value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            while let last = value.last, last == " " || last == "\t" { value = value.dropLast() }
            // `Name;` is how curl sends a header with an empty value (`Name:` would remove curl's own).
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        return .success(lines)
    }

    /// An HTTP token (RFC 9110): letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isHeaderName(_ name: Substring) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0))
        }
    }
}

/// Why a headers file could not be used.
struct HeadersFileError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
