import Foundation
import Testing

/// A `redis-server` of the test's own for the queue-depth tests: on 127.0.0.1 at a private port and on a Unix
/// socket in a private directory, with no persistence, started and stopped (or killed) by its PID.
///
/// Not ``RedisFixture``: that one is a supervise *unit* inside a ``RealDaemonRun`` (a daemon, cgroups, persistence
/// as the `redis` user); these tests talk to Redis directly and need to kill and restart it themselves.
final class QueueRedisServer: @unchecked Sendable {
    let port: Int
    let directory: URL
    /// `requirepass`, when the server has one (redis-cli then logs in with it).
    let password: String?
    private var process: TestProcess?

    var socketPath: String { directory.appendingPathComponent("redis.sock").path }
    var pid: Int32? { process?.pid }

    init(password: String? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: RedisFixture.server),
              FileManager.default.isExecutableFile(atPath: RedisFixture.cli) else {
            throw FixtureMissing(what: "redis-server and redis-cli", package: "redis-server and redis-tools")
        }
        port = freeLoopbackPort()
        directory = makeTemporaryDirectory("supervise-queues")
        self.password = password
        try start()
    }

    /// Starts the server (again, after ``kill()``, on the same port and socket) and waits until it answers.
    func start() throws {
        var config = """
            port \(port)
            bind 127.0.0.1
            unixsocket \(socketPath)
            unixsocketperm 700
            daemonize no
            supervised no
            logfile ""
            dir \(directory.path)
            save ""
            appendonly no

            """
        if let password { config += "requirepass \(password)\n" }
        let configPath = directory.appendingPathComponent("redis.conf").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let started = try TestProcess(RedisFixture.server, [configPath])
        process = started
        guard eventually(timeout: 10, { !started.process.isRunning || cli(["PING"]).output == "PONG" }),
              started.process.isRunning else {
            started.stop()
            throw FixtureFailure(description: "redis-server on port \(port) did not answer PING:\n\(started.output)")
        }
    }

    /// SIGKILL to the server, by its PID; returns once it has exited.
    func kill() {
        guard let process else { return }
        Foundation.kill(process.pid, SIGKILL)
        process.waitForExit(timeout: 10)
        self.process = nil
    }

    /// `redis-cli ARGS` against this server (logged in when it has a password): (exit code, reply).
    @discardableResult
    func cli(_ arguments: [String]) -> (code: Int32, output: String) {
        var options = ["-h", "127.0.0.1", "-p", "\(port)"]
        if let password { options += ["--no-auth-warning", "-a", password] }
        guard let result = try? runCommand(RedisFixture.cli, options + arguments, timeout: 10) else { return (-1, "") }
        return (result.code, result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Kills the server by its PID and removes its directory. Safe to call twice.
    ///
    /// SIGKILL, not SIGTERM: it keeps nothing worth a clean shutdown, and a child that Foundation's `Process` spawns
    /// from a thread of the test's pool inherits that thread's signal mask, in which SIGTERM is blocked (a SIGTERM
    /// would wait out the whole grace period).
    func finish() {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { finish() }
}
