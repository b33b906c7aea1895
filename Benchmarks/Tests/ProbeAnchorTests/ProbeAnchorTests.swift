import CProbeFloor
import Foundation
import Testing

/// The probe benchmark's anchors (bare libcurl, bare sockets) against real agent-sim servers on
/// loopback: they must do the load they report, or their CPU figures mean nothing. Figures are
/// not judged here (that is the benchmark's job on a quiet machine).
@Suite(.serialized) struct ProbeAnchorTests {
    typealias Loop = (UnsafePointer<Int32>, Int32, Int32, Int32, Int32, UnsafeMutablePointer<csupervise_floor_result>) -> Int32

    @Test(arguments: ["curl", "sockets"])
    func anchorCompletesItsLoad(_ anchor: String) throws {
        let loop: Loop = anchor == "curl" ? csupervise_floor_curl : csupervise_floor_sockets
        let ports = loopbackPortBlock(2)
        let sims = try ports.enumerated().map { try AgentSim(port: $1, name: "anchor-\($0)") }
        defer { sims.forEach { $0.stop() } }
        for (port, sim) in zip(ports, sims) {
            #expect(eventually(timeout: 10) { sim.isRunning && acceptsConnections(port: port) }, "agent-sim on \(port)")
        }

        // 200 GETs a second over both servers, 25 ms slots (5 per slot), for 2 s after the warm-up.
        var result = csupervise_floor_result()
        let status = ports.map(Int32.init).withUnsafeBufferPointer { loop($0.baseAddress!, 2, 200, 25, 2, &result) }
        #expect(status == 0)
        #expect(result.failed == 0)
        #expect(result.elapsed_seconds >= 2 && result.elapsed_seconds < 3)
        // 400 GETs in the window, give or take the slots a busy machine delays across its edges.
        let completed = Int(result.completed)
        #expect((360...440).contains(completed), "\(completed) GETs completed in \(result.elapsed_seconds) s")
        #expect(result.user_seconds + result.system_seconds > 0)
    }
}

/// An agent-sim server of the root package's debug build (`swift build` there; `SUPERVISE_BIN_DIR` names another
/// directory), stopped by its own PID.
final class AgentSim {
    static var binary: String {
        let dir = ProcessInfo.processInfo.environment["SUPERVISE_BIN_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug").path
        return dir + "/agent-sim"
    }

    let process = Process()

    init(port: Int, name: String) throws {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--port", "\(port)", "--name", name]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then SIGKILL if it is still there after 5 s; returns once it has exited, so its port is free.
    func stop() {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        if !eventually(timeout: 5, { !process.isRunning }) { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}

func eventually(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
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

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func acceptsConnections(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    return withLoopbackAddress(port: port) { connect(fd, $0, $1) } == 0
}

/// `count` consecutive loopback ports that are free now, below the kernel's ephemeral range (32768+) so the anchors'
/// own outgoing connections cannot take them before the servers bind.
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
    Issue.record("no block of \(count) free loopback ports below 32000")
    return Array(20_000..<(20_000 + count))
}
