import CCurl
import SuperviseCore

/// What a curl transfer checks: an HTTP GET, or only that a TCP connection can be established.
enum CurlCheck {
    case http(HTTPCheck)
    case tcp(host: String, port: Int)
}

/// One HTTP or TCP probe run: an easy handle with everything it points to (header list, error
/// buffer, collected body), freed together when the transfer is released.
///
/// A fresh handle per run keeps runs independent: `CURLOPT_FORBID_REUSE` closes the connection
/// after every run, so each probe opens a new connection like a new client would (a server that
/// still answers on an old keep-alive connection but no longer accepts is caught), and TCP
/// (`CURLOPT_CONNECT_ONLY`) connections are closed by `curl_easy_cleanup`.
///
/// The owner must remove the handle from its multi handle before releasing the transfer; the
/// write callback gets an unretained pointer to the transfer, valid while the owner holds it.
final class CurlTransfer {
    /// Body bytes kept for `bodyContains` and the failure excerpt; the transfer stops reading there.
    static let bodyCap = 4096

    let handle: UnsafeMutableRawPointer
    let check: CurlCheck
    let timeoutMs: Int
    /// Monotonic nanoseconds when the run started.
    let started: UInt64
    /// Connections are made in this process's network namespace (a container's main process).
    let networkNamespacePid: Int32?
    /// Results carry the start of the body (drain progress readings).
    var keepsBody = false
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private(set) var body: [UInt8] = []
    /// The body reached `bodyCap`: the resulting write error is the transfer's normal end.
    private(set) var bodyCapped = false

    /// A configured transfer, or why it could not be set up.
    static func make(_ check: CurlCheck, timeoutMs: Int, started: UInt64,
                     networkNamespacePid: Int32? = nil) -> Result<CurlTransfer, ProbeSetupError> {
        guard CurlGlobal.ensureInitialized() else { return .failure(ProbeSetupError("curl_global_init failed")) }
        guard let handle = curl_easy_init() else { return .failure(ProbeSetupError("curl_easy_init failed")) }
        let transfer = CurlTransfer(handle: handle, check: check, timeoutMs: timeoutMs, started: started,
                                    networkNamespacePid: networkNamespacePid)
        if let error = transfer.configure() { return .failure(error) }
        return .success(transfer)
    }

