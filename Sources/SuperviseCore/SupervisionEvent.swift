/// One thing that happened, as `GET /v1/events`, `supervise events --json` and webhooks carry it:
/// the journal's record of it (``LogRecord``) with a time and a sequence number.
///
/// Encoded with snake_case keys: `{"seq":17,"time":"2026-11-29T18:42:28.042Z","level":"error",
/// "unit":"worker-3","event":"gave-up","message":"gave up: …","reason":"…"}`.
public struct SupervisionEvent: Sendable, Equatable, Codable {
    /// Increases by one per event within one daemon run; `?since=` replays from a number.
    public var seq: UInt64
    /// RFC 3339, UTC, milliseconds.
    public var time: String
    /// `debug`, `info`, `notice`, `warning`, `error`.
    public var level: String
    public var unit: String?
    /// The journal's `SUPERVISE_EVENT`: `start`, `exit`, `restart`, `gave-up`, `drain-cut`, …
    public var event: String
    public var message: String
    public var reason: String?
    /// The exit that the event is about, when there is one: `exit code 1`, `killed by SIGKILL`.
    public var exit: String?

    public init(seq: UInt64, time: String, level: String, unit: String?, event: String, message: String,
                reason: String? = nil, exit: String? = nil) {
        self.seq = seq
        self.time = time
        self.level = level
        self.unit = unit
        self.event = event
        self.message = message
        self.reason = reason
        self.exit = exit
    }
}
