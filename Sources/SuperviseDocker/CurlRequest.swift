import CCurl

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

    let handle: UnsafeMutableRawPointer
    let request: HTTPRequest
    let handlers: TransferHandlers
    let socket: String
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    private(set) var headComplete = false
    private(set) var body: [UInt8] = []
    /// The body passed ``bodyCap``: the transfer was stopped with a write error.
    private(set) var overflowed = false

    /// A configured transfer, or why it could not be set up.
    static func make(_ request: HTTPRequest, socket: String, handlers: TransferHandlers) -> Result<CurlRequest, DockerError> {
        guard CurlGlobal.ensureInitialized() else { return .failure(.transport("libcurl could not be initialized")) }
        guard let handle = curl_easy_init() else { return .failure(.transport("curl_easy_init failed")) }
        let transfer = CurlRequest(handle: handle, request: request, socket: socket, handlers: handlers)
        if let error = transfer.configure() { return .failure(error) }
        return .success(transfer)
    }

    private init(handle: UnsafeMutableRawPointer, request: HTTPRequest, socket: String, handlers: TransferHandlers) {
        self.handle = handle
        self.request = request
        self.socket = socket
        self.handlers = handlers
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    private func configure() -> DockerError? {
        var failed: (String, CURLcode)?
        func set(_ name: String, _ code: CURLcode) {
            if failed == nil, code != CURLE_OK { failed = (name, code) }
        }
        set("NOSIGNAL", csupervise_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set("UNIX_SOCKET_PATH", csupervise_easy_setopt_string(handle, CURLOPT_UNIX_SOCKET_PATH, socket))
        // The host part is ignored on a unix socket; Docker's own client sends "localhost" too.
        set("URL", csupervise_easy_setopt_string(handle, CURLOPT_URL, "http://localhost" + request.path))
        set("PROTOCOLS_STR", csupervise_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http"))
        set("PROXY", csupervise_easy_setopt_string(handle, CURLOPT_PROXY, ""))
        set("ERRORBUFFER", csupervise_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        set("CONNECTTIMEOUT_MS", csupervise_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.connectTimeoutMs))
        set("TIMEOUT_MS", csupervise_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, (request.timeoutSeconds ?? 0) * 1000))
        set("USERAGENT", csupervise_easy_setopt_string(handle, CURLOPT_USERAGENT, "supervise"))
        switch request.method {
        case .get:
            set("HTTPGET", csupervise_easy_setopt_long(handle, CURLOPT_HTTPGET, 1))
        case .post:
            // An empty body, copied by curl (so nothing here has to outlive the call), sent with
            // Content-Length: 0 and without curl's default form Content-Type.
            set("POSTFIELDSIZE", csupervise_easy_setopt_long(handle, CURLOPT_POSTFIELDSIZE, 0))
            set("COPYPOSTFIELDS", csupervise_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, ""))
            headerList = curl_slist_append(headerList, "Content-Type:")
        case .delete:
            set("CUSTOMREQUEST", csupervise_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "DELETE"))
        }
        if let headerList { set("HTTPHEADER", csupervise_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)) }
        let context = Unmanaged.passUnretained(self).toOpaque()
        set("HEADERFUNCTION", csupervise_easy_setopt_header_callback(handle) { data, size, count, context in
            let n = size * count
            guard let data, let context else { return n }
            Unmanaged<CurlRequest>.fromOpaque(context).takeUnretainedValue()
                .header(UnsafeRawBufferPointer(start: data, count: n))
            return n
        })
        set("HEADERDATA", csupervise_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        set("WRITEFUNCTION", csupervise_easy_setopt_write_callback(handle) { data, size, count, context in
            let n = size * count
            guard let data, let context else { return n }
            return Unmanaged<CurlRequest>.fromOpaque(context).takeUnretainedValue()
                .receive(UnsafeRawBufferPointer(start: data, count: n))
        })
        set("WRITEDATA", csupervise_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        guard let (name, code) = failed else { return nil }
        return .transport("curl option \(name): \(TransportFailure.curlText(code))")
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
        let cap = request.streaming ? Self.errorBodyCap : Self.bodyCap
        guard body.count + bytes.count <= cap else {
            overflowed = true
            return 0 // CURLE_WRITE_ERROR ends the transfer.
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    /// How the transfer ended, once curl reports it done with `code`.
    func outcome(_ code: CURLcode) -> TransferOutcome {
        if code == CURLE_OK {
            return .completed(HTTPResponse(status: status, headers: headers, body: body))
        }
        if overflowed {
            return .failed(.invalidResponse("answer to \(request.summary) is larger than \(Self.bodyCap >> 20) MiB"))
        }
        var osErrno = 0
        _ = csupervise_easy_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno)
        return .failed(TransportFailure.error(curl: code, osErrno: Int32(truncatingIfNeeded: osErrno),
                                              detail: String(cString: errorBuffer), socket: socket,
                                              timeoutSeconds: request.timeoutSeconds))
    }
}
