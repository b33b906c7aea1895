#if canImport(Glibc)
import Glibc
#endif

/// Why an exchange of ``LocalHTTPClient`` failed, each naming the endpoint.
public enum LocalHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No socket could be made, or `connect` failed: `errno` says why (`ENOENT`, `ECONNREFUSED`, `EACCES`, ...).
    case cannotConnect(endpoint: LocalHTTPEndpoint, errno: Int32)
    /// The endpoint cannot be addressed: a unix socket path too long (or empty), a port out of range.
    case invalidEndpoint(LocalHTTPEndpoint)
    /// No complete answer (or, for ``LocalHTTPClient/stream(_:onLine:)``, no head) within the client's timeout.
    case timedOut(endpoint: LocalHTTPEndpoint, after: Duration)
    /// `send` or `recv` failed (`operation` names which) with `errno`, e.g. `ECONNRESET`.
    case connectionFailed(endpoint: LocalHTTPEndpoint, operation: String, errno: Int32)
    /// The peer closed the connection before the answer was complete.
    case closedEarly(endpoint: LocalHTTPEndpoint, detail: String)
    /// The answer is not HTTP/1.x, or its head, length or chunks are malformed.
    case malformed(endpoint: LocalHTTPEndpoint, detail: String)

    /// The endpoint the exchange was with.
    public var endpoint: LocalHTTPEndpoint {
        switch self {
        case .cannotConnect(let endpoint, _), .invalidEndpoint(let endpoint), .timedOut(let endpoint, _),
             .connectionFailed(let endpoint, _, _), .closedEarly(let endpoint, _), .malformed(let endpoint, _):
            endpoint
        }
    }

    public var description: String {
        switch self {
        case .cannotConnect(let endpoint, let code): "cannot connect to \(endpoint): \(String(cString: strerror(code)))"
        case .invalidEndpoint(let endpoint): "cannot address \(endpoint): a unix socket path must have 1 to 107 bytes, a port 1 to 65535"
        case .timedOut(let endpoint, let after): "no answer from \(endpoint) within \(after)"
        case .connectionFailed(let endpoint, let operation, let code):
            "\(operation) to \(endpoint) failed: \(String(cString: strerror(code)))"
        case .closedEarly(let endpoint, let detail): "\(endpoint) closed the connection \(detail)"
        case .malformed(let endpoint, let detail): "malformed answer from \(endpoint): \(detail)"
        }
    }
}
