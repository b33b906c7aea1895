import Foundation
import Synchronization
import SuperviseConfig
import SuperviseCore

/// Turns SIGTERM/SIGINT into a shutdown and SIGHUP into a reload.
///
/// The three signals are blocked from the first moment of `supervise run` (``block()``, called
/// before any other thread exists, so every thread the daemon makes inherits the mask). One that
/// arrives while the daemon loads its configuration, reads its state or starts its units stays
/// pending instead of killing it with the default action; a thread of the watcher's own takes it
/// with `sigwait` and queues it for the supervision loop, which acts on it once it runs. The
/// config file is read and validated on that thread, so the loop never does file I/O. Children
/// start with an empty signal mask (see the spawner), so units never inherit the block.
final class SignalWatcher: Sendable {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]
    /// Cleared by ``cancel()``: later signals are taken and dropped (the daemon is exiting anyway).
    private let forwarding = Mutex(true)

    /// Blocks the handled signals in the calling thread and in every thread it starts from now on.
    static func block() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in handled { sigaddset(&set, s) }
        return set
    }

    /// Starts taking the signals (including any that arrived since ``block()``) and feeding them to the loop.
    init(feed: AsyncStream<DaemonInput>.Continuation, configPath: String, overrides: (socket: String?, stateDir: String?)) {
        Self.block()
        let (socket, stateDir) = overrides
        // The thread keeps the watcher alive for the rest of the process.
        let thread = Thread { [self] in
            var set = Self.signalSet()
            while true {
                var sig: Int32 = 0
                guard sigwait(&set, &sig) == 0 else { continue }
                guard self.forwarding.withLock({ $0 }) else { continue }
                if sig == SIGHUP {
                    do {
                        var config = try ConfigLoader.load(path: configPath)
                        if let socket { config.control.socketPath = socket }
                        if let stateDir { config.stateDirectory = stateDir }
                        feed.yield(.reload(.success(config)))
                    } catch {
                        feed.yield(.reload(.failure(ReloadFailure(message: "\(error)"))))
                    }
                } else {
                    feed.yield(.terminate(signal: sig))
                }
            }
        }
        thread.name = "supervise.signals"
        thread.start()
    }

    /// Stops forwarding; the signals stay blocked and are dropped from now on.
    func cancel() { forwarding.withLock { $0 = false } }
}
