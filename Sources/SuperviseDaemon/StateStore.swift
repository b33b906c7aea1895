import Foundation
import SuperviseCore
import SuperviseProcess
import SuperviseThreads

/// Keeps ``PersistedState`` in `<state_dir>/state.json`: written atomically (temp file, fsync,
/// rename, fsync of the directory) on a thread of its own at nice 10, so the loop never waits for the disk.
/// A save made while a write is under way replaces any pending one.
public final class StateStore: StateWriting, @unchecked Sendable {
    // @unchecked: `latest`, `scheduled` and `waiting` are guarded by `lock`.
    public let directory: String
    public var path: String { directory + "/state.json" }
    /// Encodes and writes at nice 19: at a thousand units a write takes milliseconds of CPU, which
    /// must not delay the loop's restarts on a small machine. At nice 10 a restart that met a write
    /// still waited for it (the containment benchmark's p99 1.07-1.20 ms, 0.89-0.96 at 19, the same
    /// as with no writes); nice 19 still gets its share of a busy machine, unlike SCHED_IDLE.
    private let writer = WorkThread(named: "sv-state", nice: 19)
    private let lock = NSLock()
    private var latest: PersistedState?
    private var scheduled = false
    /// Called once the pending state is on disk (or could not be written).
    private var waiting: [@Sendable (String?) -> Void] = []
    private let onError: @Sendable (String) -> Void

    public init(directory: String, onError: @escaping @Sendable (String) -> Void) {
        self.directory = directory
        self.onError = onError
    }

    /// What loading found.
    public enum LoadResult: Sendable {
        case none
        case loaded(PersistedState)
        /// The file exists but cannot be used; the message says why. The daemon starts without it.
        case unusable(String)
    }

    /// Reads the saved state (synchronously, at start-up).
    public func load() -> LoadResult {
        guard FileManager.default.fileExists(atPath: path) else { return .none }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let state = try JSONDecoder().decode(PersistedState.self, from: data)
            guard state.version == PersistedState.currentVersion else {
                return .unusable("state file \(path) has version \(state.version), expected \(PersistedState.currentVersion)")
            }
            return .loaded(state)
        } catch let error as DecodingError {
            return .unusable("state file \(path) is corrupt (\(Self.describe(error)))")
        } catch {
            return .unusable("state file \(path) cannot be read: \(error.localizedDescription)")
        }
    }

    /// Moves an unusable state file aside so it can be inspected; returns the new path.
    public func quarantine() -> String? {
        let target = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
        return rename(path, target) == 0 ? target : nil
    }

    /// Schedules `state` to be written; later calls before the write starts replace it.
    public func save(_ state: PersistedState) {
        save(state, then: nil)
    }

    /// Schedules `state` to be written and calls `done` once it (or a later state, which includes
    /// it) is on disk: with nil, or why the file could not be written. `done` runs on the store's
    /// thread; the caller never waits for the disk.
    public func save(_ state: PersistedState, then done: (@Sendable (String?) -> Void)?) {
        lock.withLock {
            latest = state
            if let done { waiting.append(done) }
            guard !scheduled else { return }
            scheduled = true
            writer.later { self.writePending() }
        }
    }

    /// Writes what is pending now; returns once it is written (used at shutdown). The write runs
    /// on the store's thread: the caller's thread is not held.
    public func flush() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            writer.later {
                self.writePending()
                done.resume()
            }
        }
    }

    private func writePending() {
        let (next, done): (PersistedState?, [@Sendable (String?) -> Void]) = lock.withLock {
            defer { latest = nil; scheduled = false; waiting = [] }
            return (latest, waiting)
        }
        guard let next else { return }
        var failure: String?
        do { try write(next) } catch {
            failure = "cannot write state file \(path): \(error)"
            onError(failure!)
        }
        for d in done { d(failure) }
    }

    private func write(_ state: PersistedState) throws {
        try makeDirectory()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(state)
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateStoreError(String(cString: strerror(errno))) }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        let err = errno
        close(fd)
        guard ok else { unlink(temp); throw StateStoreError(String(cString: strerror(err))) }
        guard rename(temp, path) == 0 else { throw StateStoreError(String(cString: strerror(errno))) }
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }

    /// `mkdir -p` of the state directory, with the OS's reason when a part cannot be made (a file
    /// in the way shows when the state file is opened: "Not a directory").
    private func makeDirectory() throws {
        var prefix = directory.hasPrefix("/") ? "" : "."
        for part in directory.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw StateStoreError("cannot create \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let c): c.debugDescription
        case .keyNotFound(let key, _): "missing key \(key.stringValue)"
        case .typeMismatch(_, let c), .valueNotFound(_, let c):
            "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        @unknown default: "\(error)"
        }
    }

    /// This boot's id; monotonic times in the state are only valid within one boot.
    public static func bootID() -> String {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    }
}

struct StateStoreError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
