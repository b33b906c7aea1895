import CSuperviseSys
import Foundation
import Synchronization

/// A thread of the daemon's own that runs work one piece after the other at a chosen nice value,
/// and is a task executor, so a task can prefer it (`withTaskExecutorPreference`).
///
/// The spawn thread (nice 0) runs spawns and the supervision loop itself, so the loop's spawns
/// happen in place: a restart is one thread wake-up after the reap, not two. Not a Dispatch queue:
/// nice is per thread on Linux and inherited by what a thread spawns, and libdispatch runs
/// `.userInitiated` work at nice -2, so every unit would run at -2. Not the cooperative pool
/// either: a spawn waits for the child's exec. The state thread (nice 10) encodes and writes the
/// state file, which at a thousand units takes milliseconds the loop must not wait behind.
public final class WorkThread: TaskExecutor, Sendable {
    private enum Work {
        case closure(@Sendable () -> Void)
        case job(UnownedJob)
    }

    /// `UnownedJob` is a handle the runtime lets any thread run; the queue only moves it here.
    private struct Queue: @unchecked Sendable {
        var items: [Work] = []
        var head = 0
    }

    private let queue = Mutex(Queue())
    private let ready = DispatchSemaphore(value: 0)
    /// The thread's pthread id, set before it runs anything: tells a call from the thread itself.
    private let threadID = Atomic<UInt>(0)

    /// Starts the thread `name` (at most 15 bytes) at `nice`.
    public init(named name: String, nice: Int32 = 0) {
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

    private func push(_ work: Work) {
        queue.withLock { $0.items.append(work) }
        ready.signal()
    }

    private func loop() {
        while true {
            ready.wait()
            let next: Work? = queue.withLock { q in
                guard q.head < q.items.count else { return nil }
                let work = q.items[q.head]
                q.head += 1
                // Compacted once drained, so appends stay O(1) and memory stays bounded.
                if q.head == q.items.count { q.items.removeAll(keepingCapacity: true); q.head = 0 }
                return work
            }
            switch next {
            case .closure(let body): body()
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            case nil: continue
            }
        }
    }
}
