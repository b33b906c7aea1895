import CCurl
import Foundation
import SuperviseCurl

/// How a failed transfer (curl code, `CURLINFO_OS_ERRNO`) or an HTTP error answer becomes a
/// ``DockerError``. Pure functions, so the mapping is unit-tested without a daemon.
enum TransportFailure {
    /// A transfer that ended with curl error `code`.
    /// - Parameters:
    ///   - osErrno: `CURLINFO_OS_ERRNO` (0 when curl did not record one).
    ///   - detail: the transfer's `CURLOPT_ERRORBUFFER` text (may be empty).
    ///   - socketState: how the socket looks on disk, consulted when curl gave no errno.
    static func error(curl code: CURLcode, osErrno: Int32, detail: String, socket: String,
                      timeoutSeconds: Int?, socketState: (String) -> Int32 = socketErrno) -> DockerError {
        switch code {
        case CURLE_COULDNT_CONNECT:
            let errno = osErrno != 0 ? osErrno : socketState(socket)
            return connectFailure(errno: errno, socket: socket, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            let limit = timeoutSeconds.flatMap { $0 > 0 ? " within \($0) s" : nil } ?? ""
            return .connectionLost(socket: socket, reason: "no answer\(limit)")
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            let text = CurlEasy.text(code)
            return .connectionLost(socket: socket, reason: detail.isEmpty || detail == text ? text : "\(text): \(detail)")
        default:
            let text = CurlEasy.text(code)
            return .transport(detail.isEmpty || detail == text ? text : "\(text): \(detail)")
        }
    }

    /// A failed `connect(2)` to the socket, by errno.
    static func connectFailure(errno: Int32, socket: String, detail: String = "") -> DockerError {
        switch errno {
        case EACCES, EPERM:
            return .permissionDenied(socket: socket)
        case ENOENT:
            return .daemonNotReachable(socket: socket, reason: "no such socket (is dockerd running?)")
        case ECONNREFUSED:
            return .daemonNotReachable(socket: socket, reason: "connection refused (is dockerd running?)")
        case 0:
            return .daemonNotReachable(socket: socket, reason: detail.isEmpty ? "cannot connect" : detail)
        default:
            return .daemonNotReachable(socket: socket, reason: String(cString: strerror(errno)))
        }
    }

    /// An HTTP answer outside 2xx (and not an accepted 304). 404 on a container path is
    /// ``DockerError/noSuchContainer(_:)``; otherwise Docker's `{"message": ...}` is quoted.
    static func error(status: Int, body: [UInt8], request: String, container: String?) -> DockerError {
        if status == 404, let container { return .noSuchContainer(container) }
        return .http(status: status, message: message(body), request: request)
    }

    /// Docker's `message` field, or the body itself (one line, trimmed) when it is not that JSON.
    static func message(_ body: [UInt8]) -> String {
        struct Message: Decodable { var message: String }
        if let decoded = try? JSONDecoder().decode(Message.self, from: Data(body)) { return decoded.message }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "(no message)" : text
    }

    /// What connecting to `path` would fail with, judged from the file system: `ENOENT` when it is
    /// missing, `EACCES` when it is not writable for this process, else 0 (unknown).
    static func socketErrno(_ path: String) -> Int32 {
        var info = stat()
        guard stat(path, &info) == 0 else { return Foundation.errno }
        return access(path, W_OK) == 0 ? 0 : Foundation.errno
    }
}
