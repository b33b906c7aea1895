import Dispatch
import Foundation
import Synchronization

/// Every process the benchmark started and has not stopped yet, so that Ctrl-C or a SIGTERM to the
/// benchmark stops them too (newest first: the daemon stops its units before the servers go)
/// instead of orphaning a daemon with a thousand units.
enum StartedProcesses {
    private static let pids = Mutex<[pid_t]>([])
    /// Cleanups of things that are not child processes (a private dockerd), run after the processes stop.
    private static let cleanups = Mutex<[(id: Int, body: @Sendable () -> Void)]>([])
    private static let nextCleanup = Mutex(0)
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func add(_ pid: pid_t) { pids.withLock { $0.append(pid) } }
    static func remove(_ pid: pid_t) { pids.withLock { $0.removeAll { $0 == pid } } }
    /// Cleanup that is not a process (containers, a private dockerd, temporary directories), run on a
    /// signal after the processes are stopped, newest first. Make it idempotent: the normal path runs it too.
    static func atSignal(_ hook: @escaping @Sendable () -> Void) { _ = addCleanup(hook) }

    /// Registers `body` to run on a signal too; returns its id for ``removeCleanup(_:)``.
    static func addCleanup(_ body: @escaping @Sendable () -> Void) -> Int {
        let id = nextCleanup.withLock { $0 += 1; return $0 }
        cleanups.withLock { $0.append((id, body)) }
        return id
    }

    static func removeCleanup(_ id: Int) { cleanups.withLock { $0.removeAll { $0.id == id } } }

    /// Installs the SIGINT/SIGTERM/SIGHUP handlers; call once, before starting anything.
    static func stopOnSignals() {
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler {
                for pid in pids.withLock({ $0.reversed() }) {
                    kill(pid, SIGTERM)
                    var status: Int32 = 0
                    let deadline = Date().addingTimeInterval(20)
                    while waitpid(pid, &status, WNOHANG) == 0 && Date() < deadline { usleep(20_000) }
                    if waitpid(pid, &status, WNOHANG) == 0 { kill(pid, SIGKILL) }
                }
                for cleanup in cleanups.withLock({ $0.reversed() }) { cleanup.body() }
                exit(128 + signo)
            }
            source.resume()
            sources.append(source)
        }
    }
}
