/// The parts of an `http://` or `https://` URL that a probe or a drain request needs.
struct URLParts: Equatable {
    var scheme: String
    var host: String
    var port: Int
    /// The path and query, `/` when the URL has none.
    var path: String

    /// Nil unless `http://HOST[:PORT][/PATH]` or `https://…` (the configuration has checked that already).
    init?(_ text: String) {
        let lower = text.lowercased()
        let scheme: String
        if lower.hasPrefix("http://") { scheme = "http" } else if lower.hasPrefix("https://") { scheme = "https" } else {
            return nil
        }
        var rest = Substring(text.dropFirst(scheme.count + 3))
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = authority
        var port = scheme == "https" ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()) else { return nil }; port = p }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = p
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.path = rest.isEmpty ? "/" : (rest.hasPrefix("?") ? "/" + rest : String(rest))
    }
}
