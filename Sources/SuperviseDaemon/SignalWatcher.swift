import Foundation
import SuperviseConfig
import SuperviseCore

/// Turns SIGTERM/SIGINT into a shutdown and SIGHUP into a reload, via Dispatch signal sources.
///
/// The config file is read and validated here, on the watcher's own queue, so the loop never does file I/O.
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    init(feed: AsyncStream<DaemonInput>.Continuation, configPath: String, overrides: (socket: String?, stateDir: String?)) {
        let queue = DispatchQueue(label: "supervise.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                if sig == SIGHUP {
                    do {
                        var config = try ConfigLoader.load(path: configPath)
                        if let s = overrides.socket { config.control.socketPath = s }
                        if let d = overrides.stateDir { config.stateDirectory = d }
                        feed.yield(.reload(.success(config)))
                    } catch {
                        feed.yield(.reload(.failure(ReloadFailure(message: "\(error)"))))
                    }
                } else {
                    feed.yield(.terminate(signal: sig))
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
