import Foundation
import Testing

/// PostgreSQL 15 from Debian's package as a supervise process unit: a cluster made with `initdb` in a
/// directory of the test (owned by `postgres`, as the server refuses to run as root, so the unit has
/// `user: postgres`), listening on 127.0.0.1:PORT and a private socket directory.
///
/// The unit stops with SIGINT (PostgreSQL's fast shutdown, as Debian's and systemd's units do):
/// SIGTERM is a smart shutdown, which waits for every client to disconnect.
final class PostgresFixture: @unchecked Sendable {
    static let binDirectory = "/usr/lib/postgresql/15/bin"
    static let user = "postgres"

    let directory: String
    let dataDirectory: String
    let socketDirectory: String
    let port: Int

    init(in run: RealDaemonRun, port: Int = freeLoopbackPort()) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binDirectory + "/postgres") else {
            throw FixtureMissing(what: "PostgreSQL 15 (\(Self.binDirectory)/postgres)", package: "postgresql-15")
        }
        guard let owner = getpwnam(Self.user) else {
            throw FixtureMissing(what: "the user \(Self.user)", package: "postgresql-15")
        }
        directory = run.subdirectory("postgres").path
        dataDirectory = directory + "/data"
        socketDirectory = directory + "/socket"
        self.port = port
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        for path in [directory, socketDirectory] {
            guard chown(path, owner.pointee.pw_uid, owner.pointee.pw_gid) == 0 else {
                throw FixtureFailure(description: "chown \(Self.user) \(path): \(String(cString: strerror(errno)))")
            }
        }
        // -N: no fsync (a throwaway cluster); trust on loopback: the test connects as postgres.
        let started = Date()
        let initdb = try runCommand("/bin/sh", ["-c", "cd \(directory) && exec runuser -u \(Self.user) -- "
            + "\(Self.binDirectory)/initdb -D \(dataDirectory) -A trust -U postgres -N -E UTF8 --locale=C"], timeout: 60)
        guard initdb.code == 0 else {
            throw FixtureFailure(description: "initdb failed (\(initdb.code)):\n\(initdb.output)")
        }
        print("postgres: initdb took \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
    }

    /// The `units:` entry.
    func unit(_ name: String = "postgres") -> String {
        let isReady = [Self.binDirectory + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", "\(port)", "-t", "1"]
        return """
              \(name):
                command: \(yamlList([Self.binDirectory + "/postgres", "-D", dataDirectory, "-p", "\(port)",
                                     "-k", socketDirectory, "-c", "listen_addresses=127.0.0.1"]))
                user: \(Self.user)
                working_dir: \(yamlQuoted(directory))
                stop_signal: SIGINT
                stop_timeout: 5s
                restart: always
                liveness:
                  exec: \(yamlList(isReady))
                  interval: 300ms
                  timeout: 2s
                  failure_threshold: 3
                  start_period: 15s

            """
    }

    /// Whether the server accepts connections on its TCP port now.
    func isReady() -> Bool {
        (try? runCommand(Self.binDirectory + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)", "-t", "1"], timeout: 5))?.code == 0
    }

    /// Runs `sql` with psql over TCP as postgres; (exit code, output).
    func psql(_ sql: String, timeout: Double = 10) throws -> (code: Int32, output: String) {
        try runCommand("/usr/bin/psql", ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres",
                                         "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], timeout: timeout)
    }

    /// A client running `sql` in the background (the test stops it by pid).
    func backgroundClient(_ sql: String) throws -> TestProcess {
        try TestProcess("/usr/bin/psql", ["-X", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-c", sql])
    }

    /// The pids of the backends running a query that starts with `prefix`.
    func backends(runningQueryStartingWith prefix: String) -> [Int32] {
        let escaped = prefix.replacingOccurrences(of: "'", with: "''")
        guard let answer = try? psql("select pid from pg_stat_activity where query like '\(escaped)%' and pid <> pg_backend_pid()"),
              answer.code == 0 else { return [] }
        return answer.output.split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The System V shared memory blocks the servers of this cluster made, as seen in `postmaster.pid`.
    private var sharedMemoryIDs: Set<Int32> = []

    /// Notes the shared memory block the running server named in `postmaster.pid` (line 7: `KEY SHMID`).
    /// A postmaster that fails at its start removes that file, so the id is noted while a server runs.
    func noteSharedMemory() {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.count >= 7, let id = lines[6].split(separator: " ").last.flatMap({ Int32($0) }) { sharedMemoryIDs.insert(id) }
    }

    /// Removes the noted shared memory blocks nothing is attached to any more: a postmaster killed with
    /// SIGKILL, and not followed by one that started, leaves its block behind.
    func removeLeftoverSharedMemory() {
        noteSharedMemory()
        for id in sharedMemoryIDs {
            var info = shmid_ds()
            if shmctl(id, IPC_STAT, &info) == 0, info.shm_nattch == 0 { _ = shmctl(id, IPC_RMID, nil) }
        }
    }
}
