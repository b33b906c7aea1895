import Logging
import ServiceLifecycle
import SuperviseCore
import Synchronization

/// The supervision loop as a swift-service-lifecycle `Service`.
///
/// `run()` boots the units and applies inputs in arrival order until the core reports that every
/// unit has stopped. The group's graceful shutdown (SIGTERM or SIGINT through the daemon's
/// ``SignalWatcher``, or `ServiceGroup.triggerGracefulShutdown()`) and task cancellation both
/// become a `.terminate` input: the core stops the units in reverse dependency order, drains
/// honoured, and `run()` returns once the last one is down, after writing the final state.
package struct SupervisionService: Service {
    /// The core and the boot state, taken by the loop when it starts. Kept here past that, they would be a second
    /// copy of every unit and its configuration for the daemon's life (about 2 MiB at 1,000 units), as the loop's
    /// core changes.
    private let start: Handover<(core: Supervisor, boot: BootState)>
    let adapters: SupervisionAdapters
    let logger: Logger
    let inputs: AsyncStream<DaemonInput>
    let feed: AsyncStream<DaemonInput>.Continuation
    /// The signal that asked for the shutdown, for the log; nil when it came from elsewhere.
    let shutdownSignal: @Sendable () -> Int32?

    /// - Parameters:
    ///   - inputs: The loop's only input; whatever feeds it (adapters, the control server, the
    ///     signal watcher) yields to `feed`. Iterated once: a service runs once.
    ///   - shutdownSignal: Read when graceful shutdown arrives.
    package init(core: Supervisor, adapters: SupervisionAdapters, logger: Logger,
                 inputs: AsyncStream<DaemonInput>, feed: AsyncStream<DaemonInput>.Continuation,
                 boot: BootState = BootState(), shutdownSignal: @escaping @Sendable () -> Int32? = { nil }) {
        self.start = Handover((core, boot))
        self.adapters = adapters
        self.logger = logger
        self.inputs = inputs
        self.feed = feed
        self.shutdownSignal = shutdownSignal
    }

    /// Runs until every unit has stopped after a shutdown, on the launcher's thread when it has one
    /// (``ProcessLauncher/loopExecutor``).
    package func run() async {
        await withTaskExecutorPreference(adapters.launcher.loopExecutor) { await supervise() }
    }

    private func supervise() async {
        guard let (core, boot) = start.take() else { preconditionFailure("a supervision service runs once") }
        var loop = SupervisionLoop(core: core, adapters: adapters, logger: logger, feed: feed)
        let (feed, shutdownSignal) = (self.feed, self.shutdownSignal)
        await withTaskCancellationOrGracefulShutdownHandler {
            loop.boot(boot)
            for await input in inputs {
                loop.handle(input)
                if loop.finished { break }
            }
        } onCancelOrGracefulShutdown: {
            // Queued behind whatever arrived first: the loop stops the units, then ends above.
            feed.yield(.terminate(signal: shutdownSignal()))
        }
        await loop.finish(draining: inputs)
    }
}

/// A value handed over once: the first `take()` returns it and lets it go.
private final class Handover<Value: Sendable>: Sendable {
    private let value: Mutex<Value?>

    init(_ value: Value) { self.value = Mutex(value) }

    func take() -> Value? {
        value.withLock { held in
            defer { held = nil }
            return held
        }
    }
}
