import CCurl
import Foundation
import SuperviseCore
import SuperviseCurl

/// The failure reasons operators read in `supervise status` and the logs. Every text is one line.
///
/// - `connection refused (127.0.0.1:8080)` — also `no route to host (…)`, `network unreachable (…)`,
///   `cannot connect to H:P: <errno text>` for the other connect failures
/// - `timeout after 300 ms` — the probe's own timeout, HTTP, TCP and exec alike
/// - `HTTP 503: unhealthy` — status outside the healthy range, with the first ~100 bytes of the body
/// - `body does not contain "ready"`
/// - `cannot resolve host db.internal`
/// - `TLS error: <curl's error text>`
/// - `exit code 3: <output tail>`, `killed by SIGSEGV: <output tail>` for exec probes, or the spawn error
/// - otherwise curl's text: `<curl_easy_strerror>: <CURLOPT_ERRORBUFFER detail>`
enum FailureText {
    /// Longest body excerpt in an `HTTP nnn: …` failure, in characters.
    static let bodyExcerptLimit = 100

    static func timeout(milliseconds: Int) -> String { "timeout after \(milliseconds) ms" }

    static func httpStatus(_ status: Int, body: [UInt8]) -> String {
        let excerpt = singleLine(body, limit: bodyExcerptLimit)
        return excerpt.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(excerpt)"
    }

    static func bodyMissing(_ needle: String) -> String { "body does not contain \"\(needle)\"" }

    /// An exec probe that ended badly: `exit code 3: boom`, `killed by SIGKILL`.
    static func exec(_ status: ExitStatus, outputTail: String) -> String {
        outputTail.isEmpty ? status.description : "\(status.description): \(outputTail)"
    }

    /// A failed curl transfer, by error code.
    /// - Parameters:
    ///   - target: `host:port` the probe connects to.
    ///   - host: the host name, for resolve failures.
    ///   - osErrno: `CURLINFO_OS_ERRNO`, distinguishing refused from unreachable.
    ///   - detail: the contents of `CURLOPT_ERRORBUFFER` (may be empty).
    static func curl(_ code: CURLcode, target: String, host: String, timeoutMs: Int, osErrno: Int32, detail: String) -> String {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return timeout(milliseconds: timeoutMs)
        case CURLE_COULDNT_CONNECT:
            switch osErrno {
            case ECONNREFUSED: return "connection refused (\(target))"
            case EHOSTUNREACH: return "no route to host (\(target))"
            case ENETUNREACH: return "network unreachable (\(target))"
            case ETIMEDOUT: return "connect timed out (\(target))"
            case 0: return detail.isEmpty ? "cannot connect to \(target)" : "cannot connect to \(target): \(detail)"
            default: return "cannot connect to \(target): \(String(cString: strerror(osErrno)))"
            }
        case CURLE_COULDNT_RESOLVE_HOST:
            return "cannot resolve host \(host)"
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return "TLS error: \(detail.isEmpty ? CurlEasy.text(code) : detail)"
        default:
            let text = CurlEasy.text(code)
            return detail.isEmpty || detail == text ? text : "\(text): \(detail)"
        }
    }

    /// `host:port` for display, with IPv6 literals bracketed.
    static func target(host: String, port: Int) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The host and `host:port` a URL connects to (default ports 80/443).
    static func target(url: String) -> (host: String, target: String) {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            return (url, url)
        }
        let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return (bare, target(host: bare, port: port))
    }

    /// Bytes as one line: invalid UTF-8 replaced, whitespace runs (newlines included) collapsed,
    /// trimmed, cut to `limit` characters with `…`.
    static func singleLine(_ bytes: some Collection<UInt8>, limit: Int) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        var out = ""
        var pendingSpace = false
        var count = 0
        for ch in text {
            if ch.isWhitespace || ch.unicodeScalars.allSatisfy({ $0.properties.generalCategory == .control }) {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(" "); count += 1; pendingSpace = false }
            if count >= limit { out.append("…"); break }
            out.append(ch)
            count += 1
        }
        return out
    }
}
