#if canImport(Glibc)
import Glibc
#endif

/// A small blocking HTTP/1.1 client for this host: the daemon's control socket (the CLI), agent-sim workers and the
/// tests' fixtures (tests and benchmarks). One exchange per connection. It writes the whole request (short writes
/// and `EINTR` handled, no `SIGPIPE`), and reads an answer framed by `Content-Length`, by chunks or by the close of
/// the connection (RFC 9112 §6.3), then closes the connection itself: it asks for no `Connection: close`, so a
/// TCP connection's TIME_WAIT falls on the client's ephemeral port, not on the server's (which a test can then
/// bind again at once). Every wait is bounded by ``timeout``. It blocks its thread: call it from a thread of its
/// own, never from the cooperative pool.
///
/// Why not AsyncHTTPClient 1.37, which speaks HTTP over unix sockets too: it brings swift-nio-ssl (BoringSSL),
/// HTTP/2 and more into a binary that needs a few local requests. Measured here with two release executables
/// (`--static-swift-stdlib`) that both carry Foundation and a SwiftNIO HTTP/1 server, as `supervise` does, each
/// doing one `GET /v1/units` on a daemon's control socket: 18.4 MB stripped with this client, 28.3 MB with
/// AsyncHTTPClient (+54 %); peak RSS 10.6–11.0 MB against 17.8–18.0 MB (+7 MB, three runs each); and its package
/// graph took 20 minutes more of a first release build on the 2 cores CI has.
public struct LocalHTTPClient: Sendable {
    /// Where it connects.
    public var endpoint: LocalHTTPEndpoint
    /// How long an exchange may take, from connecting to the last byte of the answer; for
    /// ``stream(_:onLine:)``, up to the end of the answer's head.
    public var timeout: Duration

    public init(_ endpoint: LocalHTTPEndpoint, timeout: Duration = .seconds(30)) {
        self.endpoint = endpoint
        self.timeout = timeout
    }

    /// Sends `method path` with `headers` and `body` (with its `Content-Length`) and returns the whole answer.
    public func request(_ method: String, _ path: String, headers: [(name: String, value: String)] = [],
                        body: [UInt8] = []) throws(LocalHTTPError) -> LocalHTTPResponse {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var exchange = try Exchange(endpoint, deadline: deadline, timeout: timeout)
        defer { exchange.close() }
        try exchange.send(Self.requestBytes(method, path, headers: headers, body: body, host: endpoint.hostHeader))
        let (status, fields, framing) = try exchange.readHead(method: method)
        var received: [UInt8] = []
        try exchange.readBody(framing) { received.append(contentsOf: $0); return true }
        return LocalHTTPResponse(status: status, headers: fields, body: received)
    }

    /// `GET path` for an answer that goes on (the daemon's `/v1/events`): calls `onLine` with each line of the body
    /// (without its `\n`) as it arrives, until the body or the connection ends or `onLine` returns false. The server
    /// closing the connection ends the stream like its last chunk (the daemon does so when it shuts down); only
    /// complete lines are handed on. Only the head must come within ``timeout``: lines may be minutes apart. A
    /// status other than 200 comes back with its whole body; 200 with an empty one.
    public func stream(_ path: String, onLine: ([UInt8]) -> Bool) throws(LocalHTTPError) -> LocalHTTPResponse {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var exchange = try Exchange(endpoint, deadline: deadline, timeout: timeout)
        defer { exchange.close() }
        try exchange.send(Self.requestBytes("GET", path, headers: [], body: [], host: endpoint.hostHeader))
        let (status, fields, framing) = try exchange.readHead(method: "GET")
        guard status == 200 else {
            var received: [UInt8] = []
            try exchange.readBody(framing) { received.append(contentsOf: $0); return true }
            return LocalHTTPResponse(status: status, headers: fields, body: received)
        }
        exchange.deadline = nil
        var line: [UInt8] = []
        do {
            try exchange.readBody(framing) { bytes in
                for byte in bytes {
                    if byte == 10 {
                        guard onLine(line) else { return false }
                        line.removeAll(keepingCapacity: true)
                    } else {
                        line.append(byte)
                    }
                }
                return true
            }
        } catch .closedEarly {
            // The end of the stream.
        }
        return LocalHTTPResponse(status: status, headers: fields)
    }

