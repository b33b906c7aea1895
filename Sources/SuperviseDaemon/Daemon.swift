import Foundation
import Logging
import ServiceLifecycle
import SuperviseConfig
import SuperviseControl
import SuperviseCore
import SuperviseProbes
import SuperviseProcess
import SuperviseMetrics
import SuperviseNotify
import SuperviseQueues
import SuperviseSystemd

/// The imperative shell: turns the world into events for the core and carries out its effects.
///
/// One loop owns the core (``SupervisionLoop``, run as the ``SupervisionService`` of a
/// swift-service-lifecycle `ServiceGroup`); processes, signals, timers, the control socket and the
/// watchdog all feed it through a single `AsyncStream`, so state has exactly one owner and inputs
/// are handled in arrival order. Blocking work (fork/exec, waitpid, file writes, config parsing)
/// happens on threads and queues of its own, never on the cooperative pool.
public final class Daemon: Sendable {
    let options: DaemonOptions
    let logger: Logger
    let notifier = SystemdNotifier()
    let inputs: AsyncStream<DaemonInput>
    let feed: AsyncStream<DaemonInput>.Continuation
    let metrics = SupervisorMetrics(version: superviseVersion)
    /// Every logged event, for `GET /v1/events` and webhooks.
    let events: EventHub

    public init(options: DaemonOptions) {
        self.options = options
        let events = EventHub(metrics: metrics)
        self.events = events
        var logger = Logger(label: "supervise") { _ in
            MultiplexLogHandler([options.logFormat.makeHandler(), EventLogHandler(hub: events)])
        }
        logger.logLevel = .info
        self.logger = logger
        (inputs, feed) = AsyncStream.makeStream(of: DaemonInput.self)
    }

    /// Catches SIGTERM, SIGINT and SIGHUP from now on and keeps them for ``run(signals:)``. Call it
    /// first thing in `supervise run`: a signal that arrives while the daemon starts then waits for
    /// the loop to act on it, instead of killing the daemon half-started.
    public static func holdSignals() async -> HeldSignals { await HeldSignals.catchNow() }

    /// Loads the config and runs until shut down. Returns the process exit code: 0 after a clean
    /// shutdown, 78 for an invalid configuration, 71 when the control socket cannot be made.
    public func run(signals: HeldSignals) async -> Int32 {
        let watcher = SignalWatcher(configPath: options.configPath, overrides: (options.socketPath, options.stateDirectory),
                                    feed: feed, logger: logger)
        // Reading files (the configuration may be a FIFO), stopping leftovers and binding the socket
        // block: off the cooperative pool.
        // The core goes from `prepare()` straight into the service, which hands it to the loop: kept here too, it
        // would be a second copy of every unit for the daemon's life.
        let prepared = await offloaded("supervise.startup") { [self] in
            prepare().map { p in
                Started(service: SupervisionService(core: p.core, adapters: p.adapters, logger: logger,
                                                    inputs: inputs, feed: feed, boot: p.boot,
                                                    shutdownSignal: { watcher.shutdownSignal }),
                        server: p.server, metricsServer: p.metricsServer, launcher: p.adapters.launcher)
            }
        }
        let started: Started
        switch prepared {
        case .success(let s): started = s
        case .failure(let exit): return exit.code
        }
        let service = started.service
        // A name of its own: without one, the group describes the service by reflecting all of it (the core with
        // every unit), a string of megabytes at 1,000 units that it keeps for the daemon's life.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service, serviceName: "supervision")], logger: logger))
        // The signals held since the start go to the group from here on; one taken before `run()`
        // below is remembered by the group and delivered once the service runs.
        let signalTask = Task { await watcher.run(signals) { await group.triggerGracefulShutdown() } }
        let watchdog = startWatchdog()

        var code = ExitCodes.success
        do {
            try await group.run()
        } catch {
            logger.error("supervision ended unexpectedly: \(error)", metadata: ["event": "daemon-exit"])
            code = ExitCodes.failure
        }
        watchdog?.cancel()
        signalTask.cancel()
        events.finishReaders()
        await offloaded("supervise.control-close") {
            started.server.close()
            started.metricsServer?.close()
            started.launcher.shutdown()
        }
        if let notifier = events.setNotifier(nil) {
            await offloaded("supervise.webhooks-stop") { notifier.stop() }
            events.retire(notifier)
        }
        if code == ExitCodes.success {
            logger.info("all units stopped; exiting", metadata: ["event": "daemon-exit"])
        }
        return code
    }

    /// What the daemon has once it has started up: everything the supervision service needs.
    private struct Prepared: Sendable {
        var core: Supervisor
        var adapters: SupervisionAdapters
        var boot: BootState
        var server: ControlServer
        /// The Prometheus listener (`metrics.listen`).
        var metricsServer: ControlServer?
    }

    /// The running daemon: its service, and what is closed after it.
    private struct Started: Sendable {
        var service: SupervisionService
        var server: ControlServer
        var metricsServer: ControlServer?
        var launcher: any ProcessLauncher
    }

