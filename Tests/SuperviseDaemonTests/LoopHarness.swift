import Foundation
import Logging
import ServiceLifecycle
import SuperviseConfig
import SuperviseControl
import SuperviseCore
import SuperviseDaemon
import Testing
import UnixSignals

/// The supervision service as the daemon runs it (the real core, in a real `ServiceGroup`), with a
/// double for every adapter and the control API reached through the loop's own input stream.
final class LoopHarness: Sendable {
    let launcher: FakeLauncher
    let store: FakeStateWriter
    let notifier = RecordingNotifier()
    let probes = RecordingProbeRunner()
    let docker = RecordingContainerDriver()
    let clock = ManualClock()
    let logs = LogLines()
    let logger: Logger
    let feed: AsyncStream<DaemonInput>.Continuation
    let group: ServiceGroup
    /// The group's `run()`; ends once every unit has stopped after a shutdown.
    let running: Task<Void, any Error>

    /// Starts the service on the configuration `yaml`. `signals`: when given, a ``SignalWatcher``
    /// takes them as the daemon takes the real ones.
    init(_ yaml: String, launcher: FakeLauncher = FakeLauncher(), store: FakeStateWriter = FakeStateWriter(),
         signals: AsyncStream<UnixSignal>? = nil) throws {
        self.launcher = launcher
        self.store = store
        let logs = self.logs
        var logger = Logger(label: "supervise-test") { _ in RecordingLogHandler(lines: logs) }
        logger.logLevel = .info
        self.logger = logger
        let config = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
        let (inputs, feed) = AsyncStream.makeStream(of: DaemonInput.self)
        self.feed = feed
        let (probes, docker) = (self.probes, self.docker)
        let adapters = SupervisionAdapters(launcher: launcher, store: store, notifier: notifier,
                                           makeProbeRunner: { probes }, makeContainerDriver: { _ in docker },
                                           clock: clock)
        let watcher = SignalWatcher(configPath: "/nonexistent/test.yaml", overrides: (nil, nil), feed: feed, logger: logger)
        let service = SupervisionService(core: Supervisor(config: config, seed: 1), adapters: adapters, logger: logger,
                                         inputs: inputs, feed: feed, shutdownSignal: { watcher.shutdownSignal })
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [.init(service: service)], logger: logger))
        self.group = group
        if let signals {
            Task { await watcher.run(signals) { await group.triggerGracefulShutdown() } }
        }
        running = Task { try await group.run() }
    }

    /// Sends a request to the loop, as the control server does, and waits for the answer.
    func control(_ method: String, _ path: String, query: [String: String] = [:]) async -> ControlResponse {
        let request = ControlRequest(method: method, path: path, query: query)
        return await withCheckedContinuation { reply in
            if case .terminated = feed.yield(.control(request, reply)) {
                reply.resume(returning: ControlResponse(status: 503, body: []))
            }
        }
    }

    /// Every unit's status. The loop answers in input order, so everything sent before has been handled.
    func units() async throws -> [UnitStatus] {
        let response = await control("GET", "/v1/units")
        try #require(response.status == 200, "GET /v1/units: \(response.status)")
        return try ControlJSON.decoder().decode(UnitsResponse.self, from: Data(response.body)).units
    }

    func unit(_ name: String) async throws -> UnitStatus? { try await units().first { $0.name == name } }

    /// Sends `input` to the loop, as an adapter does.
    func send(_ input: DaemonInput) { feed.yield(input) }

    /// Asks the group for a graceful shutdown (as SIGTERM does) and waits for it to end.
    func shutDown() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
