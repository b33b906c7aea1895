import Foundation
import Logging
import SuperviseCore
import SuperviseSystemd

/// How the daemon writes its log lines.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `journal` when stderr is systemd's journal (`JOURNAL_STREAM` names it), `plain` otherwise.
    case auto
    /// `2026-11-29T10:00:00.123Z notice worker-1: restarting now (exit code 1)`
    case plain
    /// One JSON object a line, for machines.
    case json
    /// Structured journal entries (`SUPERVISE_UNIT=`, `SUPERVISE_EVENT=`, ...) through `sd_journal_sendv`.
    case journal

    /// `auto` decided for this process: journal or plain.
    public func resolved(stderrIsJournal: Bool = JournalStream.isStderrJournal()) -> LogFormat {
        self == .auto ? (stderrIsJournal ? .journal : .plain) : self
    }

    /// A handler writing this format (`auto` resolved first).
    public func makeHandler() -> any LogHandler {
        switch resolved() {
        case .journal: JournalLogHandler()
        case .json: LineLogHandler(format: .json)
        case .plain, .auto: LineLogHandler(format: .plain)
        }
    }
}

/// A swift-log handler writing whole lines to stderr; unit, event, reason and exit travel as metadata.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let format: LogFormat
    static let lock = NSLock()

    public init(format: LogFormat) { self.format = format }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line: String
        switch format {
        case .plain, .auto, .journal:
            let unit = Self.unitPrefix(all)
            let level = Self.name(event.level)
            let padding = String(repeating: " ", count: max(0, 8 - level.utf8.count))
            line = "\(Self.timestamp()) \(level)\(padding)\(unit)\(event.message)\n"
        case .json:
            var object: [String: String] = ["time": Self.timestamp(), "level": Self.name(event.level), "message": "\(event.message)"]
            for (k, v) in all { object[k] = "\(v)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: data, as: UTF8.self) + "\n"
        }
        Self.lock.withLock { FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// `worker-1[4242]: ` for a unit's output, `worker-1: ` for a record about a unit, or nothing.
    static func unitPrefix(_ metadata: Logger.Metadata) -> String {
        metadata["unit"].map { unit in metadata["pid"].map { "\(unit)[\($0)]: " } ?? "\(unit): " } ?? ""
    }

    /// syslog-style names; swift-log's `.notice` and `.warning` map to themselves.
    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "crit"
        }
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return timestamp(seconds: Int(ts.tv_sec), milliseconds: Int(ts.tv_nsec) / 1_000_000)
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-29T18:42:28.042Z`.
    static func timestamp(seconds: Int, milliseconds: Int) -> String {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        // By hand: String(format:) goes through CoreFoundation and cost a fifth of a restart's CPU.
        var text = ""
        text.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                text.unicodeScalars.append(Unicode.Scalar(UInt8(48 + rest / divisor % 10)))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(tm.tm_year) + 1900, 4); text += "-"
        digits(Int(tm.tm_mon) + 1, 2); text += "-"
        digits(Int(tm.tm_mday), 2); text += "T"
        digits(Int(tm.tm_hour), 2); text += ":"
        digits(Int(tm.tm_min), 2); text += ":"
        digits(Int(tm.tm_sec), 2); text += "."
        digits(milliseconds, 3); text += "Z"
        return text
    }
}

/// A swift-log handler sending structured entries to systemd's journal.
///
/// `MESSAGE` is the plain line without time and level (journald has both): `worker-1[4242]: line`
/// for a unit's output, `worker-1: restarting now (exit code 1)` for a record about a unit.
/// `PRIORITY` is the syslog number, `SYSLOG_IDENTIFIER=supervise`, and every metadata key becomes
/// a `SUPERVISE_` field: `SUPERVISE_UNIT`, `SUPERVISE_EVENT`, `SUPERVISE_REASON`, `SUPERVISE_EXIT_CODE`,
/// `SUPERVISE_SIGNAL` (from `exit_signal`), `SUPERVISE_PID`, `SUPERVISE_STREAM`. If journald is not
/// running (`--log-format journal` on a host without it) or an entry cannot be sent, the line goes
/// to stderr with a `<N>` priority prefix, which journald's stream reader understands.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    /// journald's socket existed when the handler was made; without it lines go to stderr.
    let journalAvailable: Bool

    public init() { journalAvailable = Journal.isAvailable }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let message = LineLogHandler.unitPrefix(all) + "\(event.message)"
        let priority = Self.priority(event.level)
        var fields = Self.fields(message: message, priority: priority, metadata: all)
        fields += [("CODE_FILE", event.file), ("CODE_LINE", "\(event.line)"), ("CODE_FUNC", event.function)]
        if !journalAvailable || !Journal.send(fields) {
            let line = "<\(priority.rawValue)>" + message.replacingOccurrences(of: "\n", with: " ") + "\n"
            LineLogHandler.lock.withLock { FileHandle.standardError.write(Data(line.utf8)) }
        }
    }

    /// The journal fields of one entry, in a stable order (fixed fields first, then metadata by key).
    static func fields(message: String, priority: Journal.Priority, metadata: Logger.Metadata) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", message), ("PRIORITY", "\(priority.rawValue)"), ("SYSLOG_IDENTIFIER", "supervise"),
        ]
        for key in metadata.keys.sorted() {
            fields.append((fieldName(key), "\(metadata[key]!)"))
        }
        return fields
    }

    /// `exit_signal` → `SUPERVISE_SIGNAL`; any other key `k` → `SUPERVISE_K`.
    static func fieldName(_ key: String) -> String {
        key == "exit_signal" ? "SUPERVISE_SIGNAL" : Journal.fieldName(prefix: "SUPERVISE_", key)
    }

    static func priority(_ level: Logger.Level) -> Journal.Priority {
        switch level {
        case .trace, .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}

extension Logger {
    /// Logs a record from the core with its structured fields as metadata.
    func record(_ r: LogRecord) {
        var meta: Logger.Metadata = ["event": "\(r.event)"]
        if let unit = r.unit { meta["unit"] = "\(unit)" }
        if let reason = r.reason { meta["reason"] = "\(reason)" }
        switch r.exit {
        case .exited(let code)?: meta["exit_code"] = "\(code)"
        case .signaled(let signal, _)?: meta["exit_signal"] = "\(Signals.name(signal))"
        case .unknown?, nil: break
        }
        log(level: r.level.swiftLogLevel, "\(r.message)", metadata: meta)
    }
}

extension LogLevel {
    var swiftLogLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }
}
