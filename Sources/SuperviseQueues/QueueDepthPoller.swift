import Dispatch
import Foundation
import SuperviseThreads
import SuperviseCore
import Synchronization

/// Reads the length of every configured queue, each every its `interval`, on one thread of its own
/// (``threadName``), and reports each reading through `onReading`.
///
/// Readings: the first of every queue comes at once after ``start()``; the next one `interval` after the previous
/// one ended, so a queue is read at most once per `interval`, and a reading that fails (Redis down, refused, slow)
/// is reported like any other, with its ``QueueReading/error``. The queues are read one after the other, each with
/// its own connection (kept open between readings, made again after a failure) and within its own `timeout`: a
/// Redis that does not answer delays the other queues' readings by at most that timeout. hiredis blocks, which is
/// why it runs here and never on Swift's cooperative pool.
///
/// `onReading` is called on the poller's thread, one reading at a time; it should hand the reading on and return
/// (a slow callback delays the next readings). It may call ``stop()``.
public final class QueueDepthPoller: Sendable {
    /// The thread's name, as `top -H` and `/proc/PID/task/TID/comm` show it.
    public static let threadName = "sv-queues"

    private enum Phase { case idle, running, stopped }

    private let queues: [QueueSpec]
    private let passwords: [String: String]
    private let onReading: @Sendable (QueueReading) -> Void
    private let phase = Mutex(Phase.idle)
    private let interruption = ReadInterruption()
    /// Signalled by ``stop()``: ends the wait for the next reading.
    private let wake = DispatchSemaphore(value: 0)
    /// Entered while the thread runs.
    private let running = DispatchGroup()
    /// The thread's pthread id once it runs: tells ``stop()`` called from `onReading` not to wait for itself.
    private let thread = PollerThreadID()

    /// A poller for `queues`, not started. `passwords` holds the password of every queue that has a
    /// `password_file` or `password_env`, by queue name (``QueuePassword`` reads them); a queue whose password is
    /// missing from it reports that as the error of each of its readings.
    public init(queues: [QueueSpec], passwords: [String: String] = [:],
                onReading: @escaping @Sendable (QueueReading) -> Void) {
        self.queues = queues
        self.passwords = passwords
        self.onReading = onReading
    }

    deinit {
        // Ends a thread nobody stopped, without waiting for it (it holds none of this object).
        interruption.interrupt()
        wake.signal()
    }

    /// Starts the thread; the first readings follow at once. Does nothing when already started or stopped.
    public func start() {
        let start = phase.withLock { phase -> Bool in
            guard phase == .idle else { return false }
            phase = .running
            running.enter()
            return true
        }
        guard start else { return }
        let loop = QueuePollLoop(queues: queues, passwords: passwords, interruption: interruption, wake: wake,
                                 onReading: onReading)
        startThread(named: Self.threadName) { [running, thread] in
            thread.id.store(UInt(pthread_self()), ordering: .releasing)
            loop.run()
            running.leave()
        }
    }

    /// Stops reading: a reading in progress is cut short (its connection is shut down; a connection attempt, which
    /// cannot be, ends within its queue's timeout), connections are closed and the thread ends. Waits for that,
    /// unless called from `onReading`; after it returns no further reading is delivered. Idempotent; a poller
    /// cannot be started again.
    public func stop() {
        phase.withLock { $0 = .stopped }
        interruption.interrupt()
        wake.signal()
        guard thread.id.load(ordering: .acquiring) != UInt(pthread_self()) else { return }
        running.wait()
    }
}

/// A reference to share with the thread (an `Atomic` cannot be captured).
private final class PollerThreadID: Sendable {
    let id = Atomic<UInt>(0)
}

/// The poller's thread: every queue's reader and when it is next due.
private struct QueuePollLoop: Sendable {
    let queues: [QueueSpec]
    let passwords: [String: String]
    let interruption: ReadInterruption
    let wake: DispatchSemaphore
    let onReading: @Sendable (QueueReading) -> Void

    /// One queue: its reader (kept, with its connection, from one reading to the next) and its next reading.
    private struct Slot {
        let queue: QueueSpec
        let reader: RedisListReader
        /// Set when the queue has a password source but no password was given.
        let missingPassword: String?
        var due: Instant
    }

    func run() {
        let start = Monotonic.now()
        var slots = queues.map { queue in
            let password = passwords[queue.name]
            let missing = queue.password.flatMap { source in
                password == nil ? "queue \(queue.name): no password was given for its \(source)" : nil
            }
            return Slot(queue: queue, reader: RedisListReader(queue: queue, password: password, interruption: interruption),
                        missingPassword: missing, due: start)
        }
        defer { slots.forEach { $0.reader.disconnect() } }
        while !interruption.isInterrupted {
            // The queue due first (the earliest in the file among equals): a slow one never starves the others.
            guard let next = slots.indices.min(by: { slots[$0].due < slots[$1].due }) else {
                wake.wait()
                continue
            }
            let wait = slots[next].due - Monotonic.now()
            if wait > .zero {
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(wait.nanosecondsClamped)))
                continue
            }
            let reading = read(slots[next])
            guard !interruption.isInterrupted else { return }
            onReading(reading)
            slots[next].due = reading.at + slots[next].queue.interval
        }
    }

    private func read(_ slot: Slot) -> QueueReading {
        let begin = Monotonic.now()
        var length: Int?
        var error: String?
        if let missing = slot.missingPassword {
            error = missing
        } else {
            do { length = try slot.reader.length() } catch let failure { error = failure.description }
        }
        let end = Monotonic.now()
        return QueueReading(queue: slot.queue.name, length: length, error: error, at: end, took: end - begin)
    }
}
