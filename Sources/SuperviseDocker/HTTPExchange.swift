/// One HTTP request to the daemon, as the transport thread performs it.
struct HTTPRequest: Sendable {
    enum Method: String, Sendable { case get = "GET", post = "POST", delete = "DELETE" }

    var method: Method
    /// Path and query, already percent-encoded: `/v1.41/containers/json?all=1`.
    var path: String
    /// Whole-transfer limit; nil or 0 for none (the event stream, which is meant to stay open).
    var timeoutSeconds: Int?
    /// Deliver the body as it arrives (``TransferHandlers/onData``) instead of collecting it.
    var streaming = false
    /// A JSON body to send with a POST (`Content-Type: application/json`); nil sends an empty body.
    var jsonBody: String?

    /// `POST /containers/abc/restart`, for error texts (without the version prefix and query).
    var summary: String {
        var shown = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        if shown.hasPrefix("/v"), let slash = shown.dropFirst().firstIndex(of: "/") { shown = String(shown[slash...]) }
        return "\(method.rawValue) \(shown)"
    }
}

/// A complete answer: status, headers (names lowercased) and the collected body.
struct HTTPResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
}

/// How a transfer ended.
enum TransferOutcome: Sendable {
    /// An HTTP answer arrived in full (any status; for streams, the body holds only a non-2xx answer).
    case completed(HTTPResponse)
    /// The connection could not be made or broke.
    case failed(DockerError)
    /// ``DockerTransport/cancel(_:)``.
    case cancelled
}

/// Callbacks of one transfer, all called on the transport thread, in order: `onHead` once the
/// status and headers are in (streams only), `onData` for every body chunk of a 2xx stream, then
/// `onEnd` exactly once. They must return quickly and never block.
struct TransferHandlers: Sendable {
    var onHead: (@Sendable (_ status: Int, _ headers: [String: String]) -> Void)?
    var onData: (@Sendable ([UInt8]) -> Void)?
    var onEnd: @Sendable (TransferOutcome) -> Void
}
