import CCurl
import SuperviseCurl

/// One request on the daemon's socket: an easy handle with everything it points to (error
/// buffer, header list), the status and headers as they arrive, and the collected body.
///
/// Confined to the transport thread. The owner removes the handle from its multi handle before
/// releasing the transfer; the callbacks get an unretained pointer to it, valid while it is held.
final class CurlRequest {
    /// Largest body collected for a non-streaming answer (a list of thousands of containers fits).
    static let bodyCap = 64 << 20
    /// Largest error body kept from a stream that did not answer 2xx.
    static let errorBodyCap = 64 << 10
    /// How long connecting to the socket may take.
    static let connectTimeoutMs = 5000

    let easy: CurlEasy
    let request: HTTPRequest
    let handlers: TransferHandlers
    let socket: String
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    private(set) var headComplete = false
    private(set) var body: [UInt8] = []
    /// The body passed ``bodyCap``: the transfer was stopped with a write error.
    private(set) var overflowed = false

    var handle: UnsafeMutableRawPointer { easy.handle }

    /// A configured transfer, or why it could not be set up.
    static func make(_ request: HTTPRequest, socket: String, handlers: TransferHandlers) -> Result<CurlRequest, DockerError> {
        guard let easy = CurlEasy() else { return .failure(.transport("libcurl could not be initialized")) }
        let transfer = CurlRequest(easy: easy, request: request, socket: socket, handlers: handlers)
        transfer.configure()
        if let failure = easy.failureText { return .failure(.transport(failure)) }
        return .success(transfer)
    }

    private init(easy: CurlEasy, request: HTTPRequest, socket: String, handlers: TransferHandlers) {
        self.easy = easy
        self.request = request
        self.socket = socket
        self.handlers = handlers
    }

    private func configure() {
        easy.set("UNIX_SOCKET_PATH", CURLOPT_UNIX_SOCKET_PATH, socket)
        // The host part is ignored on a unix socket; Docker's own client sends "localhost" too.
        easy.set("URL", CURLOPT_URL, "http://localhost" + request.path)
        easy.set("PROTOCOLS_STR", CURLOPT_PROTOCOLS_STR, "http")
        easy.set("PROXY", CURLOPT_PROXY, "")
        easy.set("CONNECTTIMEOUT_MS", CURLOPT_CONNECTTIMEOUT_MS, Self.connectTimeoutMs)
        easy.set("TIMEOUT_MS", CURLOPT_TIMEOUT_MS, (request.timeoutSeconds ?? 0) * 1000)
        easy.set("USERAGENT", CURLOPT_USERAGENT, "supervise")
        switch request.method {
        case .get:
            easy.set("HTTPGET", CURLOPT_HTTPGET, 1)
        case .post:
            // The body (empty unless JSON is given), copied by curl so nothing here has to outlive
            // the call; an empty one goes without curl's default form Content-Type.
            let body = request.jsonBody ?? ""
            easy.set("POSTFIELDSIZE", CURLOPT_POSTFIELDSIZE, body.utf8.count)
            easy.set("COPYPOSTFIELDS", CURLOPT_COPYPOSTFIELDS, body)
            easy.appendHeader(request.jsonBody == nil ? "Content-Type:" : "Content-Type: application/json")
        case .delete:
            easy.set("CUSTOMREQUEST", CURLOPT_CUSTOMREQUEST, "DELETE")
        }
        easy.applyHeaders()
        let context = Unmanaged.passUnretained(self).toOpaque()
        easy.record("HEADERFUNCTION", csupervise_easy_setopt_header_callback(handle) { data, size, count, context in
            let n = size * count
            guard let data, let context else { return n }
            Unmanaged<CurlRequest>.fromOpaque(context).takeUnretainedValue()
                .header(UnsafeRawBufferPointer(start: data, count: n))
            return n
        })
        easy.set("HEADERDATA", CURLOPT_HEADERDATA, pointer: context)
        easy.record("WRITEFUNCTION", csupervise_easy_setopt_write_callback(handle) { data, size, count, context in
            let n = size * count
            guard let data, let context else { return n }
            return Unmanaged<CurlRequest>.fromOpaque(context).takeUnretainedValue()
                .receive(UnsafeRawBufferPointer(start: data, count: n))
        })
        easy.set("WRITEDATA", CURLOPT_WRITEDATA, pointer: context)
    }

    /// One header line from curl (status line, `Name: value`, or the empty line ending the head).
    private func header(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        if line.hasPrefix("HTTP/") {
            // A new head (after a 1xx answer there is another one): start over.
            let fields = line.split(separator: " ", maxSplits: 2)
            status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
            headers = [:]
        } else if line.isEmpty {
            guard status >= 200, !headComplete else { return }
            headComplete = true
            if request.streaming { handlers.onHead?(status, headers) }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            headers[name] = String(line[line.index(after: colon)...]).trimmingWhitespace()
        }
    }

    /// Body bytes from curl: passed on for a 2xx stream, else collected up to the cap.
    private func receive(_ bytes: UnsafeRawBufferPointer) -> Int {
        if request.streaming, (200..<300).contains(status) {
            handlers.onData?(Array(bytes))
            return bytes.count
        }
        guard body.count + bytes.count <= cap else {
            overflowed = true
            return 0 // CURLE_WRITE_ERROR ends the transfer.
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    /// The most body collected: a stream's error answer is short, anything else may be a long list.
    private var cap: Int { request.streaming ? Self.errorBodyCap : Self.bodyCap }

    /// How the transfer ended, once curl reports it done with `code`.
    func outcome(_ code: CURLcode) -> TransferOutcome {
        if code == CURLE_OK {
            return .completed(HTTPResponse(status: status, headers: headers, body: body))
        }
        if overflowed {
            return .failed(.invalidResponse("answer to \(request.summary) is larger than \(cap >= 1 << 20 ? "\(cap >> 20) MiB" : "\(cap >> 10) KiB")"))
        }
        return .failed(TransportFailure.error(curl: code, osErrno: Int32(truncatingIfNeeded: easy.info(CURLINFO_OS_ERRNO)),
                                              detail: easy.errorDetail, socket: socket,
                                              timeoutSeconds: request.timeoutSeconds))
    }
}
