/// A placeholder in a replicated service's settings, filled in for each replica.
///
/// Only the exact tokens are placeholders, and not when a `$` comes right before them: `${replica}` and
/// `${port}` are shell text (a variable's expansion in `sh -c "..."`) and are left as written.
public enum ReplicaPlaceholder: String, Sendable, Hashable, Codable, CaseIterable {
    /// The replica's number: 1 for `worker-1`.
    case replica = "{replica}"
    /// The service's base `port` plus the replica's number: 8081 for `worker-1` with `port: 8080`.
    case port = "{port}"

    /// Whether `text` holds the placeholder.
    public func occurs(in text: String) -> Bool {
        firstRange(in: text[...]) != nil
    }

    /// `text` with every occurrence of the placeholder replaced by `value`.
    public func fill(_ text: String, with value: String) -> String {
        var result = ""
        var rest = text[...]
        while let range = firstRange(in: rest) {
            result += rest[..<range.lowerBound]
            result += value
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    /// The first occurrence in `text` not preceded by `$`.
    private func firstRange(in text: Substring) -> Range<Substring.Index>? {
        var start = text.startIndex
        while let range = text[start...].firstRange(of: rawValue) {
            if range.lowerBound == text.startIndex || text[text.index(before: range.lowerBound)] != "$" {
                return range
            }
            start = range.upperBound
        }
        return nil
    }
}

/// What the placeholders of one replica stand for.
struct ReplicaValues {
    /// `{replica}`'s text: the replica number, or nothing for a container entry that is not a Compose service.
    var replica: String
    /// `{port}`'s value; nil where there is none (container entries), and the placeholder stays as written.
    var port: Int?

    /// `text` with the placeholders filled.
    func fill(_ text: String) -> String {
        let filled = ReplicaPlaceholder.replica.fill(text, with: replica)
        return port.map { ReplicaPlaceholder.port.fill(filled, with: String($0)) } ?? filled
    }
}

extension ProbeSpec {
    /// The probe with its placeholders filled in its URL, `tcp` host and port (``ProcessService/tcpPortPlaceholder``
    /// standing for `{port}`) and `exec` command.
    func filling(_ values: ReplicaValues) -> ProbeSpec {
        var copy = self
        switch check {
        case .http(var http):
            http.url = values.fill(http.url)
            copy.check = .http(http)
        case .tcp(let host, let port):
            let filledPort = port == ProcessService.tcpPortPlaceholder ? values.port ?? port : port
            copy.check = .tcp(host: values.fill(host), port: filledPort)
        case .exec(let command):
            copy.check = .exec(command: command.map(values.fill))
        }
        return copy
    }
}

extension DrainSpec {
    /// The drain with its placeholders filled in its request and progress URLs.
    func filling(_ values: ReplicaValues) -> DrainSpec {
        var copy = self
        if case .http(let url) = start { copy.start = .http(url: values.fill(url)) }
        if let url = progress?.url { copy.progress?.url = values.fill(url) }
        return copy
    }
}
