import AgentSimQueue
import Dispatch
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Takes calls from the Redis list of `--queue`, as the platform's workers take theirs: on a thread of its own
/// (`agent-sim-queue`), since hiredis blocks, it pops one job at a time (`BLPOP`, waiting at most ``popWait``) while
/// fewer than `--max-calls` calls are live and no drain has begun, and hands each to the worker's event loop, where it
/// becomes a call exactly as `POST /calls?duration=S` makes one.
///
/// - Full: it waits for a call to end (the worker signals ``Worker/queueWake``) and pops nothing meanwhile.
/// - Draining (SIGTERM or `POST /drain`): it pops nothing more and closes its connection; jobs still in the list stay
///   there for other workers. A job popped by a `BLPOP` that was already waiting when the drain began is pushed back to
///   the head of the list (`LPUSH`), so no job is lost and the next worker takes it first.
/// - Redis unreachable or gone: it logs why, keeps the live calls going (they are the event loop's), and connects
///   again after a backoff of ``firstBackoff`` doubling to ``maximumBackoff``, reset by a connection that works.
/// - An item that is not a job is logged, counted (`queue_invalid` in `/worker`) and dropped.
final class QueueTaker: Sendable {
    /// The longest one `BLPOP` waits: how long, at most, a popped job may have to be pushed back after a drain began.
    static let popWait = 0.5
    static let firstBackoff = 0.2
    static let maximumBackoff = 5.0

    private let worker: Worker
    private let location: CallQueueLocation
    private let password: String?

    init(worker: Worker, location: CallQueueLocation, password: String?) {
        self.worker = worker
        self.location = location
        self.password = password
    }

    /// Starts the thread; it ends by itself once a drain has begun.
    func start() {
        startNamedThread("agent-sim-queue") { [self] in run() }
    }

    private func run() {
        let log = worker.log
        log("queue: taking calls from \(location), at most \(worker.maxCalls) at once")
        let connection = CallQueueConnection(location: location, password: password)
        var backoff = Self.firstBackoff
        var wasConnected = false
        while true {
            switch ask({ worker in worker.withState { $0.queueSlot(maxCalls: worker.maxCalls) } }) {
            case .draining:
                connection.disconnect()
                setConnected(false)
                log("queue: draining: taking no more calls from \(location.list)")
                return
            case .full:
                _ = worker.queueWake.wait(timeout: .now() + 1)
                continue
            case .free:
                break
            }
            do throws(CallQueueError) {
                try connection.connect()
                if !wasConnected {
                    wasConnected = true
                    backoff = Self.firstBackoff
                    setConnected(true)
                    log("queue: connected to redis \(location.server)")
                }
                guard let item = try connection.pop(waiting: Self.popWait) else { continue }
                take(item, connection: connection)
            } catch {
                if wasConnected {
                    wasConnected = false
                    setConnected(false)
                }
                log("queue: \(error); retrying in \(formatSeconds(backoff))s")
                // Woken early by a drain (or a call ending), which the next turn sees.
                _ = worker.queueWake.wait(timeout: .now() + .milliseconds(Int(backoff * 1000)))
                backoff = min(backoff * 2, Self.maximumBackoff)
            }
        }
    }

    /// Starts a call for a popped item on the event loop, or gives the job back when a drain began meanwhile.
    private func take(_ item: [UInt8], connection: CallQueueConnection) {
        let job: QueuedCall
        do {
            job = try QueuedCall(parsing: item)
        } catch {
            worker.onLoop { $0.withState { $0.countInvalidQueueItem() } }
            worker.log("queue: dropped \(error)")
            return
        }
        guard ask({ $0.startQueuedCall(job) }) == .refused else { return }
        do throws(CallQueueError) {
            try connection.push([item], front: true)
        } catch {
            worker.log("queue: job \(job.id ?? job.json) lost: it could not be given back: \(error)")
        }
    }

    private func setConnected(_ connected: Bool) {
        worker.onLoop { $0.withState { $0.queueConnected = connected } }
    }

    /// Runs `body` on the worker's event loop and waits for its result (this thread may block; the loop never does).
    private func ask<T: Sendable>(_ body: @escaping @Sendable (Worker) -> T) -> T {
        let worker = self.worker
        // The loop runs as long as the process does: wait() only fails if it was shut down, which never happens.
        return try! worker.loop.submit { body(worker) }.wait()
    }
}

/// Starts a detached thread named `name` (at most 15 bytes, the kernel's limit) running `body`.
private func startNamedThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    final class Start {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { raw in
        let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
        nameThisThread(start.name)
        start.body()
        return nil
    }, start)
    precondition(created == 0, "pthread_create: \(String(cString: strerror(created)))")
    pthread_detach(thread)
}

/// Sets the calling thread's name as `top -H` and `/proc/PID/task/TID/comm` show it, by writing that file
/// (`pthread_setname_np` needs `_GNU_SOURCE`, which Swift's Glibc module is not built with). Best effort.
private func nameThisThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}
