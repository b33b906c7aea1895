import Foundation
import SuperviseCore
import SuperviseQueues
import Testing

@Suite("Queue passwords: read from a file or the environment where the poller starts")
struct QueuePasswordTests {
    func queue(_ source: QueuePasswordSource?, name: String = "call-queue") -> QueueSpec {
        QueueSpec(name: name, redis: .tcp(host: "127.0.0.1", port: 6379), password: source)
    }

    @Test("a file's password, without its one trailing line break; a variable's as it is; none without a source")
    func resolved() throws {
        let directory = makeTemporaryDirectory("supervise-queues")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = directory.appendingPathComponent("plain").path
        let crlf = directory.appendingPathComponent("crlf").path
        let two = directory.appendingPathComponent("two").path
        try "s3cret\n".write(toFile: plain, atomically: true, encoding: .utf8)
        try "s3cret\r\n".write(toFile: crlf, atomically: true, encoding: .utf8)
        try "s3cret \n\n".write(toFile: two, atomically: true, encoding: .utf8)
        #expect(try QueuePassword.resolve(for: queue(.file(path: plain))) == "s3cret")
        #expect(try QueuePassword.resolve(for: queue(.file(path: crlf))) == "s3cret")
        #expect(try QueuePassword.resolve(for: queue(.file(path: two))) == "s3cret \n")
        #expect(try QueuePassword.resolve(for: queue(.environment(variable: "REDIS_PASSWORD")),
                                          environment: ["REDIS_PASSWORD": "pa ss\n"]) == "pa ss\n")
        #expect(try QueuePassword.resolve(for: queue(nil), environment: [:]) == nil)
        #expect(try QueuePassword.resolve(for: [queue(.file(path: plain), name: "a"), queue(nil, name: "b"),
                                                queue(.environment(variable: "P"), name: "c")],
                                          environment: ["P": "x"]) == ["a": "s3cret", "c": "x"])
    }

    @Test("a file or variable that gives no password is an error naming the queue and the file or variable")
    func errors() throws {
        let directory = makeTemporaryDirectory("supervise-queues")
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing").path
        let empty = directory.appendingPathComponent("empty").path
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        let big = directory.appendingPathComponent("big").path
        try String(repeating: "x", count: 70_000).write(toFile: big, atomically: true, encoding: .utf8)

        func failure(_ source: QueuePasswordSource, environment: [String: String] = [:]) -> String? {
            do {
                _ = try QueuePassword.resolve(for: queue(source), environment: environment)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(failure(.file(path: missing))
            == "queue call-queue: cannot read password_file \(missing): No such file or directory")
        #expect(failure(.file(path: empty)) == "queue call-queue: cannot read password_file \(empty): the file is empty")
        #expect(failure(.file(path: directory.path))
            == "queue call-queue: cannot read password_file \(directory.path): Is a directory")
        #expect(failure(.file(path: big))
            == "queue call-queue: cannot read password_file \(big): the file is over 65536 bytes")
        #expect(failure(.environment(variable: "REDIS_PASSWORD"))
            == "queue call-queue: cannot read password_env REDIS_PASSWORD: the variable is not set")
        #expect(failure(.environment(variable: "REDIS_PASSWORD"), environment: ["REDIS_PASSWORD": ""])
            == "queue call-queue: cannot read password_env REDIS_PASSWORD: the variable is empty")
        #expect(throws: QueuePasswordError(queue: "b", source: .file(path: missing), reason: "No such file or directory")) {
            try QueuePassword.resolve(for: [queue(nil, name: "a"), queue(.file(path: missing), name: "b")])
        }
    }
}
