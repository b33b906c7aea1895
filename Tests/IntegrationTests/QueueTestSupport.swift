import Foundation
import SuperviseCore
import SuperviseQueues
import Synchronization
import Testing

/// Runs `body` on a thread of its own and waits for it without holding a thread of Swift's cooperative pool:
/// hiredis calls block.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// A ``RedisListReader`` driven from threads of their own, one call at a time (each call waits for the previous).
final class ThreadedReader: @unchecked Sendable {
    let reader: RedisListReader

    init(_ queue: QueueSpec, password: String? = nil) {
        reader = RedisListReader(queue: queue, password: password)
    }

    /// The length as text, or the error's description.
    func read() async -> String {
        await onOwnThread {
            do throws(RedisReadError) { return String(try self.reader.length()) } catch { return error.description }
        }
    }

    var isConnected: Bool { reader.isConnected }
}

/// Every reading a poller delivered, in order.
final class ReadingLog: Sendable {
    private let readings = Mutex<[QueueReading]>([])

    func append(_ reading: QueueReading) { readings.withLock { $0.append(reading) } }

    var all: [QueueReading] { readings.withLock { $0 } }

    func of(_ queue: String) -> [QueueReading] { all.filter { $0.queue == queue } }

    /// Polls every 20 ms until `condition` holds for the readings so far or `seconds` pass; whether it held.
    func wait(seconds: Double, until condition: ([QueueReading]) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(all) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(all)
    }
}

/// A TCP listener on 127.0.0.1 that never accepts and never answers: the kernel completes connections into its
/// backlog, so a client connects and then waits for a reply that never comes (a hung or blackholed Redis).
final class SilentListener: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        port = freeLoopbackPort()
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard withLoopbackAddress(port: port, { bind(fd, $0, $1) }) == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw FixtureFailure(description: "cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }
}

/// The names of this process's threads (`/proc/self/task/*/comm`).
func threadNames() -> [String] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.compactMap { task in
        (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Gaps between consecutive readings.
func gaps(_ readings: [QueueReading]) -> [Duration] {
    zip(readings, readings.dropFirst()).map { $1.at - $0.at }
}
