import CCurl
import SuperviseCore
import SuperviseCurl

/// What a curl transfer checks: an HTTP GET, or only that a TCP connection can be established.
enum CurlCheck {
    case http(HTTPCheck)
    case tcp(host: String, port: Int)
}

/// One HTTP or TCP probe run: a fresh easy handle (``CurlEasy``, with its error buffer and header
/// list) and the collected body, freed together when the transfer is released.
///
/// An HTTP run takes an idle keep-alive connection from the multi handle's pool when there is
/// one (see `configure`); a TCP run (`CURLOPT_CONNECT_ONLY`) always connects anew, and its
/// connection is closed with the handle. Runs into a container's network namespace never share
/// connections.
///
/// The owner must remove the handle from its multi handle before releasing the transfer; the
/// write callback gets an unretained pointer to the transfer, valid while the owner holds it.
final class CurlTransfer {
    /// Body bytes kept for `bodyContains` and the failure excerpt; the transfer stops reading there.
    static let bodyCap = 4096

    let easy: CurlEasy
    let check: CurlCheck
    let timeoutMs: Int
    /// Monotonic nanoseconds when the run started.
    let started: UInt64
    /// Connections are made in this process's network namespace (a container's main process).
    let networkNamespacePid: Int32?
    /// Results carry the start of the body (drain progress readings).
    var keepsBody = false
    private(set) var body: [UInt8] = []
    /// The body reached `bodyCap`: the resulting write error is the transfer's normal end.
    private(set) var bodyCapped = false

    var handle: UnsafeMutableRawPointer { easy.handle }

    /// A configured transfer, or why it could not be set up.
    static func make(_ check: CurlCheck, timeoutMs: Int, started: UInt64,
                     networkNamespacePid: Int32? = nil) -> Result<CurlTransfer, ProbeSetupError> {
        guard let easy = CurlEasy() else { return .failure(ProbeSetupError("libcurl could not be initialized")) }
        let transfer = CurlTransfer(easy: easy, check: check, timeoutMs: timeoutMs, started: started,
                                    networkNamespacePid: networkNamespacePid)
        transfer.configure()
        if let failure = easy.failureText { return .failure(ProbeSetupError(failure)) }
        return .success(transfer)
    }

    private init(easy: CurlEasy, check: CurlCheck, timeoutMs: Int, started: UInt64, networkNamespacePid: Int32?) {
        self.easy = easy
        self.networkNamespacePid = networkNamespacePid
        self.check = check
        self.timeoutMs = timeoutMs
        self.started = started
    }

    /// The host name and `host:port` the transfer connects to, for failure texts.
    var target: (host: String, target: String) {
        switch check {
        case .http(let http): FailureText.target(url: http.url)
        case .tcp(let host, let port): (host, FailureText.target(host: host, port: port))
        }
    }

    private func configure() {
        easy.set("TIMEOUT_MS", CURLOPT_TIMEOUT_MS, timeoutMs)
        easy.set("CONNECTTIMEOUT_MS", CURLOPT_CONNECTTIMEOUT_MS, timeoutMs)
        // Probes go straight to the unit: never through a proxy from the daemon's environment.
        easy.set("PROXY", CURLOPT_PROXY, "")
        if let pid = networkNamespacePid {
            // Every container's 127.0.0.1:8081 looks the same to curl's connection pool: a pooled
            // connection could lead into another container. Fresh connection, closed after the run.
            easy.record("OPENSOCKETFUNCTION", csupervise_easy_setopt_netns(handle, pid))
            easy.set("FRESH_CONNECT", CURLOPT_FRESH_CONNECT, 1)
            easy.set("FORBID_REUSE", CURLOPT_FORBID_REUSE, 1)
        }
        switch check {
        case .http(let http):
            // HTTP runs reuse idle keep-alive connections from the multi handle's pool: a fresh
            // TCP connection per run costs more than the request itself (about 5x the CPU at
            // 1,000 probes/s on loopback). A connection that breaks or times out is closed, and
            // the next run connects anew.
            easy.set("URL", CURLOPT_URL, http.url)
            easy.set("PROTOCOLS_STR", CURLOPT_PROTOCOLS_STR, "http,https")
            easy.set("HTTPGET", CURLOPT_HTTPGET, 1)
            easy.set("FOLLOWLOCATION", CURLOPT_FOLLOWLOCATION, 0)
            easy.set("USERAGENT", CURLOPT_USERAGENT, "supervise-probe")
            for (name, value) in http.headers.sorted(by: { $0.key < $1.key }) {
                // `Name;` sends an empty header (`Name:` would remove it); no CR/LF injection.
                easy.appendHeader((value.isEmpty ? "\(name);" : "\(name): \(value)").filter { $0 != "\r" && $0 != "\n" })
            }
            easy.applyHeaders()
            easy.record("WRITEFUNCTION", csupervise_easy_setopt_write_callback(handle) { data, size, count, context in
                let n = size * count
                guard let data, let context else { return n }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.receive(UnsafeRawBufferPointer(start: data, count: n))
            })
            easy.set("WRITEDATA", CURLOPT_WRITEDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
        case .tcp(let host, let port):
            easy.set("URL", CURLOPT_URL, "http://\(FailureText.target(host: host, port: port))/")
            easy.set("CONNECT_ONLY", CURLOPT_CONNECT_ONLY, 1)
        }
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
            let (host, target) = self.target
            let failure = FailureText.curl(code, target: target, host: host, timeoutMs: timeoutMs,
                                           osErrno: Int32(truncatingIfNeeded: easy.info(CURLINFO_OS_ERRNO)),
                                           detail: easy.errorDetail)
            return ProbeResult(healthy: false, latency: latency, failure: failure)
        }
        guard case .http(let http) = check else { return ProbeResult(healthy: true, latency: latency) }
        let status = easy.info(CURLINFO_RESPONSE_CODE)
        let statusHealthy = status >= http.statusMin && status <= http.statusMax
        if keepsBody {
            var result = ProbeResult(healthy: statusHealthy, latency: latency,
                                     failure: statusHealthy ? nil : FailureText.httpStatus(status, body: body))
            result.body = String(decoding: body, as: UTF8.self)
            return result
        }
        guard statusHealthy else {
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
