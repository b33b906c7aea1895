/// Who is on the other end of a control connection (SO_PEERCRED).
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// One request on the control socket, as the daemon's handler sees it.
public struct ControlRequest: Sendable {
    public var method: String
    /// Path without the query string.
    public var path: String
    public var query: [String: String]
    public var body: [UInt8]
    public var peer: PeerCredentials?
    /// Why the peer may not change state, worded for the operator; nil when it may.
    public var refusal: String?

    /// A request as the server hands it on; `refusal` nil means the peer may change state.
    public init(method: String, path: String, query: [String: String] = [:], body: [UInt8] = [],
                peer: PeerCredentials? = nil, refusal: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.peer = peer
        self.refusal = refusal
    }

    /// Whether the peer may change state (root, the daemon's own user, or a member of the control group).
    public var mayChangeState: Bool { refusal == nil }
}

/// The handler's answer.
public struct ControlResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var contentType: String
    /// A body that goes on (`GET /v1/events`): `body` first, then each piece as it comes, sent
    /// chunked; the answer ends when the stream finishes, and the stream is ended when the client
    /// goes away. The server takes the next piece only once the last one is written, so a client
    /// that does not read leaves the pieces in the stream's own bounded buffer.
    public var stream: AsyncStream<[UInt8]>?

    public init(status: Int, body: [UInt8], contentType: String = "application/json", stream: AsyncStream<[UInt8]>? = nil) {
        self.status = status
        self.body = body
        self.contentType = contentType
        self.stream = stream
    }
}
