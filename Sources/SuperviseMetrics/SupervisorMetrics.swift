import CoreMetrics
import Prometheus
import SuperviseBuildInfo
import SuperviseCore
import Synchronization

/// The daemon's Prometheus metrics (docs/metrics.md), through swift-metrics over a
/// swift-prometheus registry (``PrometheusExport``).
///
/// Counters and histograms move as things happen (``record(_:)``, ``observeProbe(unit:role:latency:failure:)``,
/// …); gauges are set from a ``MetricsSnapshot`` just before each scrape is rendered
/// (``render(_:)``). Per-unit series exist from a unit's first appearance and are removed when
/// it leaves the configuration, so the series stay bounded by the configuration.
public final class SupervisorMetrics: Sendable {
    public let export: PrometheusExport
    private let state = Mutex(SeriesCache())
    private let processStats: ProcessStats

    /// - Parameters:
    ///   - version: The build's version, for `supervise_build_info`.
    ///   - commit: The git commit it was built from, for the same series (``BuildInfo/commit`` unless a test says otherwise).
    public init(version: String, commit: String = BuildInfo.commit) {
        export = PrometheusExport()
        processStats = ProcessStats()
        Meter(label: "supervise_build_info", dimensions: [("version", version), ("commit", commit)], factory: export).set(1)
    }

    // MARK: - As things happen

    /// A restart, give-up or drain end the core counted.
    public func record(_ measurement: Measurement) {
        switch measurement {
        case .restarted(let unit, let cause):
            counter("supervise_unit_restarts_total", unit: unit, [("reason", cause.rawValue)]).increment()
        case .startLimitHit(let unit):
            counter("supervise_unit_start_limit_hits_total", unit: unit, []).increment()
        case .drainEnded(let unit, let end, let duration, let callsCut):
            counter("supervise_drains_total", unit: unit, [("outcome", end.rawValue)]).increment()
            // Created on every drain end, so the series is 0 until a cut drops calls.
            let cut = counter("supervise_drain_calls_cut_total", unit: unit, [])
            if let callsCut, callsCut > 0 { cut.increment(by: callsCut) }
            timer("supervise_drain_duration_seconds", unit: unit, []).recordNanoseconds(nanoseconds(duration))
        }
    }

    /// One probe result: its duration, and a failure by reason (``ProbeFailureReason``'s names).
    public func observeProbe(unit: String, role: String, latency: Duration, failure: String?) {
        timer("supervise_probe_duration_seconds", unit: unit, [("role", role)]).recordNanoseconds(nanoseconds(latency))
        if let failure {
            counter("supervise_probe_failures_total", unit: unit, [("role", role), ("reason", failure)]).increment()
        }
    }

    /// Docker events received (a resync's list counts as one).
    public func dockerEvents(_ count: Int) {
        global { $0.counter("supervise_docker_events_total", [], export) }.increment(by: count)
    }

    /// A configuration reload was applied (`true`) or refused.
    public func reload(succeeded: Bool) {
        global { $0.counter("supervise_reloads_total", [("result", succeeded ? "success" : "failure")], export) }.increment()
    }

    /// How late the loop handled an input that was due at a known time.
    public func loopLag(_ lag: Duration) {
        global { $0.timer("supervise_loop_lag_seconds", [], export) }.recordNanoseconds(nanoseconds(max(.zero, lag)))
    }

    /// An event was recorded for `GET /v1/events`.
    public func eventRecorded(level: String) {
        global { $0.counter("supervise_events_total", [("level", level)], export) }.increment()
    }

    /// An event stream reader was dropped for reading too slowly.
    public func eventReaderDropped() {
        global { $0.counter("supervise_event_readers_dropped_total", [], export) }.increment()
    }

    // MARK: - At a scrape

    /// Sets the gauges from `snapshot` and renders every metric in the text exposition format.
    public func render(_ snapshot: MetricsSnapshot) -> [UInt8] {
        refresh(snapshot)
        return export.registry.emitToBuffer()
    }

