import Logging
import Synchronization

/// Log lines kept in memory, `level message` each, for tests to read.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
}

/// A swift-log handler writing into ``LogLines`` instead of stderr or the journal.
struct RecordingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let unit = event.metadata?["unit"].map { "\($0): " } ?? ""
        lines.append("\(event.level) \(unit)\(event.message)")
    }
}
