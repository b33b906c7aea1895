import Foundation
import SuperviseControl
import SuperviseHTTPClient
import Testing

/// The project's HTTP/1.1 client against a scripted server on loopback or a unix socket: every body framing, short
/// writes, interrupted waits, timeouts, and the answers it must refuse.
@Suite(.serialized)
struct LocalHTTPClientTests {
    @Test("Content-Length over a unix socket: the answer ends at its length, though the server keeps the connection open")
    func contentLengthWithoutClose() throws {
        let server = try ScriptedServer(.unix, [.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: a\r\n\r\nhello"), .holdOpen])
        defer { server.finish() }
        let started = ContinuousClock.now
        let answer = try LocalHTTPClient(server.endpoint, timeout: .seconds(10)).request("POST", "/v1/x", body: Array("abc".utf8))
        #expect(ContinuousClock.now - started < .seconds(5), "it waited for the close")
        #expect(answer.status == 200)
        #expect(answer.text == "hello")
        #expect(answer.header("x-test") == "a")
        let request = server.request()
        #expect(request.hasPrefix("POST /v1/x HTTP/1.1\r\nHost: localhost\r\n"))
        #expect(request.contains("\r\nContent-Length: 3\r\n") && !request.contains("Connection:"))
        #expect(request.hasSuffix("\r\n\r\nabc"))
    }

    @Test("chunked over TCP, in pieces that split sizes and data, after a 100 Continue; trailers are skipped")
    func chunkedInPieces() throws {
        let server = try ScriptedServer(.tcp, [
            .send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), .pause(20),
            .send("5\r\nhel"), .pause(20), .send("lo\r\n1"), .pause(20), .send("1;ext=1\r\n, world, 17 bytes\r\n0\r\nTrailer: x\r\n\r\n"),
            .holdOpen,
        ])
        defer { server.finish() }
        let answer = try LocalHTTPClient(server.endpoint, timeout: .seconds(10)).request("GET", "/")
        #expect(answer.status == 200)
        #expect(answer.text == "hello, world, 17 bytes")
        #expect(server.request().hasPrefix("GET / HTTP/1.1\r\nHost: 127.0.0.1:"))
    }

    @Test("without a length the body ends with the connection; HEAD and 204 have none")
    func closeDelimitedAndEmpty() throws {
        let server = try ScriptedServer(.tcp, [.send("HTTP/1.0 200 OK\r\n\r\nfirst "), .pause(30), .send("second"), .close])
        defer { server.finish() }
        #expect(try LocalHTTPClient(server.endpoint).request("GET", "/").text == "first second")

        let head = try ScriptedServer(.tcp, [.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), .holdOpen])
        defer { head.finish() }
        let headAnswer = try LocalHTTPClient(head.endpoint, timeout: .seconds(10)).request("HEAD", "/")
        #expect(headAnswer.status == 200 && headAnswer.body.isEmpty)

        let noContent = try ScriptedServer(.unix, [.send("HTTP/1.1 204 No Content\r\n\r\n"), .holdOpen])
        defer { noContent.finish() }
        let empty = try LocalHTTPClient(noContent.endpoint, timeout: .seconds(10)).request("DELETE", "/x")
        #expect(empty.status == 204 && empty.body.isEmpty)
    }

    @Test("a 4 MiB body to a server that reads slowly: written whole, through short writes")
    func largeBodyThroughShortWrites() throws {
        let body = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let server = try ScriptedServer(.unix, [.send("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"), .close],
                                        receiveBuffer: 4096, readDelayMicroseconds: 200)
        defer { server.finish() }
        let answer = try LocalHTTPClient(server.endpoint, timeout: .seconds(60)).request("PUT", "/big", body: body)
        #expect(answer.status == 201)
        let request = server.requestBytes()
        let bodyStart = try #require(request.firstRange(of: Array("\r\n\r\n".utf8))).upperBound
        #expect(request.count - bodyStart == body.count)
        #expect(Array(request[bodyStart...]) == body)
    }

