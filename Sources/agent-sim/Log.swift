#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `agent-sim[NAME] message` lines straight to a file descriptor with `write(2)`.
///
/// There is no user-space buffer, so every line is on its way the moment `callAsFunction` returns
/// (nothing to flush before `_exit` or `abort`), and each line goes out in one `write` call, so
/// lines from different threads do not interleave.
struct Log: Sendable {
    /// The `agent-sim[NAME] ` prefix of every line.
    let prefix: String
    /// Where lines go: standard output for the running log, standard error for fatal errors.
    let fd: Int32

    init(name: String, fd: Int32 = 1) {
        self.prefix = "agent-sim[\(name)] "
        self.fd = fd
    }

    /// Writes one line (a trailing newline is added).
    func callAsFunction(_ message: String) {
        var line = prefix + message
        line.append("\n")
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return  // stdout closed or broken: logging is best effort
            }
        }
    }

    /// The same log, writing to standard error.
    var toStandardError: Log { Log(prefix: prefix, fd: 2) }

    private init(prefix: String, fd: Int32) {
        self.prefix = prefix
        self.fd = fd
    }
}

/// Formats seconds the way the log and JSON show them: `12.0`, `0.5`, `1.25`.
func formatSeconds(_ seconds: Double) -> String {
    "\(seconds)"
}
