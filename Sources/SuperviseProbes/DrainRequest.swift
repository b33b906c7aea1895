import CCurl
import SuperviseCurl
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
        guard let easy = CurlEasy() else { return "libcurl unavailable" }
        easy.set("URL", CURLOPT_URL, url)
        easy.set("PROTOCOLS_STR", CURLOPT_PROTOCOLS_STR, "http,https")
        easy.set("PROXY", CURLOPT_PROXY, "")
        easy.set("TIMEOUT_MS", CURLOPT_TIMEOUT_MS, timeoutMs)
        easy.set("POST", CURLOPT_POST, 1)
        easy.set("POSTFIELDSIZE", CURLOPT_POSTFIELDSIZE, 0)
        easy.set("USERAGENT", CURLOPT_USERAGENT, "supervise-drain")
        easy.record("WRITEFUNCTION", csupervise_easy_setopt_write_callback(easy.handle) { _, size, count, _ in size * count })
        if let pid = networkNamespacePid { easy.record("OPENSOCKETFUNCTION", csupervise_easy_setopt_netns(easy.handle, pid)) }
        if let failure = easy.failureText { return "POST \(url): \(failure)" }
        let code = csupervise_curl_easy_perform(easy.handle)
        guard code == CURLE_OK else { return "POST \(url): \(CurlEasy.text(code))" }
        let status = easy.info(CURLINFO_RESPONSE_CODE)
        return (200..<300).contains(status) ? nil : "POST \(url): HTTP \(status)"
    }
}
