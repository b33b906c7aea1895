import Foundation
import Logging
import SuperviseCore

/// How the daemon writes its log lines.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-29T10:00:00.123Z notice worker-1: restarting now (exit code 1)`
    case plain
    /// One JSON object a line, for machines.
    case json
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
        case .plain:
            let unit = all["unit"].map { unit in all["pid"].map { "\(unit)[\($0)]: " } ?? "\(unit): " } ?? ""
            let level = Self.name(event.level)
            line = "\(Self.timestamp()) \(level.padding(toLength: 8, withPad: " ", startingAt: 0))\(unit)\(event.message)\n"
        case .json:
            var object: [String: String] = ["time": Self.timestamp(), "level": Self.name(event.level), "message": "\(event.message)"]
            for (k, v) in all { object[k] = "\(v)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: data, as: UTF8.self) + "\n"
        }
        Self.lock.withLock { FileHandle.standardError.write(Data(line.utf8)) }
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
        var t = time_t(ts.tv_sec)
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1_000_000)
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
        case nil: break
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