    @Test("signals that interrupt its waits (EINTR) do not end the exchange")
    func interruptedWaits() throws {
        let server = try ScriptedServer(.tcp, [.pause(400), .send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), .holdOpen])
        defer { server.finish() }
        // A handler without SA_RESTART, so the signal interrupts poll(2) with EINTR.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        var previous = sigaction()
        sigaction(SIGUSR2, &action, &previous)
        defer { sigaction(SIGUSR2, &previous, nil) }

        let exchange = ThreadExchange()
        Thread {
            exchange.set(thread: pthread_self())
            exchange.set(result: Result { () throws(LocalHTTPError) in
                try LocalHTTPClient(server.endpoint, timeout: .seconds(10)).request("GET", "/slow")
            })
        }.start()
        var signals = 0
        while exchange.result == nil && signals < 500 {
            if let target = exchange.thread {
                pthread_kill(target, SIGUSR2)
                signals += 1
            }
            usleep(10_000)
        }
        #expect(eventually(timeout: 10) { exchange.result != nil })
        #expect(signals >= 10, "the signals came while it waited")
        let answer = try #require(exchange.result).get()
        #expect(answer.text == "ok")
    }

    @Test("stream: each line as it arrives until the callback stops it; another status with its whole body")
    func streamLines() throws {
        let server = try ScriptedServer(.unix, [
            .send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\none\ntw\r\n"), .pause(50),
            .send("4\r\no\nth\r\n"), .pause(50), .send("6\r\nree\nfo\r\n"), .holdOpen,
        ])
        defer { server.finish() }
        var lines: [String] = []
        let answer = try LocalHTTPClient(server.endpoint, timeout: .seconds(10)).stream("/v1/events") { line in
            lines.append(String(decoding: line, as: UTF8.self))
            return lines.count < 3
        }
        #expect(answer.status == 200 && answer.body.isEmpty)
        #expect(lines == ["one", "two", "three"])

        // The server closing the connection ends the stream; a last line without its line break is not handed on.
        let closing = try ScriptedServer(.tcp, [.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\none\ntwo\r\n"), .close])
        defer { closing.finish() }
        var untilClose: [String] = []
        let closed = try LocalHTTPClient(closing.endpoint, timeout: .seconds(10)).stream("/v1/events") { line in
            untilClose.append(String(decoding: line, as: UTF8.self))
            return true
        }
        #expect(closed.status == 200 && untilClose == ["one"])

        let missing = try ScriptedServer(.unix, [.send("HTTP/1.1 404 Not Found\r\nContent-Length: 13\r\n\r\n{\"error\":\"x\"}"), .holdOpen])
        defer { missing.finish() }
        let notFound = try LocalHTTPClient(missing.endpoint, timeout: .seconds(10)).stream("/v1/events?unit=x") { _ in
            Issue.record("no line of a 404")
            return true
        }
        #expect(notFound.status == 404 && notFound.text == "{\"error\":\"x\"}")
    }

    @Test("nothing listening, no answer in time, an answer cut short or not HTTP: each a distinct error")
    func failures() throws {
        let nowhere = makeTemporaryDirectory("supervise-http").appendingPathComponent("none.sock").path
        #expect(throws: LocalHTTPError.cannotConnect(endpoint: .unixSocket(nowhere), errno: ENOENT)) {
            try LocalHTTPClient(.unixSocket(nowhere)).request("GET", "/")
        }
        let port = freeLoopbackPort()
        #expect(throws: LocalHTTPError.cannotConnect(endpoint: .loopback(port: port), errno: ECONNREFUSED)) {
            try LocalHTTPClient(.loopback(port: port)).request("GET", "/")
        }
        #expect(throws: LocalHTTPError.invalidEndpoint(.unixSocket(String(repeating: "x", count: 200)))) {
            try LocalHTTPClient(.unixSocket(String(repeating: "x", count: 200))).request("GET", "/")
        }
        #expect(Self.controlError(nowhere).description.contains("no control socket at \(nowhere)"))

        let silent = try ScriptedServer(.tcp, [.holdOpen])
        defer { silent.finish() }
        let started = ContinuousClock.now
        #expect(throws: LocalHTTPError.timedOut(endpoint: silent.endpoint, after: .milliseconds(300))) {
            try LocalHTTPClient(silent.endpoint, timeout: .milliseconds(300)).request("GET", "/")
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(300) && waited < .seconds(5), "\(waited)")

        let cut = try ScriptedServer(.tcp, [.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), .close])
        defer { cut.finish() }
        #expect(throws: LocalHTTPError.closedEarly(endpoint: cut.endpoint, detail: "7 bytes before the end of the body")) {
            try LocalHTTPClient(cut.endpoint).request("GET", "/")
        }
        let cutChunks = try ScriptedServer(.tcp, [.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), .close])
        defer { cutChunks.finish() }
        #expect(throws: LocalHTTPError.closedEarly(endpoint: cutChunks.endpoint, detail: "before the last chunk of the body")) {
            try LocalHTTPClient(cutChunks.endpoint).request("GET", "/")
        }
        let badChunk = try ScriptedServer(.tcp, [.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nab"), .holdOpen])
        defer { badChunk.finish() }
        #expect(throws: LocalHTTPError.malformed(endpoint: badChunk.endpoint, detail: "malformed chunk size: -5")) {
            try LocalHTTPClient(badChunk.endpoint, timeout: .seconds(10)).request("GET", "/")
        }
        let longChunk = try ScriptedServer(.tcp, [.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"), .holdOpen])
        defer { longChunk.finish() }
        #expect(throws: LocalHTTPError.malformed(endpoint: longChunk.endpoint, detail: "chunk data longer than its size")) {
            try LocalHTTPClient(longChunk.endpoint, timeout: .seconds(10)).request("GET", "/")
        }
        let notHTTP = try ScriptedServer(.tcp, [.send("SSH-2.0-OpenSSH\r\n\r\n"), .close])
        defer { notHTTP.finish() }
        #expect(throws: LocalHTTPError.malformed(endpoint: notHTTP.endpoint, detail: #"status line "SSH-2.0-OpenSSH""#)) {
            try LocalHTTPClient(notHTTP.endpoint).request("GET", "/")
        }
        let twoLengths = try ScriptedServer(.tcp, [.send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"), .close])
        defer { twoLengths.finish() }
        #expect(throws: LocalHTTPError.malformed(endpoint: twoLengths.endpoint, detail: "Content-Length 1, 2")) {
            try LocalHTTPClient(twoLengths.endpoint).request("GET", "/")
        }
    }

    static func controlError(_ socket: String) -> ControlClientError {
        do {
            _ = try ControlClient(socketPath: socket, timeoutSeconds: 1).request("GET", "/v1/units")
            return ControlClientError("it answered")
        } catch {
            return error
        }
    }
}

