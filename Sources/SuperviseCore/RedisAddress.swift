/// Where a Redis server listens: a TCP host and port, or a Unix socket.
///
/// Written in configuration as `127.0.0.1:6379`, `redis.internal:6380`, `[::1]:6379` or
/// `unix:/run/redis/redis.sock`; ``description`` gives that text back.
public enum RedisAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// The Unix-socket form's prefix.
    public static let unixPrefix = "unix:"

    /// `host:port` (an IPv6 host in brackets), or `unix:PATH`. Nil unless the host is not empty and has no blanks,
    /// control characters or `/`, the port is 1–65535, and a socket path is absolute.
    public static func parse(_ text: String) -> RedisAddress? {
        if text.hasPrefix(unixPrefix) {
            let path = String(text.dropFirst(unixPrefix.count))
            guard path.hasPrefix("/"), !path.unicodeScalars.contains(where: isControl) else { return nil }
            return .unix(path: path)
        }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            // [::1]:6379: the brackets keep the address's colons apart from the port's.
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
            guard host.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            // An IPv6 address without brackets would be ambiguous: ::1:6379.
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty,
              !host.unicodeScalars.contains(where: { isControl($0) || $0.properties.isWhitespace || $0 == "/" }),
              !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), (1...65535).contains(port) else { return nil }
        return .tcp(host: String(host), port: port)
    }

    /// `127.0.0.1:6379`, `[::1]:6379` or `unix:/run/redis/redis.sock`: how errors name the server.
    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): RedisAddress.unixPrefix + path
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7F }
}
