import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM and SIGINT handling with Dispatch signal sources.
///
/// The default dispositions are set to "ignore" first, so the signals are only seen through the
/// sources (which use signalfd/kqueue, not a signal handler), on a dedicated serial queue: nothing
/// blocks Swift's cooperative thread pool or runs in async-signal context. The queue only hops to
/// the worker's event loop, which owns the state. SIGPIPE is ignored so a client that goes away
/// cannot kill the process.
enum SignalHandling {
    /// Installs the handlers. Keep the returned sources alive for as long as they should work.
    static func install(worker: Worker) -> [any DispatchSourceSignal] {
        signal(SIGPIPE, SIG_IGN)
        let queue = DispatchQueue(label: "agent-sim.signals")
        let handlers: [(Int32, @Sendable (Worker) -> Void)] = [
            (SIGTERM, { $0.handleTerminate() }),
            (SIGINT, { $0.handleInterrupt() }),
        ]
        return handlers.map { number, handler in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { worker.onLoop(handler) }
            source.resume()
            return source
        }
    }
}
