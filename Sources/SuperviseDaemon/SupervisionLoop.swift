import Foundation
import Logging
import SuperviseControl
import SuperviseCore
import SuperviseMetrics
import SuperviseNotify
import SuperviseProbes
import SuperviseQueues

/// The one owner of the core: applies inputs in order and carries out the resulting effects
/// through the adapters (``SupervisionAdapters``). ``SupervisionService`` runs it.
package struct SupervisionLoop {
    package private(set) var core: Supervisor
    let launcher: any ProcessLauncher
    let store: any StateWriting
    let notifier: any ReadinessNotifying
    let clock: any SupervisionClock
    private let makeProbeRunner: @Sendable () -> any ProbeRunning
    private let makeContainerDriver: @Sendable (DockerSettings) -> any ContainerDriving
    /// Made on the first probe (see ``SupervisionAdapters/makeProbeRunner``).
    private(set) var probes: (any ProbeRunning)?
    let logger: Logger
    let feed: AsyncStream<DaemonInput>.Continuation
    let bootID = StateStore.bootID()

    /// The Docker adapter, made when the configuration first has container selectors.
    private(set) var docker: (any ContainerDriving)?
    /// Every unit has stopped after a shutdown: the loop takes no more inputs.
    package private(set) var finished = false
    private var shuttingDown = false
    private var persistScheduled = false
    /// Changes wait this long so a burst of them costs one snapshot, one encode and one fsync.
    static let persistDelay = Duration.milliseconds(200)
    private var lastStatus = ""
    private var timer: (deadline: Instant, task: Task<Void, Never>)?
    /// Each unit's output rate limit, kept across restarts of its process.
    private let outputLimiters: OutputLimiters
    let metrics: SupervisorMetrics
    let events: EventHub
    /// Reads the configured queues' lengths; nil without `queues:`.
    private var queueMonitor: QueueMonitor?
    /// Reads the autoscaled services' triggers; nil without `autoscale:`.
    private var autoscaleReader: AutoscaleReader?

    package init(core: Supervisor, adapters: SupervisionAdapters, logger: Logger, feed: AsyncStream<DaemonInput>.Continuation) {
        self.core = core
        launcher = adapters.launcher
        store = adapters.store
        notifier = adapters.notifier
        clock = adapters.clock
        makeProbeRunner = adapters.makeProbeRunner
        makeContainerDriver = adapters.makeContainerDriver
        self.logger = logger
        self.feed = feed
        outputLimiters = OutputLimiters(logger: logger, clock: adapters.clock)
        metrics = adapters.metrics
        events = adapters.events
    }

    /// Starts the units (adopting what `state` says still runs), reports readiness and arms the timer.
    mutating func boot(_ state: BootState) {
        let now = clock.now()
        perform(core.boot(now: now, persisted: state.persisted, alive: state.adopted,
                          startedAt: state.uptimes.mapValues { now - $0 }, leftovers: state.leftovers))
        watchDockerIfConfigured()
        watchQueues()
        watchAutoscale()
        notifier.ready(status: core.summary.description)
        afterInput()
        logger.info("ready: \(core.summary)", metadata: ["event": "ready"])
    }

    mutating func handle(_ input: DaemonInput) {
        let now = clock.now()
        switch input {
        case .probeResults(let results):
            var acted = false
            for result in results {
                if case .probeResult(let unit, let role, _, let r) = result {
                    metrics.observeProbe(unit: unit, role: role.rawValue, latency: r.latency,
                                         failure: r.healthy ? nil : ProbeFailureReason(failure: r.failure ?? "").rawValue)
                }
                let effects = core.handle(drainReading(result) ?? result, now: now)
                acted = acted || !effects.isEmpty
                perform(effects)
            }
            // Most results only move counters: no phase, deadline or summary changes without an effect.
            if !acted { return }
        case .event(let event):
            switch event {
            case .container, .containerSeen, .containerResync: metrics.dockerEvents(1)
            default: break
            }
            perform(core.handle(event, now: now))
        case .control(let request, let reply) where request.method == "GET" && request.path == "/v1/events":
            reply.resume(returning: eventStream(request.query))
        case .control(let request, let reply) where request.method == "GET" && request.path == "/metrics":
            // The loop takes the snapshot; reading the cgroups and rendering happen off it.
            var snapshot = metricsSnapshot(now: now)
            let (metrics, launcher) = (self.metrics, self.launcher)
            let processUnits = core.units.filter { !$0.isContainer }.map { ($0.name, $0.pid) }
            Task.detached {
                // /proc and cgroup files: read on a queue of their own, not the cooperative pool.
                let used = await offloaded("supervise.metrics-accounting") { launcher.resources(of: processUnits) }
                for i in snapshot.units.indices { snapshot.units[i].resources = used[snapshot.units[i].name] }
                reply.resume(returning: ControlResponse(status: 200, body: metrics.render(snapshot), contentType: MetricsText.contentType))
            }
        case .control(let request, let reply) where request.method == "GET" && request.path == "/v1/probes":
            // `?reset=1` starts a new measurement window (for benchmarks and incident timelines): it
            // changes state, so it takes the same rights as any other change.
            let reset = request.query["reset"] == "1"
            if reset && !request.mayChangeState {
                reply.resume(returning: ControlRoutes.error(403, request.refusal ?? "permission denied"))
            } else {
                let s = probes?.scheduleStats(reset: reset) ?? ProbeScheduleStats()
                reply.resume(returning: ControlRoutes.json(200, ProbeStatsResponse(
                    runs: s.runs, skipped: s.skipped, lateP50Ms: s.lateP50Ms, lateP99Ms: s.lateP99Ms, lateMaxMs: s.lateMaxMs)))
            }
        case .control(let request, let reply):
            let launcher = self.launcher
            let routed = ControlRoutes.handle(request, core: &core, now: now,
                                              containment: launcher.containmentStatus, queues: queueMonitor?.statuses(now: now))
            perform(routed.effects)
            switch routed.answer {
            case .accounting(let accounting):
                Task.detached {
                    // /proc and cgroup files, and the encoding: on a queue of their own, not the loop or the pool.
                    reply.resume(returning: await offloaded("supervise.status-accounting") {
                        accounting.answer(launcher.resources(of: accounting.units))
                    })
                }
            case .ready(let response):
                if let message = routed.accepted {
                    // "Accepted" promises the change outlives the daemon: answer once the state file
                    // has it (written off the loop), or say that it could not be written.
                    store.save(core.persistedState(bootID: bootID, now: now)) { failure in
                        reply.resume(returning: ControlRoutes.accepted(message, unsaved: failure))
                    }
                } else {
                    reply.resume(returning: response)
                }
            }
        case .terminate(let signal):
            let cause = signal.map { "\(Signals.name($0)) received" } ?? "graceful shutdown requested"
            var metadata: Logger.Metadata = ["event": "shutdown"]
            if let signal { metadata["signal"] = "\(Signals.name(signal))" }
            if shuttingDown {
                logger.notice("\(cause) again: already stopping all units", metadata: metadata)
            } else {
                shuttingDown = true
                logger.notice("\(cause): stopping all units", metadata: metadata)
                notifier.stopping()
                perform(core.handle(.shutdown, now: now))
            }
        case .reload(let result):
            notifier.reloading()
            switch result {
            case .success(let config):
                if config.control != core.config.control {
                    logger.warning("control socket settings changed; they take effect when the daemon restarts", metadata: ["event": "reload"])
                }
                perform(core.handle(.reload(config), now: now))
                metrics.reload(succeeded: true)
                watchDockerIfConfigured()
                watchQueues()
                watchAutoscale()
                watchWebhooks()
            case .failure(let failure):
                metrics.reload(succeeded: false)
                logger.error("reload refused, the running configuration stays:\n\(failure.message)", metadata: ["event": "reload-failed"])
            }
            notifier.ready(status: core.summary.description)
            lastStatus = core.summary.description
        case .timer:
            if let due = timer?.deadline { metrics.loopLag(now - due) }
            timer = nil
            perform(core.handle(.tick, now: now))
        case .watchdog:
            notifier.watchdog()
        case .persist:
            persistScheduled = false
            store.save(core.persistedState(bootID: bootID, now: now))
        }
        afterInput()
    }

    /// Carries out effects from the core: first those that start or signal processes, in their
    /// order, then the rest in theirs. A restart is on the clock (a unit is down until its new
    /// process runs), its log lines and state file are not.
    mutating func perform(_ effects: [Effect]) {
        if !effects.isEmpty { HeapTrim.noteActivity() }
        for effect in effects where effect.touchesProcesses { perform(effect) }
        for effect in effects where !effect.touchesProcesses { perform(effect) }
    }

    private mutating func perform(_ effect: Effect) {
        switch effect {
        case .spawn(let spec):
            spawn(spec)
        case .signal(let unit, let pid, let signal):
            if !launcher.signalUnit(unit, pid: pid, signal: signal) {
                logger.debug("\(Signals.name(signal)) to \(unit) (main process \(pid)): no process left",
                             metadata: ["unit": "\(unit)", "event": "signal", "signal": "\(Signals.name(signal))"])
            } else if signal != Signals.kill && signal != SIGCONT {
                // Every signal the core sends stops or drains the unit. A process that is stopped
                // (SIGSTOP, SIGTSTP, a debugger) keeps it pending until it runs again, and would sit
                // out the whole stop_timeout or drain until SIGKILL: SIGCONT lets it act now, as
                // systemd does after a stop signal.
                launcher.signalUnit(unit, pid: pid, signal: SIGCONT)
            }
        case .watchUnit(let unit, let pid):
            let feed = self.feed
            launcher.watchUnit(unit, pid: pid) { count in feed.yield(.event(.remaining(unit: unit, pid: pid, count: count))) }
        case .log(let record):
            logger.record(record)
        case .measure(let measurement):
            metrics.record(measurement)
        case .persist:
            schedulePersist()
        case .shutdownComplete:
            finished = true
        case .startProbe(let unit, let role, let generation, let spec):
            let unitSpec = core.unit(unit)?.spec
            let probes = self.probes ?? makeProbeRunner()
            self.probes = probes
            probes.add(ProbeKey(unit: unit, role: role, generation: generation), spec: spec,
                       environment: unitSpec?.environment ?? [:], workingDirectory: unitSpec?.workingDirectory)
        case .stopProbe(let unit, let role, let generation):
            probes?.remove(ProbeKey(unit: unit, role: role, generation: generation))
        case .container(let unit, let id, let action):
            performContainerAction(unit: unit, id: id, action)
        case .drainRequest(let unit, let url, let netns):
            let feed = self.feed
            DrainRequest.post(url, networkNamespacePid: netns) { failure in
                guard let failure else { return }
                feed.yield(.event(.drainProgress(unit: unit, generation: 0, activeCalls: nil, error: failure)))
            }
        case .createReplica(let creation):
            createReplica(creation)
        case .watchProcess(let unit, let pid):
            let feed = self.feed
            launcher.watchAdopted(unit, pid: pid) { remaining in
                feed.yield(.event(.exited(unit: unit, pid: pid, status: .unknown, remaining: remaining)))
            }
        }
    }

    /// Starts reading the configured queues, or reads them anew when `queues:` changed on a reload.
    /// A password that cannot be read leaves the queues as they were: the start-up and the reload
    /// check it before the configuration gets here, so only a file changed in between does that.
    private mutating func watchQueues() {
        let specs = core.config.queues
        guard specs != queueMonitor?.specs ?? [] else { return }
        if let old = queueMonitor {
            queueMonitor = nil
            // Stopping waits for a reading under way: off the loop.
            Task.detached { await offloaded("supervise.queue-stop") { old.stop() } }
        }
        guard !specs.isEmpty else { return }
        do {
            let passwords = try QueuePassword.resolve(for: specs)
            queueMonitor = QueueMonitor(specs: specs, passwords: passwords, logger: logger)
        } catch {
            logger.error("queues not read: \(error)", metadata: ["event": "queue-config"])
        }
    }

    /// Reads the autoscaled services' triggers, anew when their `autoscale:` changed on a reload.
    /// A password that cannot be read leaves the reader as it was (see ``watchQueues()``).
    private mutating func watchAutoscale() {
        let services = core.config.replicatedServices
        let wanted = Dictionary(services.compactMap { s in s.settings.autoscale.map { (s.name, $0) } }, uniquingKeysWith: { a, _ in a })
        guard wanted != autoscaleReader?.services ?? [:] else { return }
        let passwords: [String: String]
        do { passwords = try AutoscaleReader.passwords(for: services) } catch {
            logger.error("autoscale queues not read: \(error)", metadata: ["event": "queue-config"])
            return
        }
        if let old = autoscaleReader {
            autoscaleReader = nil
            Task.detached { await offloaded("supervise.autoscale-stop") { old.stop() } }
        }
        guard !wanted.isEmpty else { return }
        autoscaleReader = AutoscaleReader(services: services, passwords: passwords, feed: feed)
    }

    /// Webhooks anew when `notify:` changed on a reload; the old notifier's pending deliveries
    /// are dropped (counted), and which units had given up is forgotten.
    private func watchWebhooks() {
        let spec = core.config.notify
        guard spec != events.notifier?.spec ?? .none else { return }
        var next: WebhookNotifier?
        if !spec.webhooks.isEmpty {
            let logger = self.logger
            next = WebhookNotifier(spec: spec) { logger.warning("\($0)", metadata: ["event": "webhook-failed"]) }
            next?.start()
        }
        if let old = events.setNotifier(next) {
            let events = self.events
            Task.detached {
                await offloaded("supervise.webhooks-stop") { old.stop() }
                events.retire(old)
            }
        }
    }

    /// `GET /v1/events`: new events as NDJSON, after those kept that `since` (a duration ago, or an
    /// RFC 3339 time) or `after` (a sequence number) select; `unit` keeps one unit's.
    private func eventStream(_ query: [String: String]) -> ControlResponse {
        if let unit = query["unit"], core.unit(unit) == nil { return ControlRoutes.unknown(unit, core) }
        var replay: (SupervisionEvent) -> Bool = { _ in false }
        if query["after"] != nil && query["since"] != nil {
            return ControlRoutes.error(400, "since and after both say where to start: give one")
        }
        if let text = query["after"] {
            guard let after = UInt64(text) else {
                return ControlRoutes.error(400, "after=\(text): expected the sequence number of the last event read, such as after=42")
            }
            replay = { $0.seq > after }
        } else if let text = query["since"] {
            guard let cutoff = EventCutoff.parse(text) else {
                return ControlRoutes.error(400, "since=\(text): expected a duration such as 10m or 2h, or a UTC time such as 2026-11-29T18:00:00Z")
            }
            replay = { $0.time >= cutoff }
        }
        let stream = events.subscribe(replay: replay, unit: query["unit"])
        return ControlResponse(status: 200, body: [], contentType: "application/x-ndjson", stream: stream)
    }

    /// What the gauges of a scrape are set from, except the units' resources (read off the loop).
    private func metricsSnapshot(now: Instant) -> MetricsSnapshot {
        MetricsSnapshot(units: core.status(now: now),
                        drainUnits: Set(core.units.filter { $0.spec.drain != nil }.map(\.name)),
                        queues: queueMonitor?.depths() ?? [],
                        dockerConnected: core.config.containers.isEmpty ? nil : core.dockerConnected,
                        webhooks: events.webhookCounters.map { n in
                            WebhookTotals(sent: Int(n.sent), failed: Int(n.failed), dropped: Int(n.dropped))
                        })
    }

    /// A drain-progress probe result becomes a `.drainProgress` reading: the active-call count is
    /// the configured top-level JSON field of the body, 0 when a JSON object leaves it out (see
    /// ``DrainProgressReading``); unknown when the request failed or the body is no such object.
    private func drainReading(_ event: Event) -> Event? {
        guard case .probeResult(let unit, .drain, let generation, let result) = event else { return nil }
        guard result.healthy, let body = result.body else {
            return .drainProgress(unit: unit, generation: generation, activeCalls: nil, error: result.failure ?? "no body")
        }
        let field = core.unit(unit)?.spec.drain?.progress?.field ?? "active_jobs"
        switch DrainProgressReading.activeCalls(in: body, field: field) {
        case .success(let count):
            return .drainProgress(unit: unit, generation: generation, activeCalls: count, error: nil)
        case .failure(let failure):
            return .drainProgress(unit: unit, generation: generation, activeCalls: nil, error: failure.description)
        }
    }

    private func performContainerAction(unit: String, id: String, _ action: ContainerAction) {
        guard let docker else {
            // Container units exist only once the Docker watcher has reported containers.
            feed.yield(.event(.containerActionFailed(unit: unit, id: id, reason: "Docker is not configured")))
            return
        }
        docker.perform(unit: unit, id: id, action)
    }

    /// Asks Docker for a Compose replica; the result comes back as `.replicaCreated` or `.replicaCreateFailed`.
    private func createReplica(_ creation: ReplicaCreation) {
        guard let docker else {
            feed.yield(.event(.replicaCreateFailed(unit: creation.unit, reason: "Docker is not configured")))
            return
        }
        docker.createReplica(creation)
    }

    /// Starts watching Docker once the configuration has container selectors.
    mutating func watchDockerIfConfigured() {
        guard docker == nil, !core.config.containers.isEmpty else { return }
        let watcher = makeContainerDriver(core.config.docker)
        logger.info("watching Docker at \(watcher.endpoint)\(core.config.docker.project.map { " (Compose project \($0))" } ?? "")",
                    metadata: ["event": "docker-watch"])
        watcher.start()
        docker = watcher
    }

    private func spawn(_ spec: UnitSpec) {
        let name = spec.name
        let feed = self.feed
        let launcher = self.launcher
        let output = outputLimiters.limiter(for: spec)
        launcher.spawn(
            spec,
            onLine: { pid, stream, line in output.line(line, pid: pid, stream: stream) },
            onExit: { end in
                output.processEnded()
                feed.yield(.event(.exited(unit: name, pid: end.pid, status: end.status, remaining: end.remaining,
                                          oomKilled: end.oomKilled)))
            },
            completion: { result in
                switch result {
                case .success(let pid):
                    feed.yield(.event(.spawned(unit: name, pid: pid, startTicks: launcher.startTicks(of: pid))))
                case .failure(let error): feed.yield(.event(.spawnFailed(unit: name, reason: error.description)))
                }
            })
    }

    private mutating func schedulePersist() {
        guard !persistScheduled else { return }
        persistScheduled = true
        let (feed, clock) = (self.feed, self.clock)
        let due = clock.now() + Self.persistDelay
        Task {
            try? await clock.sleep(until: due)
            feed.yield(.persist)
        }
    }

    /// Refreshes systemd's STATUS= line and re-arms the timer for the core's next deadline.
    mutating func afterInput() {
        let status = core.summary.description
        if status != lastStatus {
            lastStatus = status
            notifier.status(status)
        }
        let deadline = core.nextDeadline
        if deadline != timer?.deadline {
            timer?.task.cancel()
            timer = nil
            if let deadline {
                let (feed, clock) = (self.feed, self.clock)
                timer = (deadline, Task {
                    // Cancelled when the deadline moves: the sleep throws and no tick is sent.
                    guard (try? await clock.sleep(until: deadline)) != nil, !Task.isCancelled else { return }
                    feed.yield(.timer)
                })
            }
        }
    }

    /// After the last unit stopped: stops the adapters, answers whatever is still queued (so no
    /// request waits forever) and writes the final state.
    mutating func finish(draining inputs: AsyncStream<DaemonInput>) async {
        timer?.task.cancel()
        timer = nil
        if let probes { await offloaded("supervise.probe-shutdown") { probes.shutdown() } }
        if let queues = queueMonitor { await offloaded("supervise.queue-stop") { queues.stop() } }
        docker?.stop()
        feed.finish()
        for await input in inputs {
            if case .control(_, let reply) = input { reply.resume(returning: ControlRoutes.shuttingDown) }
        }
        store.save(core.persistedState(bootID: bootID, now: clock.now()))
        await store.flush()
    }
}

private extension Effect {
    /// Starts or signals a process: carried out before the effects that only record.
    var touchesProcesses: Bool {
        switch self {
        case .spawn, .signal: true
        default: false
        }
    }
}
