import CSystemd
import Foundation

/// Whether stderr is connected to systemd's journal, as systemd says in `JOURNAL_STREAM`.
///
/// systemd sets `JOURNAL_STREAM=<device>:<inode>` (decimal) for a service whose stdout or stderr is a
/// journal stream. The variable is inherited by children that do not clean their environment, and
/// stderr can be redirected after the fact, so it counts only when it names the file stderr really
/// is (fstat(2) of fd 2): that is the check sd-daemon(3) recommends.
public enum JournalStream {
    /// True when `JOURNAL_STREAM` names the file open on stderr.
    public static func isStderrJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        return matches(value, fd: STDERR_FILENO)
    }

    /// True when `value` ("dev:ino") names the file open on `fd`.
    public static func matches(_ value: String, fd: Int32) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }

    /// The "dev:ino" systemd would write for the file open on `fd` (for tests and diagnostics).
    public static func identity(of fd: Int32) -> String? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return "\(UInt64(st.st_dev)):\(UInt64(st.st_ino))"
    }
}

/// Structured entries for systemd's journal, through `sd_journal_sendv` (the variadic
/// `sd_journal_send` is not callable from Swift).
public enum Journal {
    /// syslog priorities, as journald's `PRIORITY=` field wants them.
    public enum Priority: Int, Sendable {
        case emergency = 0, alert, critical, error, warning, notice, info, debug
    }

    /// journald's socket for native entries.
    public static let socketPath = "/run/systemd/journal/socket"

    /// Whether journald is listening here. `sd_journal_sendv` drops entries silently (and reports
    /// success) when the socket is missing, so callers that need to know ask this first.
    public static var isAvailable: Bool { access(socketPath, F_OK) == 0 }

    /// Sends one entry made of `fields` (name, value); values may hold newlines and any bytes.
    /// Field names must be uppercase letters, digits and underscores, not starting with `_`.
    /// Returns false when the entry could not be sent (for example a full socket buffer); a missing
    /// journald is not noticed here (see ``isAvailable``).
    @discardableResult
    public static func send(_ fields: [(name: String, value: String)]) -> Bool {
        let items = fields.map { Array("\($0.name)=\($0.value)".utf8) }
        var buffers: [UnsafeMutableRawBufferPointer] = []
        buffers.reserveCapacity(items.count)
        defer { buffers.forEach { $0.deallocate() } }
        var vectors: [iovec] = []
        vectors.reserveCapacity(items.count)
        for item in items {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(item.count, 1), alignment: 1)
            buffer.copyBytes(from: item)
            buffers.append(buffer)
            vectors.append(iovec(iov_base: buffer.baseAddress, iov_len: item.count))
        }
        return vectors.withUnsafeBufferPointer { csupervise_sd_journal_sendv($0.baseAddress, Int32($0.count)) } >= 0
    }

    /// A journal field name for a metadata key: `exit_code` → `EXIT_CODE`; anything but letters and
    /// digits becomes `_`, and names are cut to journald's 64 characters.
    public static func fieldName(prefix: String, _ key: String) -> String {
        let body = key.uppercased().unicodeScalars.map { scalar -> Character in
            (("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)) ? Character(scalar) : "_"
        }
        return String((prefix + String(body)).prefix(64))
    }
}