    private init(handle: UnsafeMutableRawPointer, check: CurlCheck, timeoutMs: Int, started: UInt64, networkNamespacePid: Int32?) {
        self.handle = handle
        self.networkNamespacePid = networkNamespacePid
        self.check = check
        self.timeoutMs = timeoutMs
        self.started = started
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// The host name and `host:port` the transfer connects to, for failure texts.
    var target: (host: String, target: String) {
        switch check {
        case .http(let http): FailureText.target(url: http.url)
        case .tcp(let host, let port): (host, FailureText.target(host: host, port: port))
        }
    }

    private func configure() -> ProbeSetupError? {
        var failed: (String, CURLcode)?
        func set(_ name: String, _ code: CURLcode) {
            if failed == nil, code != CURLE_OK { failed = (name, code) }
        }
        set("NOSIGNAL", csupervise_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set("TIMEOUT_MS", csupervise_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMs))
        set("CONNECTTIMEOUT_MS", csupervise_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeoutMs))
        set("ERRORBUFFER", csupervise_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        // Probes go straight to the unit: never through a proxy from the daemon's environment.
        set("PROXY", csupervise_easy_setopt_string(handle, CURLOPT_PROXY, ""))
        if let pid = networkNamespacePid {
            // Every container's 127.0.0.1:8081 looks the same to curl's connection pool: a pooled
            // connection could lead into another container. Fresh connection, closed after the run.
            set("OPENSOCKETFUNCTION", csupervise_easy_setopt_netns(handle, pid))
            set("FRESH_CONNECT", csupervise_easy_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1))
            set("FORBID_REUSE", csupervise_easy_setopt_long(handle, CURLOPT_FORBID_REUSE, 1))
        }
        switch check {
        case .http(let http):
            // HTTP runs reuse idle keep-alive connections from the multi handle's pool: a fresh
            // TCP connection per run costs more than the request itself (about 5x the CPU at
            // 1,000 probes/s on loopback). A connection that breaks or times out is closed, and
            // the next run connects anew.
            set("URL", csupervise_easy_setopt_string(handle, CURLOPT_URL, http.url))
            set("PROTOCOLS_STR", csupervise_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
            set("HTTPGET", csupervise_easy_setopt_long(handle, CURLOPT_HTTPGET, 1))
            set("FOLLOWLOCATION", csupervise_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
            set("USERAGENT", csupervise_easy_setopt_string(handle, CURLOPT_USERAGENT, "supervise-probe"))
            for (name, value) in http.headers.sorted(by: { $0.key < $1.key }) {
                // `Name;` sends an empty header (`Name:` would remove it); no CR/LF injection.
                let line = (value.isEmpty ? "\(name);" : "\(name): \(value)").filter { $0 != "\r" && $0 != "\n" }
                guard let list = curl_slist_append(headerList, line) else {
                    return ProbeSetupError("cannot add header \(name)")
                }
                headerList = list
            }
            if let headerList { set("HTTPHEADER", csupervise_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)) }
            set("WRITEFUNCTION", csupervise_easy_setopt_write_callback(handle) { data, size, count, context in
                let n = size * count
                guard let data, let context else { return n }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.receive(UnsafeRawBufferPointer(start: data, count: n))
            })
            set("WRITEDATA", csupervise_easy_setopt_pointer(handle, CURLOPT_WRITEDATA,
                                                            Unmanaged.passUnretained(self).toOpaque()))
        case .tcp(let host, let port):
            set("URL", csupervise_easy_setopt_string(handle, CURLOPT_URL, "http://\(FailureText.target(host: host, port: port))/"))
            set("CONNECT_ONLY", csupervise_easy_setopt_long(handle, CURLOPT_CONNECT_ONLY, 1))
        }
        guard let (name, code) = failed else { return nil }
        return ProbeSetupError("curl option \(name): \(FailureText.curlText(code))")
    }

    /// Body bytes from curl: kept up to `bodyCap`, then the transfer is stopped.
    private func receive(_ bytes: UnsafeRawBufferPointer) -> Int {
        let room = Self.bodyCap - body.count
        if bytes.count <= room {
            body.append(contentsOf: bytes)
            return bytes.count
        }
        body.append(contentsOf: bytes.prefix(room))
        bodyCapped = true
        return 0 // CURLE_WRITE_ERROR: enough read; the status is already known.
    }

    /// The verdict once curl reports the transfer done with `code`.
    func result(_ code: CURLcode, at now: UInt64) -> ProbeResult {
        let latency = Duration.monotonic(from: started, to: now)
        guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && bodyCapped) else {
            var osErrno = 0
            _ = csupervise_easy_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno)
            let (host, target) = self.target
            let failure = FailureText.curl(code, target: target, host: host, timeoutMs: timeoutMs,
                                           osErrno: Int32(truncatingIfNeeded: osErrno),
                                           detail: String(cString: errorBuffer))
            return ProbeResult(healthy: false, latency: latency, failure: failure)
        }
        guard case .http(let http) = check else { return ProbeResult(healthy: true, latency: latency) }
        var status = 0
        _ = csupervise_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if keepsBody {
            var result = ProbeResult(healthy: status >= http.statusMin && status <= http.statusMax, latency: latency,
                                     failure: status >= http.statusMin && status <= http.statusMax ? nil : FailureText.httpStatus(status, body: body))
            result.body = String(decoding: body, as: UTF8.self)
            return result
        }
        guard status >= http.statusMin, status <= http.statusMax else {
            return ProbeResult(healthy: false, latency: latency, failure: FailureText.httpStatus(status, body: body))
        }
        if let needle = http.bodyContains, !Self.bytes(body, contain: Array(needle.utf8)) {
            return ProbeResult(healthy: false, latency: latency, failure: FailureText.bodyMissing(needle))
        }
        return ProbeResult(healthy: true, latency: latency)
    }

    static func bytes(_ haystack: [UInt8], contain needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}

/// A probe run that could not even be started (bad option, out of memory, spawn queue gone).
struct ProbeSetupError: Error, Sendable {
    var description: String
    init(_ description: String) { self.description = description }
}