    /// Why start-up ended the daemon, as its exit code.
    private struct StartupExit: Error {
        var code: Int32
    }

    /// Loads the configuration and the saved state, stops what a killed predecessor left of units
    /// that are gone, opens the control socket and makes the adapters. Blocks.
    private func prepare() -> Result<Prepared, StartupExit> {
        var config: SupervisorConfig
        do {
            config = try ConfigLoader.load(path: options.configPath)
        } catch {
            FileHandle.standardError.write(Data("supervise: cannot load configuration:\n\(error)\n".utf8))
            return .failure(StartupExit(code: ExitCodes.configInvalid))
        }
        if let s = options.socketPath { config.control.socketPath = s }
        if let d = options.stateDirectory { config.stateDirectory = d }
        // A queue's password is read here, not kept in the configuration: a missing file is a
        // configuration error at start, not a queue that never reads.
        do {
            _ = try QueuePassword.resolve(for: config.queues)
            _ = try AutoscaleReader.passwords(for: config.replicatedServices)
        } catch {
            FileHandle.standardError.write(Data("supervise: cannot load configuration:\n\(options.configPath): \(error)\n".utf8))
            return .failure(StartupExit(code: ExitCodes.configInvalid))
        }
        do { try config.resolveDockerSocket() } catch {
            FileHandle.standardError.write(Data("supervise: cannot use Docker: \(error)\n".utf8))
            return .failure(StartupExit(code: ExitCodes.configInvalid))
        }

        signal(SIGPIPE, SIG_IGN)
        // Containment first: the daemon moves itself into its own leaf before it starts anything.
        let containment: Containment
        switch Containment.choose(root: options.cgroupRoot, disabled: options.noCgroups, controllers: options.cgroupControllers) {
        case .success(let chosen): containment = chosen
        case .failure(let why):
            FileHandle.standardError.write(Data("supervise: --cgroup-root \(options.cgroupRoot ?? ""): \(why)\n".utf8))
            return .failure(StartupExit(code: ExitCodes.usage))
        }
        logger.notice("\(containment.status.description)", metadata: ["event": "containment"])
        let store = StateStore(directory: config.stateDirectory) { [logger] in logger.error("\($0)", metadata: ["event": "state-error"]) }
        var (persisted, stateUnusable) = loadState(store)
        // What runs is the truth: a unit whose saved state has no process (started a moment before its
        // predecessor was SIGKILLed, before the state was written, or the state was lost) but which has one in its
        // cgroup, or (without cgroups) one carrying its name and this daemon's instance in its environment, is
        // adopted, not started twice. Replicas a service added beyond the file's count are looked for too.
        let found = containment.hierarchy.map { UnitProcessScan.state(in: $0, bootID: StateStore.bootID(), where: config.configures(unit:)) }
            ?? UnitProcessScan.state(instance: config.stateDirectory, bootID: StateStore.bootID(), where: config.configures(unit:))
        if persisted == nil && stateUnusable && !found.units.isEmpty {
            // Without the file, what was found is all there is.
            logger.warning("found \(found.units.count) running units of this daemon by their environment: \(found.units.keys.sorted().joined(separator: ", ")); adopting them",
                           metadata: ["event": "state-error"])
            persisted = found
        }
        do {
            var merged = persisted ?? PersistedState(bootID: StateStore.bootID(), units: [:])
            var adoptedUnsaved: [String] = []
            for (name, unit) in found.units where merged.units[name]?.pid == nil {
                var entry = merged.units[name] ?? PersistedUnit()
                entry.pid = unit.pid
                entry.pidStartTicks = unit.pidStartTicks
                merged.units[name] = entry
                adoptedUnsaved.append(name)
            }
            if !adoptedUnsaved.isEmpty {
                let place = containment.hierarchy == nil ? "by their environment" : "in their cgroups"
                logger.notice("found running processes of \(adoptedUnsaved.sorted().joined(separator: ", ")) \(place), which the saved state does not name; adopting them",
                              metadata: ["event": "adopted"])
                persisted = merged
            }
        }

        let server: ControlServer
        do {
            let feed = self.feed
            server = try ControlServer(socketPath: config.control.socketPath, mode: config.control.socketMode,
                                       groupName: config.control.group) { request in
                await withCheckedContinuation { reply in
                    if case .terminated = feed.yield(.control(request, reply)) { reply.resume(returning: ControlRoutes.shuttingDown) }
                }
            }
        } catch {
            FileHandle.standardError.write(Data("supervise: \(error)\n".utf8))
            return .failure(StartupExit(code: ExitCodes.controlSocket))
        }
        var metricsServer: ControlServer?
        if let listen = config.metrics.listen {
            do {
                metricsServer = try Self.metricsListener(listen, feed: feed)
            } catch {
                server.close()
                FileHandle.standardError.write(Data("supervise: metrics.listen: \(error)\n".utf8))
                return .failure(StartupExit(code: ExitCodes.controlSocket))
            }
            logger.info("Prometheus metrics on http://\(listen)/metrics\(listen.isLoopback ? "" : " (not loopback: reachable from other machines)")",
                        metadata: ["event": "metrics-listen"])
        }
        if !config.notify.webhooks.isEmpty {
            let notifier = WebhookNotifier(spec: config.notify) { [logger] in logger.warning("\($0)", metadata: ["event": "webhook-failed"]) }
            notifier.start()
            events.setNotifier(notifier)
        }
        logger.info("supervise \(superviseVersion) starting: \(config.units.count) units from \(options.configPath), control socket \(config.control.socketPath)", metadata: ["event": "daemon-start"])

        // Processes a killed predecessor left running are adopted, not restarted: their calls go on
        // (`KillMode=process` keeps them alive when systemd restarts the daemon). Only those of units
        // no longer in the configuration are stopped.
        // Replicas a predecessor ran beyond the file's count are its services' own too.
        let configured = Set(config.units.map(\.name)).union((persisted?.units.keys).map { $0.filter(config.configures(unit:)) } ?? [])
        let alive = persisted.map(LeftoverProcesses.find(in:)) ?? []
        let adopted = Set(alive.map(\.unit).filter(configured.contains))
        // No unit runs twice: stop what a killed predecessor left of units that are gone.
        let longest = config.units.map(\.stopTimeout).max() ?? .seconds(10)
        LeftoverProcesses.stop(alive.filter { !configured.contains($0.unit) }, timeout: min(longest, .seconds(30)),
                               hierarchy: containment.hierarchy) { [logger] in
            logger.warning("\($0)", metadata: ["event": "leftover"])
        }
        if let hierarchy = containment.hierarchy {
            LeftoverProcesses.stopUnconfigured(in: hierarchy, configured: configured, timeout: min(longest, .seconds(30))) { [logger] in
                logger.warning("\($0)", metadata: ["event": "leftover"])
            }
        }
        // An adopted process's uptime counts from its own start, not from this daemon's.
        let uptimes = Dictionary(alive.compactMap { l in l.uptime.map { (l.unit, $0) } }, uniquingKeysWith: { a, _ in a })

        let spawner = ProcessSpawner(reaper: Reaper(), instance: config.stateDirectory, containment: containment)
        // Units whose main process ended while no daemon watched, leaving processes of the unit:
        // stopped and waited for before they start again.
        let leftovers = LeftoverProcesses.orphaned(in: persisted, except: adopted, configured: configured,
                                                   containment: containment, instance: config.stateDirectory,
                                                   adopt: { spawner.adoptMembers($1, of: $0) })
        let (feed, logger) = (self.feed, self.logger)
        let batcher = ProbeResultBatcher(feed: feed)
        let adapters = SupervisionAdapters(
            launcher: spawner, store: store, notifier: notifier,
            makeProbeRunner: {
                ProbeEngine(spawner: spawner) { key, result in
                    batcher.add(.probeResult(unit: key.unit, role: key.role, generation: key.generation, result: result))
                }
            },
            makeContainerDriver: { settings in
                DockerWatcher(settings: settings, feed: feed, logger: logger)
            },
            clock: MonotonicClock(), metrics: metrics, events: events)
        return .success(Prepared(core: Supervisor(config: config, seed: UInt64.random(in: 0...UInt64.max)),
                                 adapters: adapters, boot: BootState(persisted: persisted, adopted: adopted, uptimes: uptimes, leftovers: leftovers),
                                 server: server, metricsServer: metricsServer))
    }

