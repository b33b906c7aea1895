import CSuperviseSys
import Foundation
import Synchronization

/// A thread of the daemon's own that runs work one piece after the other at a chosen nice value,
/// is a task executor, so a task can prefer it (`withTaskExecutorPreference`), and waits in epoll,
/// so descriptors it watches (``watch(_:onReadable:)``) wake it directly.
///
/// The spawn thread (nice 0) runs spawns, the supervision loop itself and the reaping of unit
/// processes: a main process's pidfd wakes it, it reaps the process, the loop decides and the
/// restart is spawned in place, one thread wake-up from the kill to the new process. Not a
/// Dispatch queue: nice is per thread on Linux and inherited by what a thread spawns, and
/// libdispatch runs `.userInitiated` work at nice -2, so every unit would run at -2. Not the
/// cooperative pool either: a spawn waits for the child's exec. The state thread (nice 10)
/// encodes and writes the state file, which at a thousand units takes milliseconds the loop must
/// not wait behind.
public final class WorkThread: TaskExecutor, Sendable {
    private enum Work {
        case closure(@Sendable () -> Void)
        case job(UnownedJob)
    }

    /// `UnownedJob` is a handle the runtime lets any thread run; the queue only moves it here.
    private struct Queue: @unchecked Sendable {
        var items: [Work] = []
        var head = 0
        var stopped = false
        /// The thread has ended and closed its descriptors: nothing may write to `wakeup` now.
        var ended = false
    }

    private let queue = Mutex(Queue())
    private let epoll: Int32
    /// Written when work is queued from another thread (or the thread is asked to stop).
    private let wakeup: Int32
    /// Handlers of the descriptors the thread watches, by descriptor.
    private let sources = Mutex<[Int32: @Sendable () -> Void]>([:])
    /// The thread's pthread id, set before it runs anything: tells a call from the thread itself.
    private let threadID = Atomic<UInt>(0)
    private let ended = DispatchSemaphore(value: 0)

    /// Starts the thread `name` (at most 15 bytes) at `nice`.
    public init(named name: String, nice: Int32 = 0) {
        epoll = csupervise_epoll_create()
        wakeup = csupervise_eventfd()
        precondition(epoll >= 0 && wakeup >= 0 && csupervise_epoll_add(epoll, wakeup) == 0,
                     "\(name): epoll or eventfd: \(String(cString: strerror(errno)))")
        let started = DispatchSemaphore(value: 0)
        startThread(named: name) { [self] in
            _ = csupervise_set_thread_nice(nice)
            threadID.store(UInt(pthread_self()), ordering: .releasing)
            started.signal()
            self.loop()
        }
        started.wait()
    }

    /// True on this thread itself.
    public var isCurrent: Bool { threadID.load(ordering: .acquiring) == UInt(pthread_self()) }

    /// Runs `work` on the thread after the work before it; at once when called from the thread.
    public func run(_ work: @escaping @Sendable () -> Void) {
        if isCurrent { work() } else { push(.closure(work)) }
    }

    /// Queues `work` behind what is queued, even when called from the thread itself.
    public func later(_ work: @escaping @Sendable () -> Void) {
        push(.closure(work))
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        push(.job(UnownedJob(job)))
    }

    /// Calls `onReadable` on the thread whenever `fd` has input (level-triggered: until it is read,
    /// or the descriptor is unwatched). The caller keeps the descriptor and closes it after
    /// ``unwatch(_:)``. Returns false, with errno, when epoll refuses it.
    @discardableResult
    public func watch(_ fd: Int32, onReadable: @escaping @Sendable () -> Void) -> Bool {
        sources.withLock { $0[fd] = onReadable }
        guard csupervise_epoll_add(epoll, fd) == 0 else {
            let saved = errno
            sources.withLock { _ = $0.removeValue(forKey: fd) }
            errno = saved
            return false
        }
        return true
    }

    /// Stops watching `fd`; its handler is not called again once this returns on the thread itself.
    public func unwatch(_ fd: Int32) {
        _ = csupervise_epoll_remove(epoll, fd)
        sources.withLock { _ = $0.removeValue(forKey: fd) }
    }

    /// Ends the thread once the work queued before this call has run; work queued later is
    /// dropped. Returns when the thread has ended (at once when called from the thread itself,
    /// which ends when the work it is running returns). The descriptors it watches are the
    /// callers' to close.
    public func stop() {
        let first = queue.withLock { q -> Bool in
            defer { q.stopped = true }
            return !q.stopped
        }
        guard first else { return }
        wake()
        guard !isCurrent else { return }
        ended.wait()
        ended.signal()
    }

    private func push(_ work: Work) {
        let accepted = queue.withLock { q -> Bool in
            guard !q.stopped else { return false }
            q.items.append(work)
            return true
        }
        // The thread itself drains the queue before it waits again: no need to wake it.
        if accepted && !isCurrent { wake() }
    }

    /// Wakes the thread from its wait. Under the lock, as the thread closes the descriptor under it.
    private func wake() {
        queue.withLock { q in if !q.ended { _ = csupervise_eventfd_signal(wakeup) } }
    }

    private func next() -> Work? {
        queue.withLock { q in
            guard q.head < q.items.count else { return nil }
            let work = q.items[q.head]
            q.head += 1
            // Compacted once drained, so appends stay O(1) and memory stays bounded.
            if q.head == q.items.count { q.items.removeAll(keepingCapacity: true); q.head = 0 }
            return work
        }
    }

    private func loop() {
        var ready = [Int32](repeating: 0, count: 64)
        while true {
            // The work queued when the turn began, then a look at the descriptors: a steady stream
            // of work cannot keep a process's exit waiting.
            var turn = queue.withLock { $0.items.count - $0.head }
            while turn > 0, let work = next() {
                turn -= 1
                switch work {
                case .closure(let body): body()
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
            let (stop, more) = queue.withLock { ($0.stopped && $0.head == $0.items.count, $0.head < $0.items.count) }
            if stop { break }
            let n = csupervise_epoll_wait(epoll, &ready, Int32(ready.count), more ? 0 : -1)
            if n < 0 { if errno != EINTR { usleep(1_000) }; continue }
            for fd in ready.prefix(Int(n)) {
                if fd == wakeup { csupervise_eventfd_drain(wakeup); continue }
                sources.withLock { $0[fd] }?()
            }
        }
        queue.withLock { q in
            q.ended = true
            close(wakeup)
            close(epoll)
        }
        ended.signal()
    }
}