/// What a client thread of ``LocalHTTPClientTests/interruptedWaits()`` did: its pthread, then its exchange's outcome.
final class ThreadExchange: @unchecked Sendable {
    // @unchecked: both behind `lock`.
    private let lock = NSLock()
    private var pthread: pthread_t?
    private var outcome: Result<LocalHTTPResponse, LocalHTTPError>?

    var thread: pthread_t? { lock.withLock { pthread } }
    var result: Result<LocalHTTPResponse, LocalHTTPError>? { lock.withLock { outcome } }
    func set(thread: pthread_t) { lock.withLock { pthread = thread } }
    func set(result: Result<LocalHTTPResponse, LocalHTTPError>) { lock.withLock { outcome = result } }
}

/// A server on 127.0.0.1 or a unix socket that takes one connection, reads one request (head and
/// `Content-Length` body), then plays its script. Its thread ends by itself; ``finish()`` closes everything.
final class ScriptedServer: @unchecked Sendable {
    enum Kind { case tcp, unix }
    enum Step {
        case send(String)
        case pause(Int)
        /// Close the connection.
        case close
        /// Keep the connection open until the client closes it (or ``finish()``).
        case holdOpen
    }

    // @unchecked: `received` and `done` are behind `lock`; the descriptors are closed once, in `finish()`.
    let endpoint: LocalHTTPEndpoint
    private let listener: Int32
    private let directory: URL?
    private let lock = NSLock()
    private var received: [UInt8] = []
    private var connection: Int32 = -1
    private var finished = false
    private let ended = DispatchSemaphore(value: 0)

