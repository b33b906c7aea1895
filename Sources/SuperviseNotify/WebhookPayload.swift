import Foundation
import SuperviseCore

/// The body of a webhook request:
///
/// ```json
/// {"event":{"event":"gave-up","level":"error","message":"gave up: …","reason":"…","seq":17,
///  "time":"2026-11-29T18:42:28.042Z","unit":"worker-3"},"host":"voice-1","source":"supervise"}
/// ```
///
/// `event` is the ``SupervisionEvent`` as `GET /v1/events` carries it (`unit`, `reason` and `exit` left out when
/// they have no value); `host` is the machine's host name. Keys are sorted.
struct WebhookPayload: Encodable {
    let source = "supervise"
    let host: String
    let event: SupervisionEvent

    /// The JSON text of the request body.
    static func json(host: String, event: SupervisionEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(WebhookPayload(host: host, event: event)) else {
            // Strings and integers always encode; this is only a last resort.
            return #"{"source":"supervise"}"#
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// This machine's host name, as `gethostname` gives it.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