    /// Sets the gauges (and the counters read from elsewhere) from `snapshot`.
    public func refresh(_ snapshot: MetricsSnapshot) {
        let export = self.export
        let process = processStats.read()
        state.withLock { cache in
            let configured = Set(snapshot.units.map(\.name))
            for unit in cache.units.subtracting(configured) { cache.forget(unit: unit) }
            // A unit's counters exist at 0 from its first scrape, so `increase()` sees the first
            // crash, give-up or cut call (a series born at 1 shows no increase). Only the crash
            // reason: eight reasons for each of a thousand units would be most of a scrape.
            for unit in configured.subtracting(cache.units) {
                _ = cache.counter("supervise_unit_restarts_total", [("unit", unit), ("reason", RestartCause.crash.rawValue)], export, unit: unit)
                _ = cache.counter("supervise_unit_start_limit_hits_total", [("unit", unit)], export, unit: unit)
                if snapshot.drainUnits.contains(unit) {
                    for end in DrainEnd.allCases {
                        _ = cache.counter("supervise_drains_total", [("unit", unit), ("outcome", end.rawValue)], export, unit: unit)
                    }
                    _ = cache.counter("supervise_drain_calls_cut_total", [("unit", unit)], export, unit: unit)
                }
            }
            cache.units = configured
            cache.beginRefresh()

            var serviceCalls: [String: Int] = [:]
            var serviceReady: [String: Int] = [:]
            for u in snapshot.units {
                let service = UnitSpec.service(of: u.name)
                cache.gauge("supervise_unit_info", unit: u.name, [("service", service), ("kind", u.kind)], export).set(1)
                // The current state only (as an info metric): ten series a unit, nine of them 0,
                // would be half of a scrape; a change of state replaces the series.
                cache.gauge("supervise_unit_state", unit: u.name, [("state", u.state)], export).set(1)
                let hasReadiness = u.probes.contains { $0.role == ProbeRole.readiness.rawValue }
                let up = u.state == UnitPhase.running.rawValue && (!hasReadiness || u.ready == true)
                cache.gauge("supervise_unit_up", unit: u.name, [], export).set(up ? 1 : 0)
                if up { serviceReady[service, default: 0] += 1 } else { serviceReady[service] = serviceReady[service] ?? 0 }
                for probe in u.probes where probe.role != ProbeRole.drain.rawValue {
                    cache.gauge("supervise_probe_healthy", unit: u.name, [("role", probe.role)], export)
                        .set(probe.health == ProbeHealth.healthy.rawValue ? 1 : 0)
                }
                if let calls = u.liveCalls {
                    cache.gauge("supervise_unit_live_calls", unit: u.name, [("service", service)], export).set(Double(calls))
                    serviceCalls[service, default: 0] += calls
                }
                if let resources = u.resources {
                    cache.gauge("supervise_unit_processes", unit: u.name, [], export).set(Double(resources.processes))
                    if let cpu = resources.cpuSeconds {
                        cache.monotonic("supervise_unit_cpu_seconds_total", unit: u.name, [], to: cpu, export)
                    }
                    if let memory = resources.memoryBytes {
                        cache.gauge("supervise_unit_memory_bytes", unit: u.name, [], export).set(Double(memory))
                    }
                }
            }
            for (service, ready) in serviceReady {
                cache.gauge("supervise_service_ready_replicas", unit: nil, [("service", service)], export).set(Double(ready))
            }
            for (service, calls) in serviceCalls {
                cache.gauge("supervise_service_live_calls", unit: nil, [("service", service)], export).set(Double(calls))
            }
            for queue in snapshot.queues {
                cache.gauge("supervise_queue_up", unit: nil, [("queue", queue.name)], export).set(queue.length == nil ? 0 : 1)
                if let length = queue.length {
                    cache.gauge("supervise_queue_length", unit: nil, [("queue", queue.name), ("service", queue.service ?? "")], export)
                        .set(Double(length))
                }
            }
            if let connected = snapshot.dockerConnected {
                cache.gauge("supervise_docker_connected", unit: nil, [], export).set(connected ? 1 : 0)
            }
            if let webhooks = snapshot.webhooks {
                for (result, value) in [("sent", webhooks.sent), ("failed", webhooks.failed), ("dropped", webhooks.dropped)] {
                    cache.monotonic("supervise_webhook_deliveries_total", unit: nil, [("result", result)], to: Double(value), export)
                }
            }
            if let process {
                cache.monotonic("process_cpu_seconds_total", unit: nil, [], to: process.cpuSeconds, export)
                cache.gauge("process_resident_memory_bytes", unit: nil, [], export).set(Double(process.residentBytes))
                cache.gauge("process_virtual_memory_bytes", unit: nil, [], export).set(Double(process.virtualBytes))
                cache.gauge("process_open_fds", unit: nil, [], export).set(Double(process.openFDs))
                if let max = process.maxFDs { cache.gauge("process_max_fds", unit: nil, [], export).set(Double(max)) }
                cache.gauge("process_start_time_seconds", unit: nil, [], export).set(process.startTime)
            }
            // A gauge not set this time (a worker whose calls are unknown, a queue that cannot be
            // read, a service with no units left) is gone rather than stale.
            cache.dropUnseenGauges()
        }
    }

    // MARK: - Series

    private func counter(_ name: String, unit: String, _ labels: [(String, String)]) -> CoreMetrics.Counter {
        let export = self.export
        return state.withLock { $0.counter(name, [("unit", unit)] + labels, export, unit: unit) }
    }

