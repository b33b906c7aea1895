import Dispatch
import Logging
import Synchronization
import SuperviseConfig
import SuperviseCore
import SuperviseQueues
import UnixSignals

/// Turns signals into the daemon's actions: SIGTERM and SIGINT into the service group's graceful
/// shutdown, SIGHUP into a reload.
///
/// Why not `ServiceGroup(gracefulShutdownSignals:)`: the signals must be caught from the first
/// moment of `supervise run`, long before the group exists (see ``HeldSignals``), and a second
/// handler for the same signal must not be installed (`UnixSignalsSequence` says so; on Darwin
/// it also sets the signal to SIG_IGN first, which discards one that is pending). So the group is
/// made without signals, and this watcher takes the held ones, buffered since the start, and calls
/// `triggerGracefulShutdown()`, which the group remembers even when it comes before `run()`.
///
/// A reload's config file is read and validated on a queue of its own, so neither the loop nor
/// the cooperative pool ever waits for the disk; the result reaches the loop as `.reload`.
package final class SignalWatcher: Sendable {
    private let configPath: String
    private let overrides: (socket: String?, stateDir: String?)
    private let feed: AsyncStream<DaemonInput>.Continuation
    private let logger: Logger
    private let firstShutdownSignal = Mutex<Int32?>(nil)
    private let reloads = DispatchQueue(label: "supervise.reload")

    package init(configPath: String, overrides: (socket: String?, stateDir: String?),
                 feed: AsyncStream<DaemonInput>.Continuation, logger: Logger) {
        self.configPath = configPath
        self.overrides = overrides
        self.feed = feed
        self.logger = logger
    }

    /// The signal that asked for the shutdown, once one has.
    package var shutdownSignal: Int32? { firstShutdownSignal.withLock { $0 } }

    /// Takes `signals` until the task is cancelled or they end: the first SIGTERM or SIGINT calls
    /// `shutdown` (a later one is only logged), each SIGHUP reloads.
    package func run<Incoming: AsyncSequence<UnixSignal, Never>>(
        _ signals: Incoming, shutdown: @escaping @Sendable () async -> Void
    ) async {
        for await signal in signals {
            switch signal {
            case .sighup:
                reload()
            case .sigterm, .sigint:
                let first = firstShutdownSignal.withLock { first in
                    defer { first = first ?? signal.rawValue }
                    return first == nil
                }
                if first {
                    await shutdown()
                } else {
                    logger.notice("\(Signals.name(signal.rawValue)) again: already stopping all units",
                                  metadata: ["event": "shutdown", "signal": "\(Signals.name(signal.rawValue))"])
                }
            default:
                break
            }
        }
    }

    /// Takes the signals held since the start until the task is cancelled.
    func run(_ held: HeldSignals, shutdown: @escaping @Sendable () async -> Void) async {
        await run(held.sequence, shutdown: shutdown)
    }

    private func reload() {
        let (configPath, (socket, stateDir), feed) = (self.configPath, self.overrides, self.feed)
        reloads.async {
            do {
                var config = try ConfigLoader.load(path: configPath)
                if let socket { config.control.socketPath = socket }
                if let stateDir { config.stateDirectory = stateDir }
                _ = try QueuePassword.resolve(for: config.queues)
                _ = try AutoscaleReader.passwords(for: config.replicatedServices)
                try config.resolveDockerSocket()
                feed.yield(.reload(.success(config)))
            } catch {
                feed.yield(.reload(.failure(ReloadFailure(message: "\(error)"))))
            }
        }
    }
}
