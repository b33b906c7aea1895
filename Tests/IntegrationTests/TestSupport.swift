import Synchronization
import Foundation
import SuperviseHTTPClient
import Testing

/// Where the package's built executables are: beside the test bundle, or `SUPERVISE_BIN_DIR`.
enum Binaries {
    static let directory: URL = {
        if let dir = ProcessInfo.processInfo.environment["SUPERVISE_BIN_DIR"] {
            return URL(fileURLWithPath: dir)
        }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test bundle can be a directory (`*.xctest/...`) or a plain executable.
        while !dir.path.isEmpty, dir.path != "/" {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("supervise").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug")
    }()

    static var supervise: String { directory.appendingPathComponent("supervise").path }
    static var agentSim: String { directory.appendingPathComponent("agent-sim").path }
}

/// A child process started by a test, with its output collected; always stopped by PID.
final class TestProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var outputData = Data()
    private var reachedEOF = false
    /// When the last output arrived (nil: none yet).
    private var lastOutputAt: Date?
    private let pipe = Pipe()

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self else { return }
            if chunk.isEmpty {
                // End of file: every writer (the process and whatever inherited its output) is gone.
                handle.readabilityHandler = nil
                self.lock.withLock { self.reachedEOF = true }
                return
            }
            self.lock.withLock {
                self.outputData.append(chunk)
                self.lastOutputAt = Date()
            }
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Everything the process printed so far (stdout and stderr interleaved).
    var output: String { lock.withLock { String(decoding: outputData, as: UTF8.self) } }

    /// Sends `signal` to the process.
    func signal(_ signal: Int32) { if process.isRunning { kill(pid, signal) } }

    /// Waits up to `timeout` for exit; returns the exit status or nil if still running. After an
    /// exit, ``output`` holds what the process printed: it waits for the pipe's end of file while
    /// output still arrives (15 s at most), and a second after the last of it (a child that outlives
    /// the process may hold the pipe open).
    @discardableResult
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { return nil }
        // The end of file, or a second without output: a child that outlives the process may hold the
        // pipe open for good, while a large output (read slowly on a loaded machine) keeps arriving.
        let exited = Date()
        _ = eventually(timeout: 15) {
            lock.withLock { reachedEOF || Date().timeIntervalSince(max(lastOutputAt ?? exited, exited)) > 1 }
        }
        return process.terminationStatus
    }

    /// Stops the process: SIGTERM, then SIGKILL after `grace` seconds.
    func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        if waitForExit(timeout: grace) == nil {
            kill(pid, SIGKILL)
            waitForExit(timeout: 5)
        }
    }

    /// Waits up to `timeout` for the end of the output (the pipe's end of file); whether it came.
    @discardableResult
    func waitForEndOfOutput(timeout: Double) -> Bool {
        eventually(timeout: timeout) { lock.withLock { reachedEOF } }
    }

    /// Waits until `predicate(output)` holds or `timeout` passes.
    func waitForOutput(timeout: Double, _ predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(output) { return true }
            usleep(20_000)
        }
        return predicate(output)
    }

    deinit { stop(grace: 2) }
}

/// Polls `condition` every 20 ms until it holds or `timeout` seconds pass.
func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// A fresh temporary directory, removed by the caller with `removeTemporaryDirectory`.
func makeTemporaryDirectory(_ prefix: String = "supervise-test") -> URL {
    let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Calls `body` with 127.0.0.1:`port` as a `sockaddr` (for bind and connect).
func withLoopbackAddress<T>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

/// Calls `body` with the unix socket address `path` as a `sockaddr` (for bind and connect).
func withUnixAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in
        let bytes = Array(path.utf8)
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}

/// Test ports come from a reserved block below the kernel's ephemeral range (32768–60999 here), so
/// a port handed to a test is never also the source port the kernel picks for someone's outgoing
/// connection. Each process starts at its own offset in the block and never hands a port out twice.
let reservedTestPorts = 23_000..<31_000
private let nextTestPort = Mutex(23_000 + Int(getpid() % 4000) * 2)

/// A loopback TCP port from ``reservedTestPorts`` that was free a moment ago.
func freeLoopbackPort() -> Int {
    for _ in reservedTestPorts {
        let port = nextTestPort.withLock { next -> Int in
            defer { next = next + 1 < reservedTestPorts.upperBound ? next + 1 : reservedTestPorts.lowerBound }
            return next
        }
        if loopbackPortIsFree(port) { return port }
    }
    Issue.record("no free loopback port left in \(reservedTestPorts)")
    return 0
}

/// Whether 127.0.0.1:`port` can be bound now.
func loopbackPortIsFree(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    return withLoopbackAddress(port: port) { bind(fd, $0, $1) } == 0
}

/// A blocking HTTP/1.1 request to 127.0.0.1:`port`, for tests. Returns (status, body); nil when there is no complete
/// answer (nothing listens, or it did not answer within `timeout` seconds).
func httpRequest(_ method: String, port: Int, path: String, timeout: Double = 5) -> (status: Int, body: String)? {
    let client = LocalHTTPClient(.loopback(port: port), timeout: .milliseconds(Int(timeout * 1000)))
    return (try? client.request(method, path)).map { ($0.status, $0.text) }
}

/// `count` loopback ports that are free now, below the kernel's ephemeral range (32768+) so
/// outgoing connections of the test (probes) cannot take them before the servers bind.
func loopbackPortBlock(_ count: Int) -> [Int] {
    func bindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return withLoopbackAddress(port: port) { bind(fd, $0, $1) } == 0
    }
    for _ in 0..<50 {
        let start = Int.random(in: 20_000...(32_000 - count))
        let ports = Array(start..<(start + count))
        if ports.allSatisfy(bindable) { return ports }
    }
    return (0..<count).map { _ in freeLoopbackPort() }
}
