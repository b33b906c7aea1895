import CCurl
import Foundation
import SuperviseCurl

/// One attempt of one delivery: a `POST` of the JSON payload on a fresh easy handle (``CurlEasy``), with the start
/// of the answer kept for the failure text.
///
/// The owner adds ``handle`` to its multi handle and must remove it before releasing the transfer: the write
/// callback gets an unretained pointer to the transfer.
final class WebhookTransfer {
    /// Answer bytes kept for `HTTP 500: …`; the rest is read and discarded.
    static let excerptCap = 256
    /// Characters of the answer shown in a failure.
    static let excerptShown = 100

    let easy: CurlEasy
    let timeoutMs: Int
    private let body: String
    private var answer: [UInt8] = []

    var handle: UnsafeMutableRawPointer { easy.handle }

    /// A configured transfer, or why it could not be set up.
    static func make(url: String, json: String, headers: [String], timeoutMs: Int) -> Result<WebhookTransfer, TransferFailure> {
        guard let easy = CurlEasy() else { return .failure(TransferFailure("libcurl could not be initialized")) }
        let transfer = WebhookTransfer(easy: easy, body: json, timeoutMs: timeoutMs)
        transfer.configure(url: url, headers: headers)
        if let failure = easy.failureText { return .failure(TransferFailure(failure)) }
        return .success(transfer)
    }

    private init(easy: CurlEasy, body: String, timeoutMs: Int) {
        self.easy = easy
        self.body = body
        self.timeoutMs = timeoutMs
    }

    private func configure(url: String, headers: [String]) {
        easy.set("URL", CURLOPT_URL, url)
        easy.set("PROTOCOLS_STR", CURLOPT_PROTOCOLS_STR, "http,https")
        easy.set("FOLLOWLOCATION", CURLOPT_FOLLOWLOCATION, 0)
        easy.set("TIMEOUT_MS", CURLOPT_TIMEOUT_MS, timeoutMs)
        easy.set("CONNECTTIMEOUT_MS", CURLOPT_CONNECTTIMEOUT_MS, timeoutMs)
        easy.set("USERAGENT", CURLOPT_USERAGENT, "supervise-webhook")
        easy.set("POST", CURLOPT_POST, 1)
        easy.set("POSTFIELDSIZE", CURLOPT_POSTFIELDSIZE, body.utf8.count)
        // curl copies the body (JSON text: never a NUL byte in it).
        easy.set("COPYPOSTFIELDS", CURLOPT_COPYPOSTFIELDS, body)
        easy.appendHeader("Content-Type: application/json")
        // No `Expect: 100-continue` (curl sends it for bodies over 1 KiB): a receiver that does not answer it
        // would cost a second per delivery.
        easy.appendHeader("Expect:")
        for line in headers { easy.appendHeader(line.filter { $0 != "\r" && $0 != "\n" }) }
        easy.applyHeaders()
        easy.record("WRITEFUNCTION", csupervise_easy_setopt_write_callback(handle) { data, size, count, context in
            let n = size * count
            guard let data, let context else { return n }
            let transfer = Unmanaged<WebhookTransfer>.fromOpaque(context).takeUnretainedValue()
            transfer.receive(UnsafeRawBufferPointer(start: data, count: n))
            return n
        })
        easy.set("WRITEDATA", CURLOPT_WRITEDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
    }

    private func receive(_ bytes: UnsafeRawBufferPointer) {
        let room = Self.excerptCap - answer.count
        if room > 0 { answer.append(contentsOf: bytes.prefix(room)) }
    }

    /// The attempt's outcome once curl reports it done with `code`: nil when the receiver answered 2xx, else why
    /// it failed.
    func failure(_ code: CURLcode) -> TransferFailure? {
        guard code == CURLE_OK else { return TransferFailure(curlText(code)) }
        let status = easy.info(CURLINFO_RESPONSE_CODE)
        guard !(200..<300).contains(status) else { return nil }
        let excerpt = String(decoding: answer, as: UTF8.self).unicodeScalars
            .map { $0.properties.generalCategory == .control ? " " : String($0) }.joined()
            .trimmingCharacters(in: .whitespaces)
        let shown = excerpt.count > Self.excerptShown ? String(excerpt.prefix(Self.excerptShown)) + "…" : excerpt
        return TransferFailure(shown.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(shown)")
    }

    private func curlText(_ code: CURLcode) -> String {
        let detail = easy.errorDetail
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return "timeout after \(timeoutMs) ms"
        case CURLE_COULDNT_CONNECT:
            let errno = Int32(truncatingIfNeeded: easy.info(CURLINFO_OS_ERRNO))
            if errno == ECONNREFUSED { return "connection refused" }
            if errno != 0 { return "cannot connect: \(String(cString: strerror(errno)))" }
            return detail.isEmpty ? "cannot connect" : "cannot connect: \(detail)"
        default:
            let text = CurlEasy.text(code)
            return detail.isEmpty || detail == text ? text : "\(text): \(detail)"
        }
    }
}

/// Why an attempt failed, as the log shows it: `HTTP 500: …`, `timeout after 5000 ms`, `connection refused`.
struct TransferFailure: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
