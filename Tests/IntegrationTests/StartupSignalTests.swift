import Foundation
import Testing

/// A SIGTERM that arrives while `supervise run` is still starting is kept and acted on once the
/// supervision loop runs: the daemon stops what it started and exits 0, instead of dying by the
/// signal's default action half-started (with the clean signal mask systemd gives it) or losing
/// the signal and running on (with the mask a test runner's thread passes down: most signals
/// blocked, so the signal stayed pending until the old code set SIGTERM to ignored).
@Suite(.serialized) struct StartupSignalTests {
    @Test func aSIGTERMWhileTheDaemonReadsItsConfigurationStopsItCleanly() throws {
        let marker = "startup-signal-\(UUID().uuidString.prefix(8))"
        let daemon = try DaemonHarness(config: "", start: false)
        defer {
            daemon.stop()
            for pid in pids(matching: marker) { kill(pid, SIGKILL) }
        }
        // The configuration is a FIFO: the daemon blocks reading it until the test has written it,
        // so the signal provably arrives mid-start, long before the control socket exists.
        try FileManager.default.removeItem(atPath: daemon.configPath)
        try #require(mkfifo(daemon.configPath, 0o600) == 0)
        try daemon.launch()
        let process = try #require(daemon.process)
        // Opening the write end succeeds once the daemon has opened the read end.
        var fd: Int32 = -1
        _ = eventually(timeout: 10) {
            fd = open(daemon.configPath, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            return fd >= 0 || !processAlive(process.pid)
        }
        try #require(fd >= 0, "the daemon never opened its configuration:\n\(daemon.output)")
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))

        process.signal(SIGTERM)
        let config = """
            units:
              w:
                command: [bash, -c, "exec -a \(marker) sleep 1000"]
            """
        let written = config.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        #expect(written == config.utf8.count)

        let code = process.waitForExit(timeout: 10)
        let how = code == nil ? "still running after 10 s" : process.process.terminationReason == .exit ? "exit \(code!)" : "killed by signal \(code!)"
        #expect(code == 0 && process.process.terminationReason == .exit, "\(how)\n\(daemon.output)")
        let out = daemon.output
        #expect(out.contains("SIGTERM received: stopping all units"), "\(out)")
        #expect(out.contains("all units stopped; exiting"), "\(out)")
        #expect(!out.contains("w: started") || out.contains("w: stopped"), "\(out)")
        #expect(pids(matching: marker).isEmpty, "a unit outlived its daemon:\n\(out)")
    }

    /// The daemon blocks the signals; the units it starts must not inherit that.
    @Test func unitsStartWithNoSignalBlocked() throws {
        let daemon = try DaemonHarness(config: """
            units:
              w: {command: [sleep, "1000"]}
            """)
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("w"))
        // No standard signal (1-31) blocked or ignored; glibc keeps its own two above them.
        #expect(signalMask("SigBlk", pid: pid).map { $0 & 0x7fff_ffff } == 0)
        #expect(signalMask("SigIgn", pid: pid).map { $0 & 0x7fff_ffff } == 0)
    }

    /// A signal mask (`SigBlk`, `SigIgn`, ...) of `pid`'s main thread, from its status.
    func signalMask(_ name: String, pid: Int32) -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
        return UInt64(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces), radix: 16)
    }
}
