import Foundation

/// A failure to talk to the daemon, worded for the operator.
public struct ControlClientError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A small blocking HTTP client for the control socket, used by the CLI (never inside the daemon).
public struct ControlClient: Sendable {
    public var socketPath: String
    public var timeoutSeconds: Int

    public init(socketPath: String, timeoutSeconds: Int = 30) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends one request and returns the status code and body.
    public func request(_ method: String, _ path: String, body: [UInt8] = []) throws -> (status: Int, body: [UInt8]) {
        let fd = try connected()
        defer { close(fd) }
        try send(fd, method, path, body: body)
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { data.append(contentsOf: buffer[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw ControlClientError("no answer from the daemon within \(timeoutSeconds)s")
            }
            break
        }
        return try Self.parse(data)
    }

    /// `GET path` for an answer that goes on (`/v1/events`): calls `onLine` with each line of the
    /// chunked body as it arrives, until the daemon ends it or `onLine` returns false. A status
    /// other than 200 comes back with its whole body; 200 with an empty one.
    public func stream(_ path: String, onLine: ([UInt8]) -> Bool) throws -> (status: Int, body: [UInt8]) {
        let fd = try connected()
        defer { close(fd) }
        try send(fd, "GET", path, body: [])
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        func receive() throws -> Bool {
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { data.append(contentsOf: buffer[0..<n]); return true }
                if n == 0 { return false }
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw ControlClientError("no answer from the daemon within \(timeoutSeconds)s") }
                throw ControlClientError("recv: \(String(cString: strerror(errno)))")
            }
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        while data.firstRange(of: separator) == nil {
            guard try receive() else { return try Self.parse(data) }
        }
        let head = data.firstRange(of: separator)!
        let (status, _) = try Self.parse(Array(data[..<head.upperBound]))
        data.removeSubrange(..<head.upperBound)
        guard status == 200 else {
            while try receive() {}
            return try Self.parse(Array("HTTP/1.1 \(status) -\r\n\r\n".utf8) + data)
        }
        // Events may be minutes apart: no receive timeout from here on.
        var none = timeval(tv_sec: 0, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, socklen_t(MemoryLayout<timeval>.size))
        var chunks = ChunkedDecoder()
        var line = [UInt8]()
        while true {
            for byte in try chunks.decode(&data) {
                if byte == 10 {
                    guard onLine(line) else { return (status, []) }
                    line.removeAll(keepingCapacity: true)
                } else {
                    line.append(byte)
                }
            }
            if chunks.finished { return (status, []) }
            guard try receive() else { return (status, []) }
        }
    }

    /// A socket connected to the daemon, with the receive timeout set.
    private func connected() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ControlClientError("socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw ControlClientError("control socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let code = errno
            close(fd)
            switch code {
            case ENOENT:
                throw ControlClientError("cannot reach the supervise daemon: no control socket at \(socketPath) (is `supervise run` running? use --socket to point elsewhere)")
            case EACCES, EPERM:
                throw ControlClientError("permission denied on \(socketPath): run as root or as a member of the control group")
            case ECONNREFUSED:
                throw ControlClientError("the supervise daemon is not running (nothing listens on \(socketPath))")
            default:
                throw ControlClientError("cannot connect to \(socketPath): \(String(cString: strerror(code)))")
            }
        }
        return fd
    }

    private func send(_ fd: Int32, _ method: String, _ path: String, body: [UInt8]) throws {
        var request = Array("\(method) \(path) HTTP/1.1\r\nHost: supervise\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
        request.append(contentsOf: body)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; throw ControlClientError("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    static func parse(_ data: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let split = data.firstRange(of: separator) else {
            throw ControlClientError("malformed answer from the daemon (\(data.count) bytes)")
        }
        let headerText = String(decoding: data[..<split.lowerBound], as: UTF8.self)
        let statusLine = headerText.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw ControlClientError("malformed status line from the daemon: \(statusLine)")
        }
        return (status, Array(data[split.upperBound...]))
    }
}
