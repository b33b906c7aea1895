import CSuperviseSys
import Foundation
import Synchronization

/// A thread of the daemon's own that runs spawns one after the other, at the default priority.
///
/// Not a Dispatch queue: nice is per thread on Linux and inherited by what a thread spawns, and
/// libdispatch runs `.userInitiated` work at nice -2, so every unit would run at -2.
final class SpawnThread: Sendable {
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    init() {
        startThread(named: "sv-spawn") { [self] in
            _ = csupervise_normalize_thread_priority()
            self.loop()
        }
    }

    /// Runs `job` on the spawn thread, after the jobs before it.
    func run(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        ready.signal()
    }

    private func loop() {
        while true {
            ready.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job()
        }
    }
}
