/// An HTTP/1.1 answer: status, header fields in the order received, and the whole body (decoded from chunks when it
/// came chunked).
public struct LocalHTTPResponse: Sendable {
    /// The status code, such as 200.
    public var status: Int
    /// The header fields, names as received.
    public var headers: [(name: String, value: String)]
    /// The body; empty for an answer to ``LocalHTTPClient/stream(_:onLine:)`` with status 200, whose body went to
    /// its callback.
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first field named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The body as UTF-8 text (invalid sequences replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