    /// `receiveBuffer` (SO_RCVBUF of the connection) and `readDelayMicroseconds` (a pause before each read) make the
    /// client's writes short.
    init(_ kind: Kind, _ script: [Step], receiveBuffer: Int32? = nil, readDelayMicroseconds: UInt32 = 0) throws {
        switch kind {
        case .tcp:
            let port = freeLoopbackPort()
            listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            directory = nil
            endpoint = .loopback(port: port)
            guard withLoopbackAddress(port: port, { bind(listener, $0, $1) }) == 0 else {
                close(listener)
                throw FixtureFailure(description: "bind 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
            }
        case .unix:
            let made = makeTemporaryDirectory("supervise-http")
            let path = made.appendingPathComponent("s.sock").path
            listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            directory = made
            endpoint = .unixSocket(path)
            guard withUnixAddress(path, { bind(listener, $0, $1) }) == 0 else {
                close(listener)
                try? FileManager.default.removeItem(at: made)
                throw FixtureFailure(description: "bind \(path): \(String(cString: strerror(errno)))")
            }
        }
        if var size = receiveBuffer { setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        listen(listener, 4)
        let thread = Thread { [self] in
            defer { ended.signal() }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            let keep = lock.withLock { () -> Bool in
                guard !finished else { return false }
                connection = fd
                return true
            }
            guard keep else { close(fd); return }
            readRequest(fd, delay: readDelayMicroseconds)
            for step in script {
                switch step {
                case .send(let text):
                    let bytes = Array(text.utf8)
                    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                case .pause(let milliseconds):
                    usleep(UInt32(milliseconds) * 1000)
                case .close:
                    shutdown(fd, Int32(SHUT_RDWR))
                    return
                case .holdOpen:
                    var byte: UInt8 = 0
                    while recv(fd, &byte, 1, 0) > 0 {}
                    return
                }
            }
        }
        thread.start()
    }

    private func readRequest(_ fd: Int32, delay: UInt32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var data: [UInt8] = []
        while true {
            if let end = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if data.count - end.upperBound >= length { break }
            }
            if delay > 0 { usleep(delay) }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data.append(contentsOf: buffer[..<n])
        }
        lock.withLock { received = data }
    }

    /// The request as received.
    func request() -> String { String(decoding: requestBytes(), as: UTF8.self) }

    /// The request's bytes as received.
    func requestBytes() -> [UInt8] {
        _ = eventually(timeout: 10) { lock.withLock { !received.isEmpty } }
        return lock.withLock { received }
    }

    /// Ends the connection and the listener, waits for the thread, removes the socket's directory. Idempotent.
    func finish() {
        let fd = lock.withLock { () -> Int32? in
            guard !finished else { return nil }
            finished = true
            return connection
        }
        guard let fd else { return }
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        shutdown(listener, Int32(SHUT_RDWR))
        if ended.wait(timeout: .now() + 10) == .timedOut { Issue.record("the scripted server's thread did not end") }
        if fd >= 0 { close(fd) }
        close(listener)
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    deinit { finish() }
}
