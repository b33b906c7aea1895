/// Every metric supervise exports: its name, type and help text, in one place (docs/metrics.md
/// says the same for operators). ``PrometheusExport`` takes HELP lines and histogram buckets
/// from here, so a family is always registered the same way whoever makes it first.
public enum MetricCatalogue {
    public enum Kind: Sendable { case counter, gauge, histogram(buckets: [Double]) }

    public struct Family: Sendable {
        public let name: String
        public let kind: Kind
        public let help: String
    }

    /// Probe durations: a loopback health check answers in well under a millisecond; a
    /// timeout is seconds.
    static let probeBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Drains: seconds for an idle worker, up to the ADR's hour-long calls.
    static let drainBuckets = [1.0, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200]
    /// How long an input waits for the supervision loop.
    static let lagBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

    public static let families: [Family] = [
        Family(name: "supervise_build_info", kind: .gauge, help: "The running build of supervise (always 1)."),
        Family(name: "supervise_unit_info", kind: .gauge, help: "One series per configured unit (always 1), joining unit to service and kind."),
        Family(name: "supervise_unit_state", kind: .gauge, help: "One series per unit, labelled with the state it is in (always 1)."),
        Family(name: "supervise_unit_up", kind: .gauge, help: "1 when the unit runs and, where it has a readiness probe, is ready."),
        Family(name: "supervise_unit_restarts_total", kind: .counter, help: "Restarts of the unit, by why it went down."),
        Family(name: "supervise_unit_start_limit_hits_total", kind: .counter, help: "Times the unit hit its start limit and gave up (state failed)."),
        Family(name: "supervise_probe_healthy", kind: .gauge, help: "The probe's current verdict: 1 healthy, 0 unhealthy or unknown."),
        Family(name: "supervise_probe_duration_seconds", kind: .histogram(buckets: probeBuckets), help: "How long each probe took."),
        Family(name: "supervise_probe_failures_total", kind: .counter, help: "Failed probes, by reason."),
        Family(name: "supervise_unit_live_calls", kind: .gauge, help: "Live calls on a worker, read from its drain progress URL."),
        Family(name: "supervise_service_live_calls", kind: .gauge, help: "Live calls over the service's workers whose count is known."),
        Family(name: "supervise_service_ready_replicas", kind: .gauge, help: "Units of the service that are up."),
        Family(name: "supervise_drains_total", kind: .counter, help: "Finished drains, by outcome."),
        Family(name: "supervise_drain_calls_cut_total", kind: .counter, help: "Live calls dropped when a drain was cut."),
        Family(name: "supervise_drain_duration_seconds", kind: .histogram(buckets: drainBuckets), help: "From a drain's start to the worker's exit."),
        Family(name: "supervise_queue_length", kind: .gauge, help: "Length of a configured Redis list at the last successful read."),
        Family(name: "supervise_queue_up", kind: .gauge, help: "1 when the last read of the queue worked."),
        Family(name: "supervise_unit_cpu_seconds_total", kind: .counter, help: "CPU time of every process of a process unit, from its cgroup."),
        Family(name: "supervise_unit_memory_bytes", kind: .gauge, help: "Memory charged to a process unit's cgroup."),
        Family(name: "supervise_unit_processes", kind: .gauge, help: "Processes of a process unit."),
        Family(name: "supervise_docker_connected", kind: .gauge, help: "1 while the Docker event stream is connected."),
        Family(name: "supervise_docker_events_total", kind: .counter, help: "Docker events received."),
        Family(name: "supervise_reloads_total", kind: .counter, help: "Configuration reloads, by result."),
        Family(name: "supervise_loop_lag_seconds", kind: .histogram(buckets: lagBuckets), help: "How long an input waited before the supervision loop took it."),
        Family(name: "supervise_events_total", kind: .counter, help: "Events recorded (GET /v1/events), by level."),
        Family(name: "supervise_event_readers_dropped_total", kind: .counter, help: "Event stream readers dropped for reading too slowly."),
        Family(name: "supervise_webhook_deliveries_total", kind: .counter, help: "Webhook notifications, by result."),
        Family(name: "process_cpu_seconds_total", kind: .counter, help: "Total user and system CPU time spent in seconds."),
        Family(name: "process_resident_memory_bytes", kind: .gauge, help: "Resident memory size in bytes."),
        Family(name: "process_virtual_memory_bytes", kind: .gauge, help: "Virtual memory size in bytes."),
        Family(name: "process_open_fds", kind: .gauge, help: "Number of open file descriptors."),
        Family(name: "process_max_fds", kind: .gauge, help: "Maximum number of open file descriptors."),
        Family(name: "process_start_time_seconds", kind: .gauge, help: "Start time of the process since unix epoch in seconds."),
    ]

    static let byName: [String: Family] = Dictionary(uniqueKeysWithValues: families.map { ($0.name, $0) })

    /// The family named `name`; every name the daemon uses is in the catalogue.
    static func family(_ name: String) -> Family {
        guard let family = byName[name] else { preconditionFailure("metric \(name) is not in MetricCatalogue") }
        return family
    }
}