    static func requestBytes(_ method: String, _ path: String, headers: [(name: String, value: String)], body: [UInt8],
                             host: String) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }
}

/// How the body of an answer ends (RFC 9112 §6.3).
enum BodyFraming: Equatable {
    /// No body: a HEAD request, a 1xx, 204 or 304 status.
    case none
    case length(Int)
    case chunked
    /// At the close of the connection.
    case close
}

/// One connection: a non-blocking socket whose every wait is a `poll` bounded by the deadline.
struct Exchange {
    let endpoint: LocalHTTPEndpoint
    let fd: Int32
    /// When the exchange must be over; nil for no limit.
    var deadline: ContinuousClock.Instant?
    let timeout: Duration
    /// Received bytes not consumed yet.
    private var pending: [UInt8] = []
    private var closed = false
    /// The largest answer head accepted.
    static let maximumHead = 64 * 1024

    init(_ endpoint: LocalHTTPEndpoint, deadline: ContinuousClock.Instant, timeout: Duration) throws(LocalHTTPError) {
        self.endpoint = endpoint
        self.deadline = deadline
        self.timeout = timeout
        fd = endpoint.makeSocket()
        guard fd >= 0 else { throw .cannotConnect(endpoint: endpoint, errno: errno) }
        do {
            try connect()
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    mutating func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// Connects without blocking (a unix socket whose backlog is full answers `EAGAIN`: tried again until the
    /// deadline), then leaves the socket non-blocking.
    private func connect() throws(LocalHTTPError) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        while true {
            guard let result = endpoint.withAddress({ Glibc.connect(fd, $0, $1) }) else { throw .invalidEndpoint(endpoint) }
            if result == 0 { return }
            switch errno {
            case EINTR:
                continue
            case EAGAIN:
                // A unix socket's full backlog: wait a little and try again.
                guard remainingMilliseconds().map({ $0 > 0 }) ?? true else { throw .timedOut(endpoint: endpoint, after: timeout) }
                usleep(1000)
            case EINPROGRESS:
                try wait(for: Int16(POLLOUT))
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error != 0 { throw .cannotConnect(endpoint: endpoint, errno: error) }
                return
            case let code:
                throw .cannotConnect(endpoint: endpoint, errno: code)
            }
        }
    }

    /// Milliseconds until the deadline (0 once past it); nil without one.
    private func remainingMilliseconds() -> Int32? {
        guard let deadline else { return nil }
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    /// Waits until the socket is ready for `events`; throws ``LocalHTTPError/timedOut(endpoint:after:)`` at the
    /// deadline. An error or hang-up counts as ready: the next call reports it.
    private func wait(for events: Int16) throws(LocalHTTPError) {
        while true {
            let milliseconds = remainingMilliseconds() ?? -1
            if milliseconds == 0 { throw .timedOut(endpoint: endpoint, after: timeout) }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .connectionFailed(endpoint: endpoint, operation: "poll", errno: errno) }
        }
    }

    /// Writes all of `bytes`, however many calls that takes.
    func send(_ bytes: [UInt8]) throws(LocalHTTPError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n >= 0 {
                sent += n
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN: try wait(for: Int16(POLLOUT))
            case let code: throw .connectionFailed(endpoint: endpoint, operation: "send", errno: code)
            }
        }
    }

