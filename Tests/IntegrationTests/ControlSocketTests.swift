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

    /// `nc -N` and scripts send the request and shut their sending side down; the answer still comes,
    /// then the daemon closes the connection.
    @Test func aRequestFromAHalfClosedConnectionIsAnswered() throws {
        let daemon = try DaemonHarness(config: Self.config)
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("w"))
        let read = try #require(halfClosedExchange(daemon.socketPath, Array("GET /v1/units/w HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
        #expect(read.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(read)")
        #expect(read.contains("\"name\":\"w\""), "\(read)")
        #expect(read.contains("\"pid\":\(pid)"), "\(read)")
        // HTTP/1.0 as typed into `nc -N`, and a change of state.
        let stop = try #require(halfClosedExchange(daemon.socketPath, Array("POST /v1/units/w/stop HTTP/1.0\r\n\r\n".utf8)))
        #expect(stop.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(stop)")
        #expect(stop.contains("\"outcome\":\"accepted\""), "\(stop)")
        #expect(eventually(timeout: 5) { (try? daemon.unit("w"))?.state == "inactive" })
        // A request cut off by the half-close is malformed: 400, then the close.
        let cut = try #require(halfClosedExchange(daemon.socketPath, Array("GET /v1/units HTTP/1.1\r\n".utf8)))
        #expect(cut.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(cut)")
        #expect(try daemon.client.request("GET", "/v1/units").status == 200)
    }

    /// `GET /v1/probes?reset=1` starts a new measurement window: a change of state, refused to a
    /// peer that may only read, as any other change is.
    @Test func resettingTheProbeStatisticsTakesTheRightToChangeState() throws {
        let port = freeLoopbackPort()
        let daemon = try DaemonHarness(config: """
            control:
              mode: "0666"
            units:
              w:
                command: [\(Binaries.agentSim), --port, "\(port)", --name, w]
                liveness:
                  http: {url: "http://127.0.0.1:\(port)/"}
                  interval: 100ms
            """)
        defer { daemon.stop() }
        _ = try #require(daemon.waitForRunning("w"))
        func runs() throws -> Int {
            let response = try daemon.client.request("GET", "/v1/probes")
            #expect(response.status == 200)
            return try DaemonHarness.decoder.decode(ProbeStatsResponse.self, from: Data(response.body)).runs
        }
        #expect(eventually(timeout: 10) { ((try? runs()) ?? 0) >= 10 })
        func asNobody(_ path: String) throws -> String {
            try runCommand("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/curl", "-s",
                                                "-w", "\\n%{http_code}", "--unix-socket", daemon.socketPath, "http://localhost\(path)"]).output
        }
        let read = try asNobody("/v1/probes")
        #expect(read.hasSuffix("200"), "\(read)")
        let reset = try asNobody("/v1/probes?reset=1")
        #expect(reset.hasSuffix("403"), "\(reset)")
        #expect(reset.contains("permission denied: uid 65534 (nobody) may read status but only root may change state"), "\(reset)")
        #expect(try runs() >= 10, "the refused reset left the window alone")
        // Root may: the window starts again.
        #expect(try daemon.client.request("GET", "/v1/probes?reset=1").status == 200)
        #expect(try runs() < 10)
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

/// Writes `bytes`, shuts the sending side down (as `nc -N` does) and reads until the daemon closes.
/// Everything read, or nil when the connection failed or stayed open for 5 s.
func halfClosedExchange(_ path: String, _ bytes: [UInt8]) -> String? {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    guard withUnixAddress(path, { connect(fd, $0, $1) }) == 0 else { return nil }
    guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else { return nil }
    shutdown(fd, Int32(SHUT_WR))
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n > 0 { data += buffer[0..<n]; continue }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
