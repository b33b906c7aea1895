import Foundation
import Logging
import SuperviseCore
import SuperviseDocker
import Synchronization

/// The Docker adapter: turns the engine's event stream into core events and carries out the
/// core's container actions.
///
/// After every (re)connect it subscribes to `/events` first and only then lists and inspects
/// every container (`.containerResync`), so nothing that happens in between is missed; while it
/// is disconnected the core holds container restarts. A `start` event is followed by an inspect
/// (the core needs the new pid for probes in the container's network namespace); every other
/// event goes straight through, in the engine's order.
final class DockerWatcher: ContainerDriving {
    let client: DockerClient
    private let feed: AsyncStream<DaemonInput>.Continuation
    private let logger: Logger
    /// Compose project filter, when the configuration sets one.
    private let project: String?
    private let task = Mutex<Task<Void, Never>?>(nil)
    /// When the last event of each container arrived, for the event-to-action latency in the logs.
    private let eventArrivals = Mutex<[String: ContinuousClock.Instant]>([:])
    static let reconnect = DockerReconnectBackoff.default

    /// Watches the socket `settings` names, which the daemon set when it loaded the configuration: `docker.socket`
    /// if the file names one, else `DOCKER_HOST`'s (``SupervisorConfig/resolveDockerSocket(environment:)``).
    init(settings: DockerSettings, feed: AsyncStream<DaemonInput>.Continuation, logger: Logger) {
        client = DockerClient(socketPath: settings.socketPath ?? DockerEndpoint.defaultSocketPath)
        project = settings.project
        self.feed = feed
        self.logger = logger
    }

    var endpoint: String { client.socketPath }

    func start() {
        task.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in await run() }
        }
    }

    func stop() {
        task.withLock { $0?.cancel() }
        client.shutdown()
    }

    /// The configured Compose project's containers; every container when there is none.
    private var scope: DockerFilters { project.map(DockerFilters.composeProject) ?? DockerFilters() }

    /// Container events within ``scope``.
    private var filters: DockerFilters { scope.type("container") }

    private func run() async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let ping = try await client.ping()
                feed.yield(.event(.dockerConnection(connected: true, detail: "\(client.socketPath), API \(ping.negotiated)")))
                let events = try await client.events(filters: filters)
                feed.yield(.event(.containerResync(try await picture())))
                attempt = 0
                for try await event in events { try await forward(event) }
                throw DockerError.eventStreamEnded(reason: "the event stream ended")
            } catch {
                if Task.isCancelled { return }
                attempt += 1
                feed.yield(.event(.dockerConnection(connected: false, detail: "\(error)")))
                try? await Task.sleep(for: Self.reconnect.delay(attempt: attempt))
            }
        }
    }

    /// Every container the filters match, inspected; containers removed meanwhile are skipped.
    private func picture() async throws -> [ContainerSnapshot] {
        var snapshots: [ContainerSnapshot] = []
        for summary in try await client.listContainers(filters: scope) {
            if let snapshot = try await snapshot(summary.id) { snapshots.append(snapshot) }
        }
        return snapshots
    }

    private func snapshot(_ id: String) async throws -> ContainerSnapshot? {
        do {
            return Self.snapshot(try await client.inspect(id))
        } catch DockerError.noSuchContainer {
            return nil
        }
    }

    static func snapshot(_ c: DockerContainer) -> ContainerSnapshot {
        ContainerSnapshot(
            id: c.id, name: c.name, image: c.image, labels: c.labels, running: c.state.running, pid: c.state.pid,
            exitCode: c.state.running ? nil : c.state.exitCode, oomKilled: c.state.oomKilled,
            health: c.state.health.flatMap { ContainerHealth(rawValue: $0.status) },
            dockerRestartPolicy: c.restartPolicy.name.isEmpty ? "no" : c.restartPolicy.name)
    }

    private func forward(_ event: DockerEvent) async throws {
        guard event.type == "container" else { return }
        let id = event.actorID
        let core: ContainerEvent?
        switch event.action {
        case .start:
            guard var snapshot = try await snapshot(id) else { return }
            // It started, even if it has already exited again by the time of the inspect: its `die`
            // comes next in the stream and drives the restart (a crash loop must reach its limit).
            if !snapshot.running {
                snapshot.running = true
                snapshot.pid = 0
            }
            feed.yield(.event(.containerSeen(snapshot)))
            return
        case .die: core = .died(exitCode: event.attributes["exitCode"].flatMap { Int32($0) } ?? -1)
        case .oom: core = .oom
        case .kill: core = .killed(signal: event.attributes["signal"].flatMap { Int32($0) } ?? Signals.term)
        case .stop: core = .stopped
        case .destroy: core = .destroyed
        case .healthStatus(let status): core = ContainerHealth(rawValue: status).map { .health($0, detail: nil) }
        default: core = nil
        }
        guard let core else { return }
        eventArrivals.withLock { arrivals in
            switch core {
            // The events a restart of ours answers: their arrival times the latency in the logs.
            case .died, .health(.unhealthy, _): arrivals[id] = .now
            // Gone for good: nothing will answer its last event.
            case .destroyed: arrivals[id] = nil
            default: break
            }
        }
        feed.yield(.event(.container(id: id, core)))
    }

    /// Carries out a core action off the loop; a failure comes back as `.containerActionFailed`.
    func perform(unit: String, id: String, _ action: ContainerAction) {
        let since = eventArrivals.withLock { $0.removeValue(forKey: id) }.map { ContinuousClock.now - $0 }
        if let since {
            logger.info("\(Self.describe(action)) issued \(String(format: "%.2f", since.milliseconds)) ms after Docker's event",
                        metadata: ["unit": "\(unit)", "event": "docker-action", "latency_ms": "\(since.milliseconds)"])
        }
        let client = self.client, feed = self.feed
        Task {
            do {
                switch action {
                case .restart(let timeout): try await client.restart(id, timeoutSeconds: Self.seconds(timeout))
                case .stop(let timeout): try await client.stop(id, timeoutSeconds: Self.seconds(timeout))
                case .kill(let signal): try await client.kill(id, signal: signal)
                case .remove(let timeout): try await client.removeComposeReplica(id, stopTimeoutSeconds: Self.seconds(timeout))
                }
            } catch {
                feed.yield(.event(.containerActionFailed(unit: unit, id: id, reason: "\(error)")))
            }
        }
    }

    func createReplica(_ creation: ReplicaCreation) {
        let client = self.client, feed = self.feed, logger = self.logger
        Task {
            let started = ContinuousClock.now
            do {
                let made = try await client.createComposeReplica(from: creation.source, image: creation.image, number: creation.number)
                let container = try await client.inspect(made.id)
                logger.info("made \(made.name) (\(made.image)) in \(String(format: "%.0f", (ContinuousClock.now - started).milliseconds)) ms",
                            metadata: ["unit": "\(creation.unit)", "event": "docker-create"])
                feed.yield(.event(.replicaCreated(unit: creation.unit, Self.snapshot(container))))
            } catch {
                feed.yield(.event(.replicaCreateFailed(unit: creation.unit, reason: "\(error)")))
            }
        }
    }

    static func describe(_ action: ContainerAction) -> String {
        switch action {
        case .restart(let t): "restart (t=\(seconds(t)))"
        case .stop(let t): "stop (t=\(seconds(t)))"
        case .kill(let signal): "kill (\(Signals.name(signal)))"
        case .remove(let t): "remove (t=\(seconds(t)))"
        }
    }

    /// Docker's `t=` is whole seconds; never round a stop timeout down.
    static func seconds(_ d: Duration) -> Int { Int((d.seconds).rounded(.up)) }
}
