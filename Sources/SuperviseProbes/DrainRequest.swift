import CCurl
import Foundation

/// `POST url` to start an HTTP drain: one request, on a thread of its own (it blocks in
/// `curl_easy_perform`; drains are rare, and nothing waits on the cooperative pool).
public enum DrainRequest {
    /// Sends the request and calls `done` with nil on a 2xx answer, or why it failed.
    public static func post(_ url: String, networkNamespacePid: Int32?, timeoutMs: Int = 5000,
                            done: @escaping @Sendable (String?) -> Void) {
        let thread = Thread { done(perform(url, networkNamespacePid: networkNamespacePid, timeoutMs: timeoutMs)) }
        thread.name = "supervise.drain-request"
        thread.start()
    }

    static func perform(_ url: String, networkNamespacePid: Int32?, timeoutMs: Int) -> String? {
        guard CurlGlobal.ensureInitialized(), let handle = curl_easy_init() else { return "libcurl unavailable" }
        defer { curl_easy_cleanup(handle) }
        _ = csupervise_easy_setopt_string(handle, CURLOPT_URL, url)
        _ = csupervise_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = csupervise_easy_setopt_string(handle, CURLOPT_PROXY, "")
        _ = csupervise_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = csupervise_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMs)
        _ = csupervise_easy_setopt_long(handle, CURLOPT_POST, 1)
        _ = csupervise_easy_setopt_long(handle, CURLOPT_POSTFIELDSIZE, 0)
        _ = csupervise_easy_setopt_string(handle, CURLOPT_USERAGENT, "supervise-drain")
        _ = csupervise_easy_setopt_write_callback(handle) { _, size, count, _ in size * count }
        if let pid = networkNamespacePid { _ = csupervise_easy_setopt_netns(handle, pid) }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else { return "POST \(url): \(FailureText.curlText(code))" }
        var status = 0
        _ = csupervise_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return (200..<300).contains(status) ? nil : "POST \(url): HTTP \(status)"
    }
}