    private func timer(_ name: String, unit: String, _ labels: [(String, String)]) -> CoreMetrics.Timer {
        let export = self.export
        return state.withLock { $0.timer(name, [("unit", unit)] + labels, export, unit: unit) }
    }

    private func global<T>(_ body: (inout SeriesCache) -> T) -> T {
        state.withLock { body(&$0) }
    }
}

private func nanoseconds(_ d: Duration) -> Int64 {
    d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
}

/// One series: its family and its label values, the unit's apart (to drop a unit's series).
private struct SeriesKey: Hashable {
    var name: String
    var unit: String
    var labels: [String]

    init(_ name: String, unit: String?, _ labels: [(String, String)]) {
        self.name = name
        self.unit = unit ?? ""
        self.labels = labels.map(\.1)
    }
}

/// The swift-metrics objects made so far, by series, and which belong to which unit.
private struct SeriesCache: @unchecked Sendable {
    // @unchecked: swift-metrics' objects are thread-safe; the cache itself lives in a Mutex.
    var counters: [SeriesKey: CoreMetrics.Counter] = [:]
    var floatCounters: [SeriesKey: (counter: CoreMetrics.FloatingPointCounter, value: Double)] = [:]
    var timers: [SeriesKey: CoreMetrics.Timer] = [:]
    /// Each gauge with the refresh that last set it.
    var gauges: [SeriesKey: (meter: Meter, refresh: UInt64)] = [:]
    /// The refresh in progress.
    var refresh: UInt64 = 0
    /// Series keys of each unit, for removing them with the unit.
    var byUnit: [String: Set<SeriesKey>] = [:]
    var units: Set<String> = []

    mutating func counter(_ name: String, _ labels: [(String, String)], _ export: PrometheusExport, unit: String? = nil) -> CoreMetrics.Counter {
        let key = SeriesKey(name, unit: unit, labels)
        if let existing = counters[key] { return existing }
        let made = CoreMetrics.Counter(label: name, dimensions: labels, factory: export)
        counters[key] = made
        if let unit { byUnit[unit, default: []].insert(key) }
        return made
    }

    mutating func timer(_ name: String, _ labels: [(String, String)], _ export: PrometheusExport, unit: String? = nil) -> CoreMetrics.Timer {
        let key = SeriesKey(name, unit: unit, labels)
        if let existing = timers[key] { return existing }
        let made = CoreMetrics.Timer(label: name, dimensions: labels, factory: export)
        timers[key] = made
        if let unit { byUnit[unit, default: []].insert(key) }
        return made
    }

    /// The gauge of a series, marked as set by this refresh (one hash when it exists).
    mutating func gauge(_ name: String, unit: String?, _ labels: [(String, String)], _ export: PrometheusExport) -> Meter {
        let key = SeriesKey(name, unit: unit, labels)
        if let i = gauges.index(forKey: key) {
            gauges.values[i].refresh = refresh
            return gauges.values[i].meter
        }
        let made = Meter(label: name, dimensions: (unit.map { [("unit", $0)] } ?? []) + labels, factory: export)
        gauges[key] = (made, refresh)
        if let unit { byUnit[unit, default: []].insert(key) }
        return made
    }

    /// A counter that follows a total read elsewhere (CPU seconds, a webhook count): it moves by
    /// the difference, and starts again from the new total when the total went down (the source
    /// was reset), which Prometheus' `rate()` reads as a counter reset.
    mutating func monotonic(_ name: String, unit: String?, _ labels: [(String, String)], to total: Double, _ export: PrometheusExport) {
        let key = SeriesKey(name, unit: unit, labels)
        if let (counter, value) = floatCounters[key], total >= value {
            if total > value { counter.increment(by: total - value) }
            floatCounters[key] = (counter, total)
            return
        }
        floatCounters[key]?.counter.destroy()
        let made = CoreMetrics.FloatingPointCounter(label: name, dimensions: (unit.map { [("unit", $0)] } ?? []) + labels, factory: export)
        if total > 0 { made.increment(by: total) }
        floatCounters[key] = (made, total)
        if let unit { byUnit[unit, default: []].insert(key) }
    }

    /// Starts a refresh: gauges not set by its end are dropped (``dropUnseenGauges()``).
    mutating func beginRefresh() { refresh &+= 1 }

    mutating func dropUnseenGauges() {
        for (key, gauge) in gauges where gauge.refresh != refresh {
            gauge.meter.destroy()
            gauges[key] = nil
        }
    }

    /// Removes every series of `unit`.
    mutating func forget(unit: String) {
        for key in byUnit.removeValue(forKey: unit) ?? [] {
            counters.removeValue(forKey: key)?.destroy()
            timers.removeValue(forKey: key)?.destroy()
            gauges.removeValue(forKey: key)?.meter.destroy()
            floatCounters.removeValue(forKey: key)?.counter.destroy()
        }
    }
}
