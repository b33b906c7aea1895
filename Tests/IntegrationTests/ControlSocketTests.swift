import Foundation
import SuperviseControl
import Testing

/// The control socket: permissions by peer credentials, and robustness against bad requests.
@Suite(.serialized) struct ControlSocketTests {
    static let config = """
        control:
          mode: "0666"
        units:
          w: {command: [sleep, "1000"]}
        """

    @Test func anUnprivilegedPeerMayReadButNotChangeState() throws {
        let daemon = try DaemonHarness(config: Self.config)
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("w"))
        // curl as nobody: reading is allowed, changing state is refused by peer credentials.
        let read = try runCommand("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/curl", "-s",
                                                       "-w", "\\n%{http_code}", "--unix-socket", daemon.socketPath, "http://localhost/v1/units"])
        #expect(read.output.hasSuffix("200"), "\(read.output)")
        let write = try runCommand("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/curl", "-s",
                                                        "-w", "\\n%{http_code}", "-X", "POST", "--unix-socket", daemon.socketPath,
                                                        "http://localhost/v1/units/w/stop"])
        #expect(write.output.hasSuffix("403"), "\(write.output)")
        #expect(write.output.contains("permission denied: uid 65534 (nobody) may read status but only root may change state"))
        #expect(try daemon.unit("w")?.pid == pid)
        // Root may.
        #expect(try daemon.command("stop", "w").status == 200)
    }

    @Test func theCLIAsNobodyGetsAClearRefusal() throws {
        // Default mode 0660, owned by root: nobody cannot even connect.
        let daemon = try DaemonHarness(config: "units:\n  w: {command: [sleep, \"1000\"]}\n")
        defer { daemon.stop() }
        _ = try #require(daemon.waitForRunning("w"))
        let copy = daemon.directory.appendingPathComponent("supervise-cli").path
        try FileManager.default.copyItem(atPath: Binaries.supervise, toPath: copy)
        chmod(copy, 0o755)
        let result = try runCommand("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", copy,
                                                         "stop", "w", "--socket", daemon.socketPath])
        #expect(result.code == 1)
        #expect(result.output.contains("permission denied on \(daemon.socketPath)"), "\(result.output)")
        #expect(try daemon.unit("w")?.state == "running")
    }

    @Test func aThousandMalformedRequestsLeaveTheDaemonServing() throws {
        let daemon = try DaemonHarness(config: Self.config)
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("w"))
        let garbage: [[UInt8]] = [
            Array("GARBAGE\r\n\r\n".utf8),
            Array("GET / HTTP/9.9\r\n\r\n".utf8),
            Array("POST /v1/units/w/stop HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nabc".utf8),
            Array("GET /v1/units HTTP/1.1\r\nHost: x\r\nX: \(String(repeating: "a", count: 100_000))\r\n\r\n".utf8),
            [0, 1, 2, 3, 255, 254, 13, 10, 13, 10],
            Array("POST /v1/units/w/explode HTTP/1.1\r\nContent-Length: 0\r\n\r\n".utf8),
            Array("DELETE /v1/units HTTP/1.1\r\nContent-Length: 0\r\n\r\n".utf8),
            Array("GET /v1/units/%ZZ HTTP/1.1\r\n\r\n".utf8),
            Array("POST /v1/units/w/stop HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n".utf8),
            Array("GET /v1/units HTTP/1.1\r\n".utf8), // never finished; closed by us
        ]
        var answered = 0
        for i in 0..<1000 {
            if rawExchange(daemon.socketPath, garbage[i % garbage.count]) { answered += 1 }
        }
        #expect(answered > 0)
        // Still serving, state untouched.
        let response = try daemon.client.request("GET", "/v1/units")
        #expect(response.status == 200)
        #expect(try daemon.unit("w")?.pid == pid)
        #expect(try daemon.unit("w")?.state == "running")
        #expect(processAlive(daemon.pid))
        // An oversized body is refused with 413.
        let big = [UInt8](repeating: 65, count: 70_000)
        let tooBig = try daemon.client.request("POST", "/v1/units/w/stop", body: big)
        #expect(tooBig.status == 413)
        #expect(try daemon.unit("w")?.state == "running")
    }

    @Test func unknownUnitsAndEndpointsGetClearErrors() throws {
        let daemon = try DaemonHarness(config: Self.config)
        defer { daemon.stop() }
        _ = try #require(daemon.waitForRunning("w"))
        let unknown = try daemon.command("stop", "nope")
        #expect(unknown.status == 404)
        #expect(unknown.body.contains("no unit named \\\"nope\\\"; units: w"))
        let cli = try daemon.cli(["restart", "nope"])
        #expect(cli.code == 3)
        #expect(cli.output.contains("supervise: no unit named \"nope\"; units: w"))
        let badAction = try daemon.command("explode", "w")
        #expect(badAction.status == 404)
        #expect(badAction.body.contains("expected one of: start, stop, restart, reset"))
        let status = try daemon.cli(["status"])
        #expect(status.code == 0)
        #expect(status.output.contains("NAME"))
        #expect(status.output.contains("w     process  running"))
        #expect(status.output.contains("1 running, 0 backing off, 0 failed"))
        let json = try daemon.cli(["status", "w", "--json"])
        #expect(json.output.contains("\"restart_policy\":\"on-failure\""))
    }

    @Test func theCLISaysWhenNoDaemonRuns() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try runCommand(Binaries.supervise, ["status", "--socket", dir.appendingPathComponent("none.sock").path])
        #expect(result.code == 1)
        #expect(result.output.contains("no control socket at"))
    }
}

/// Writes `bytes` on a fresh connection and reads until the daemon closes or 2 s pass. True if any answer came.
func rawExchange(_ path: String, _ bytes: [UInt8]) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var tv = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    guard withUnixAddress(path, { connect(fd, $0, $1) }) == 0 else { return false }
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    shutdown(fd, Int32(SHUT_WR))
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = recv(fd, &buffer, buffer.count, 0)
    return n > 0
}
