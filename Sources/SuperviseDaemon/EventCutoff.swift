import Foundation
import SuperviseCore

/// `since` of `GET /v1/events` and `supervise events --since`: a duration ago (`10m`) or a UTC
/// time (`2026-11-29T18:00:00Z`), as the time text kept events are compared with.
package enum EventCutoff {
    /// The cutoff in the events' own form (milliseconds, always three digits), so that comparing
    /// the text compares the times: as given, `…:00Z` sorted after `…:00.042Z`, and `.5Z` after
    /// `.500Z`, which left out the events of the cutoff's first second. Nil when `text` is neither.
    package static func parse(_ text: String) -> String? {
        if let ago = DurationText.parse(text) {
            let millis = Int((Date().timeIntervalSince1970 - ago.seconds) * 1000)
            return LineLogHandler.timestamp(seconds: millis / 1000, milliseconds: millis % 1000)
        }
        guard let time = text.wholeMatch(of: /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z/) else { return nil }
        let fraction = String((time.2 ?? "").prefix(3))
        return "\(time.1).\(fraction + String(repeating: "0", count: 3 - fraction.count))Z"
    }
}
