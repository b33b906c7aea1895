/// `metrics:`: where Prometheus scrapes supervise besides the control socket.
public struct MetricsSettings: Sendable, Hashable, Codable {
    /// A TCP listener that answers `GET /metrics` only (read-only); nil: the control socket only.
    public var listen: ListenAddress?

    /// The listener's address when `metrics:` names none: loopback, Prometheus' port range.
    public static let defaultListen = ListenAddress(host: "127.0.0.1", port: 9469)

    public init(listen: ListenAddress? = nil) { self.listen = listen }
}

/// An IP address and TCP port to listen on: `127.0.0.1:9469`, `[::1]:9469`, `0.0.0.0:9469`.
public struct ListenAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal (no brackets), never a name: binding must not wait for DNS.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `HOST:PORT` or `[IPV6]:PORT` with an IP literal and a port in 1...65535.
    public static func parse(_ text: String) -> ListenAddress? {
        var host: Substring, port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4, parts.allSatisfy({ p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && UInt8(p) != nil }) else {
                return nil
            }
        }
        guard !host.isEmpty, let number = Int(port), (1...65535).contains(number), port.allSatisfy(\.isNumber) else { return nil }
        return ListenAddress(host: String(host), port: number)
    }

    /// Whether only this machine can connect.
    public var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
