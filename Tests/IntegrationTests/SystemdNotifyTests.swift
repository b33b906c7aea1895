import Foundation
import Testing

/// sd_notify messages, read from a notify socket the test binds itself.
@Suite(.serialized) struct SystemdNotifyTests {
    @Test func readyStatusWatchdogReloadAndStopping() throws {
        let dir = makeTemporaryDirectory("supervise-notify")
        defer { try? FileManager.default.removeItem(at: dir) }
        let notifyPath = dir.appendingPathComponent("notify.sock").path
        let listener = try NotifyListener(path: notifyPath)
        defer { listener.close() }

        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notifyPath
        env["WATCHDOG_USEC"] = "400000" // ping every 200 ms
        env.removeValue(forKey: "WATCHDOG_PID")
        let daemon = try DaemonHarness(config: """
            units:
              a: {command: [sleep, "1000"]}
              b: {command: [sleep, "1000"]}
            """, environment: env)
        defer { daemon.stop() }

        var messages = listener.collect(for: 1.5)
        #expect(messages.contains { $0.contains("READY=1") })
        #expect(messages.contains { $0.contains("STATUS=2 running, 0 backing off, 0 failed") }, "\(messages)")
        let pings = messages.filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 4 && pings <= 12, "watchdog pings in 1.5 s: \(pings)")

        // Reload: RELOADING=1 then READY=1.
        daemon.process?.signal(SIGHUP)
        messages = listener.collect(for: 1.0)
        let reloading = messages.firstIndex { $0.contains("RELOADING=1") }
        let ready = messages.lastIndex { $0.contains("READY=1") }
        #expect(reloading != nil && ready != nil && reloading! < ready!, "\(messages)")

        // The status line follows changes.
        _ = try daemon.command("stop", "a")
        messages = listener.collect(for: 0.8)
        #expect(messages.contains { $0.contains("STATUS=1 running, 0 backing off, 0 failed, 1 stopped") }, "\(messages)")

        // A stuck loop stops the pings: SIGSTOP freezes the daemon.
        kill(daemon.pid, SIGSTOP)
        _ = listener.collect(for: 0.1)
        messages = listener.collect(for: 1.0)
        #expect(!messages.contains("WATCHDOG=1"))
        kill(daemon.pid, SIGCONT)

        daemon.process?.signal(SIGTERM)
        messages = listener.collect(for: 1.5)
        #expect(messages.contains { $0.contains("STOPPING=1") }, "\(messages)")
        #expect(daemon.process?.waitForExit(timeout: 15) == 0)
    }
}

/// A unix datagram socket standing in for systemd's notify socket.
final class NotifyListener {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard withUnixAddress(path, { bind(fd, $0, $1) }) == 0 else { throw POSIXError(.EADDRINUSE) }
        var tv = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Every datagram received within `seconds`.
    func collect(for seconds: Double) -> [String] {
        var result: [String] = []
        let end = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < end {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { result.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
        }
        return result
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}
