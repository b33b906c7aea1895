import CSuperviseSys
import Dispatch
import Synchronization

/// Gives the heap's free pages back to the kernel once the daemon has gone quiet after acting.
///
/// Reading a configuration of 1,000 units, starting them, or a storm of restarts, leaves the heap with free pages
/// between blocks still in use, which glibc keeps (it only shrinks an arena from its top): 4–5 MiB of the idle
/// daemon's RSS at 1,000 units. `malloc_trim(0)` returns them. It walks every arena under its lock, so it runs on a
/// queue of its own, once the loop has acted on nothing for `quiet` seconds, or `latest` seconds after the first act
/// since the last trim if the loop never goes quiet that long.
enum HeapTrim {
    static let quiet: UInt64 = 2_000_000_000
    static let latest: UInt64 = 30_000_000_000

    private struct State {
        /// When the first and the last act since the last trim were; nil when there was none.
        var first: UInt64?
        var last: UInt64 = 0
    }

    private static let state = Mutex(State())
    private static let queue = DispatchQueue(label: "supervise.heap-trim", qos: .utility)

    /// The loop acted (started or signalled processes, wrote state, answered a change): trim when it is over.
    static func noteActivity() {
        let now = DispatchTime.now().uptimeNanoseconds
        let schedule = state.withLock { s -> Bool in
            s.last = now
            guard s.first == nil else { return false }
            s.first = now
            return true
        }
        if schedule { check(after: quiet) }
    }

    private static func check(after nanoseconds: UInt64) {
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
            let now = DispatchTime.now().uptimeNanoseconds
            let wait = state.withLock { s -> UInt64? in
                guard let first = s.first else { return nil }
                let untilQuiet = s.last + quiet > now ? s.last + quiet - now : 0
                let untilLatest = first + latest > now ? first + latest - now : 0
                if untilQuiet == 0 || untilLatest == 0 {
                    s.first = nil
                    return nil
                }
                return min(untilQuiet, untilLatest)
            }
            if let wait { check(after: wait) } else { _ = csupervise_heap_trim() }
        }
    }
}