    /// Appends what arrives next to ``pending``; false at the end of the stream.
    private mutating func receive() throws(LocalHTTPError) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                pending.append(contentsOf: buffer[..<n])
                return true
            }
            if n == 0 { return false }
            switch errno {
            case EINTR: continue
            case EAGAIN: try wait(for: Int16(POLLIN))
            case let code: throw .connectionFailed(endpoint: endpoint, operation: "recv", errno: code)
            }
        }
    }

    /// Reads the head of the final answer (1xx interim answers are skipped): status, fields, and how the body ends.
    mutating func readHead(method: String) throws(LocalHTTPError) -> (Int, [(name: String, value: String)], BodyFraming) {
        while true {
            let separator: [UInt8] = [13, 10, 13, 10]
            while pending.firstRange(of: separator) == nil {
                guard pending.count <= Self.maximumHead else {
                    throw .malformed(endpoint: endpoint, detail: "a head of more than \(Self.maximumHead) bytes")
                }
                guard try receive() else {
                    throw pending.isEmpty ? .closedEarly(endpoint: endpoint, detail: "without answering")
                        : .closedEarly(endpoint: endpoint, detail: "in the middle of the answer's head")
                }
            }
            let end = pending.firstRange(of: separator)!
            let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
            pending.removeSubrange(..<end.upperBound)
            let (status, fields) = try parseHead(head)
            if (100...199).contains(status) && status != 101 { continue }
            return (status, fields, try framing(status: status, fields: fields, method: method))
        }
    }

    private func parseHead(_ head: String) throws(LocalHTTPError) -> (Int, [(name: String, value: String)]) {
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.isEmpty ? "" : lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]),
              (100...599).contains(status) else {
            throw .malformed(endpoint: endpoint, detail: "status line \(statusLine.prefix(100).debugDescription)")
        }
        var fields: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw .malformed(endpoint: endpoint, detail: "header line \(line.prefix(100).debugDescription)")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            fields.append((String(line[..<colon]), value))
        }
        return (status, fields)
    }

    private func framing(status: Int, fields: [(name: String, value: String)], method: String) throws(LocalHTTPError) -> BodyFraming {
        if method == "HEAD" || status == 204 || status == 304 || (100...199).contains(status) { return .none }
        func values(_ name: String) -> [String] {
            fields.filter { $0.name.lowercased() == name }
                .flatMap { $0.value.split(separator: ",").map { $0.trimmingCharacters(in: " \t").lowercased() } }
        }
        let codings = values("transfer-encoding")
        if !codings.isEmpty { return codings.last == "chunked" ? .chunked : .close }
        let lengths = Set(values("content-length"))
        guard let text = lengths.first else { return .close }
        guard lengths.count == 1, text.utf8.allSatisfy({ (48...57).contains($0) }), let length = Int(text) else {
            throw .malformed(endpoint: endpoint, detail: "Content-Length \(lengths.sorted().joined(separator: ", "))")
        }
        return .length(length)
    }

    /// Reads the body as `framing` says, handing its bytes to `sink` as they arrive, until the body ends or `sink`
    /// returns false.
    mutating func readBody(_ framing: BodyFraming, sink: ([UInt8]) -> Bool) throws(LocalHTTPError) {
        switch framing {
        case .none:
            return
        case .length(var remaining):
            while remaining > 0 {
                if pending.isEmpty {
                    guard try receive() else {
                        throw .closedEarly(endpoint: endpoint, detail: "\(remaining) bytes before the end of the body")
                    }
                }
                let take = min(remaining, pending.count)
                let bytes = Array(pending[..<take])
                pending.removeSubrange(..<take)
                remaining -= take
                guard sink(bytes) else { return }
            }
        case .chunked:
            var chunks = ChunkedDecoder()
            while true {
                let bytes: [UInt8]
                do { bytes = try chunks.decode(&pending) } catch {
                    throw .malformed(endpoint: endpoint, detail: error.description)
                }
                if !bytes.isEmpty { guard sink(bytes) else { return } }
                if chunks.finished { return }
                guard try receive() else { throw .closedEarly(endpoint: endpoint, detail: "before the last chunk of the body") }
            }
        case .close:
            while true {
                if !pending.isEmpty {
                    let bytes = pending
                    pending.removeAll()
                    guard sink(bytes) else { return }
                }
                guard try receive() else { return }
            }
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in blanks: String) -> String {
        var view = self
        while let first = view.first, blanks.contains(first) { view = view.dropFirst() }
        while let last = view.last, blanks.contains(last) { view = view.dropLast() }
        return String(view)
    }
}
