import SuperviseHTTPClient
#if canImport(Glibc)
import Glibc
#endif

/// A failure to talk to the daemon, worded for the operator.
public struct ControlClientError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The control socket's client, used by the CLI, the tests and the benchmarks (never inside the daemon): the
/// project's one HTTP client (``LocalHTTPClient``) on the daemon's unix socket, with failures worded for the
/// operator (which socket, whether the daemon runs, who may use it).
public struct ControlClient: Sendable {
    public var socketPath: String
    public var timeoutSeconds: Int

    public init(socketPath: String, timeoutSeconds: Int = 30) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    private var http: LocalHTTPClient { LocalHTTPClient(.unixSocket(socketPath), timeout: .seconds(timeoutSeconds)) }

    /// Sends one request and returns the daemon's answer.
    public func request(_ method: String, _ path: String, body: [UInt8] = []) throws(ControlClientError) -> LocalHTTPResponse {
        do { return try http.request(method, path, body: body) } catch { throw worded(error) }
    }

    /// `GET path` for an answer that goes on (`/v1/events`): calls `onLine` with each line of the
    /// chunked body as it arrives, until the daemon ends it or `onLine` returns false. A status
    /// other than 200 comes back with its whole body; 200 with an empty one.
    public func stream(_ path: String, onLine: ([UInt8]) -> Bool) throws(ControlClientError) -> LocalHTTPResponse {
        do { return try http.stream(path, onLine: onLine) } catch { throw worded(error) }
    }

    private func worded(_ error: LocalHTTPError) -> ControlClientError {
        switch error {
        case .cannotConnect(_, ENOENT):
            ControlClientError("cannot reach the supervise daemon: no control socket at \(socketPath) (is `supervise run` running? use --socket to point elsewhere)")
        case .cannotConnect(_, EACCES), .cannotConnect(_, EPERM):
            ControlClientError("permission denied on \(socketPath): run as root or as a member of the control group")
        case .cannotConnect(_, ECONNREFUSED):
            ControlClientError("the supervise daemon is not running (nothing listens on \(socketPath))")
        case .invalidEndpoint:
            ControlClientError("control socket path too long: \(socketPath)")
        case .timedOut:
            ControlClientError("no answer from the daemon within \(timeoutSeconds)s")
        default:
            ControlClientError("\(error)")
        }
    }
}
