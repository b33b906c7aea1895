import Foundation
import Testing

/// Redis from Debian's package as a supervise process unit, with RDB persistence into a directory
/// of the test, on 127.0.0.1:PORT, run as the `redis` user (as Debian's service does; as root it
/// could write anywhere, and a test could not make its persistence fail with a file mode).
///
/// Its liveness probe writes: `SET supervise:probe 1` must answer `OK`. A Redis whose snapshot
/// failed refuses writes with `MISCONF` (`stop-writes-on-bgsave-error yes`, the default), and it
/// refuses `PING` the same way; but `redis-cli` exits 0 whatever the reply, so an exec probe
/// `redis-cli ping` (or a tcp probe) stays healthy while the instance accepts no writes.
final class RedisFixture: @unchecked Sendable {
    static let server = "/usr/bin/redis-server"
    static let cli = "/usr/bin/redis-cli"
    static let user = "redis"

    let directory: String
    let configPath: String
    let port: Int

    init(in run: RealDaemonRun, port: Int = freeLoopbackPort()) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.server), FileManager.default.isExecutableFile(atPath: Self.cli) else {
            throw FixtureMissing(what: "redis-server and redis-cli", package: "redis-server and redis-tools")
        }
        guard let owner = getpwnam(Self.user) else { throw FixtureMissing(what: "the user \(Self.user)", package: "redis-server") }
        directory = run.subdirectory("redis").path
        self.port = port
        configPath = run.directory.appendingPathComponent("redis.conf").path
        // `save 3600 1`: persistence on, but no snapshot of its own during a test; the test asks for one.
        let config = """
            port \(port)
            bind 127.0.0.1
            protected-mode yes
            daemonize no
            supervised no
            logfile ""
            dir \(directory)
            dbfilename dump.rdb
            save 3600 1
            appendonly no
            stop-writes-on-bgsave-error yes

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        guard chown(directory, owner.pointee.pw_uid, owner.pointee.pw_gid) == 0 else {
            throw FixtureFailure(description: "chown \(Self.user) \(directory): \(String(cString: strerror(errno)))")
        }
    }

    /// The probe: fails unless a write is answered `OK`, printing the reply's start (the daemon keeps
    /// the tail of a failed probe's output as its reason, and Redis's MISCONF text is long).
    var writeProbe: [String] {
        ["sh", "-c", "r=$(\(Self.cli) -h 127.0.0.1 -p \(port) set supervise:probe 1 2>&1); [ \"$r\" = OK ] || { printf '%.60s\\n' \"$r\"; exit 1; }"]
    }

    /// The `units:` entry.
    func unit(_ name: String = "redis") -> String {
        """
          \(name):
            command: \(yamlList([Self.server, configPath]))
            user: \(Self.user)
            stop_timeout: 1s
            restart: always
            liveness:
              exec: \(yamlList(writeProbe))
              interval: 250ms
              timeout: 2s
              failure_threshold: 2

        """
    }

    /// `redis-cli ARGS` against this instance: (exit code, reply).
    func cli(_ arguments: [String]) -> (code: Int32, output: String) {
        guard let r = try? runCommand(Self.cli, ["-h", "127.0.0.1", "-p", "\(port)"] + arguments, timeout: 5) else { return (-1, "") }
        return (r.code, r.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A field of `INFO persistence` (`rdb_last_bgsave_status`, …), nil when Redis does not answer.
    func persistenceInfo(_ field: String) -> String? {
        let answer = cli(["info", "persistence"])
        guard answer.code == 0 else { return nil }
        return answer.output.split(whereSeparator: \.isNewline)
            .first { $0.hasPrefix(field + ":") }
            .map { String($0.dropFirst(field.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    /// The data directory turns read-only for Redis (its user), so the next snapshot fails.
    func makeDirectoryReadOnly() { chmod(directory, 0o555) }

    func makeDirectoryWritable() { chmod(directory, 0o755) }
}