    /// The read-only TCP listener for Prometheus: `GET /metrics` and nothing else.
    static func metricsListener(_ listen: ListenAddress, feed: AsyncStream<DaemonInput>.Continuation) throws -> ControlServer {
        try ControlServer(host: listen.host, port: listen.port, refusal: "the metrics listener is read-only") { request in
            guard request.method == "GET", request.path == "/metrics" else {
                return ControlRoutes.error(404, "only GET /metrics is served here; the control socket has the rest")
            }
            return await withCheckedContinuation { reply in
                if case .terminated = feed.yield(.control(request, reply)) { reply.resume(returning: ControlRoutes.shuttingDown) }
            }
        }
    }

    /// The saved state, and whether a file was there but unusable.
    private func loadState(_ store: StateStore) -> (PersistedState?, Bool) {
        switch store.load() {
        case .none:
            return (nil, false)
        case .loaded(let state):
            return (state.bootID == StateStore.bootID() ? state : state.forgettingTimes(), false)
        case .unusable(let why):
            let moved = store.quarantine()
            logger.error("\(why); starting without saved state\(moved.map { " (moved aside to \($0))" } ?? "")",
                         metadata: ["event": "state-error"])
            return (nil, true)
        }
    }

    /// Pings come from the loop itself: this task only asks; a stuck loop never answers, so systemd's watchdog fires.
    private func startWatchdog() -> Task<Void, Never>? {
        guard let interval = notifier.watchdogInterval else { return nil }
        let feed = self.feed
        return Task.detached {
            while !Task.isCancelled {
                feed.yield(.watchdog)
                try? await Task.sleep(for: interval)
            }
        }
    }
}
