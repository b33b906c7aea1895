/// The keys allowed in each mapping of a configuration file.
struct Section: Sendable {
    /// The allowed keys, in the order the documentation lists them.
    let keys: [String]
    /// Keys that belong elsewhere, with the `expected` text that says where.
    let misplaced: [String: String]

    init(_ keys: [String], misplaced: [String: String] = [:]) {
        self.keys = keys
        self.misplaced = misplaced
    }

    /// `a, b, c or d`, for messages.
    var keyList: String { Section.list(keys) }

    /// `a mapping with the keys a, b and c`, for messages.
    var mappingPhrase: String { "a mapping with the keys \(Section.list(keys, conjunction: "and"))" }

    static func list(_ words: [String], conjunction: String = "or") -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " \(conjunction) " + words[words.count - 1]
    }
}

/// The shape of a configuration file.
enum Schema {
    static let top = Section(["control", "state_dir", "docker", "defaults", "units", "containers", "queues", "notify", "metrics"], misplaced: [
        "command": "a top-level key (unit settings such as command go under units.NAME)",
        "depends_on": "a top-level key (depends_on goes under units.NAME)",
        "liveness": "a top-level key (liveness goes under units.NAME, containers.NAME or defaults)",
        "readiness": "a top-level key (readiness goes under units.NAME, containers.NAME or defaults)",
        "compose": "a top-level key (compose goes under containers.NAME: containers: {NAME: {compose: SERVICE}})",
        "container": "a top-level key (container goes under containers.NAME: containers: {NAME: {container: NAME}})",
        "label": "a top-level key (label goes under containers.NAME: containers: {NAME: {label: KEY=VALUE}})",
        "services": "a top-level key (Compose services are selected under containers.NAME: "
            + "containers: {NAME: {compose: SERVICE}})",
        "socket": "a top-level key (socket goes under control or docker)",
        "project": "a top-level key (project goes under docker: docker: {project: NAME})",
        "network": "a top-level key (network goes in a probe of a container entry: "
            + "containers.NAME.liveness.network)",
        "drain": "a top-level key (drain goes under units.NAME, containers.NAME or defaults)",
        "max_unavailable": "a top-level key (max_unavailable goes under units.NAME, containers.NAME or defaults)",
        "output": "a top-level key (output goes under units.NAME or defaults)",
        "redis": "a top-level key (redis goes under queues.NAME: queues: {NAME: {redis: HOST:PORT}})",
        "webhooks": "a top-level key (webhooks goes under notify: notify: {webhooks: [{url: ...}]})",
    ].merging(containerReplicaKeys.map {
        ($0, "a top-level key (\($0) goes under units.NAME, or under a compose entry containers.NAME)")
    } + [("port", "a top-level key (port goes under units.NAME, beside replicas)")]) { _, own in own })
    static let control = Section(["socket", "group", "mode"])
    /// `metrics`: the Prometheus listener (see `MetricsDecoder`).
    static let metrics = Section(["listen"], misplaced: [
        "port": "a key of metrics (give the address and port in listen, such as listen: 127.0.0.1:9469)",
        "address": "a key of metrics (the address and port go in listen, such as listen: 127.0.0.1:9469)",
    ])
    static let docker = Section(["socket", "project"], misplaced: [
        "host": "a key of docker (give the path of the Docker socket in socket, such as /var/run/docker.sock)",
        "compose": "a key of docker (compose goes under containers.NAME)",
        "service": "a key of docker (a Compose service is selected under containers.NAME: {compose: SERVICE})",
    ])

    /// The keys that say which containers a `containers` entry selects; an entry has exactly one.
    static let containerSelectors = ["compose", "container", "label"]
    /// Unit keys that only processes have: a container's come from its image or Compose file.
    static let processOnlyKeys = ["command", "env", "working_dir", "user", "group", "nice", "depends_on", "output"]
    static let container = Section(
        containerSelectors + ["stop_signal", "stop_timeout", "restart", "liveness", "readiness", "drain",
                              "max_unavailable"] + containerReplicaKeys,
        misplaced: probeKeysMisplaced(in: "a key of a container entry").merging(processOnlyMisplaced()) { _, own in own }
            .merging(drainKeysMisplaced(in: "a key of a container entry")) { _, own in own }
            .merging(autoscaleKeysMisplaced(in: "a key of a container entry")) { _, own in own }
            .merging([
                "port": "a key of a container entry (port applies to replicated process units: a container's ports "
                    + "come from its image or Compose file)",
                "network": "a key of a container entry (network goes under liveness, readiness or drain: "
                    + "liveness: {network: ...})",
                "policy": "a key of a container entry (policy goes under restart: restart: {policy: ...})",
                "backoff": "a key of a container entry (backoff goes under restart)",
                "start_limit": "a key of a container entry (start_limit goes under restart)",
                "success_exit_codes": "a key of a container entry (success_exit_codes goes under restart)",
                "service": "a key of a container entry (service goes under compose: {compose: {service: ...}})",
                "project": "a key of a container entry (project goes under compose: "
                    + "{compose: {project: ..., service: ...}}, or under docker for every entry)",
                "name": "a key of a container entry (a container by name is container: NAME)",
                "image": "a key of a container entry (containers are selected by compose, container or label)",
            ]) { _, own in own })
    static let compose = Section(["project", "service"], misplaced: [
        "name": "a key of compose (the service's name is service: compose: {service: NAME})",
        "services": "a key of compose (one service per entry: compose: {service: NAME})",
    ])

    /// Where the process-only keys point when they are written in a container entry.
    static func processOnlyMisplaced() -> [String: String] {
        var result: [String: String] = [:]
        for key in processOnlyKeys {
            result[key] = "a key of a container entry (\(key) applies to process units only: "
                + "a container's command, environment, working directory and user come from its image or Compose file)"
        }
        result["depends_on"] = "a key of a container entry (depends_on applies to process units only; "
            + "order containers with Compose's depends_on)"
        result["output"] = "a key of a container entry (output applies to process units only: "
            + "a container's output is not captured by supervise; Docker's logging driver has it)"
        return result
    }
    static let defaults = Section(
        ["env", "working_dir", "user", "group", "nice", "stop_signal", "stop_timeout", "restart", "liveness", "readiness",
         "drain", "max_unavailable", "output"],
        misplaced: probeKeysMisplaced(in: "a key allowed in defaults")
            .merging(drainKeysMisplaced(in: "a key allowed in defaults")) { _, own in own }
            .merging(outputKeysMisplaced(in: "a key allowed in defaults")) { _, own in own }.merging([
            "network": "a key allowed in defaults (network goes under liveness, readiness or drain: "
                + "liveness: {network: ...})",
            "command": "a key allowed in defaults (command is set in each unit)",
            "depends_on": "a key allowed in defaults (depends_on is set in each unit)",
        ]) { _, own in own }.merging(containerReplicaKeys.map {
            ($0, "a key allowed in defaults (\($0) is set per service, in units.NAME or a compose entry)")
        } + [("port", "a key allowed in defaults (port is set per service, in units.NAME beside replicas)")]) {
            _, own in own
        })
    static let unit = Section(
        ["command", "env", "working_dir", "user", "group", "nice", "stop_signal", "stop_timeout", "restart", "depends_on",
         "liveness", "readiness", "drain", "max_unavailable", "output"] + replicaKeys,
        misplaced: probeKeysMisplaced(in: "a key of a unit")
            .merging(drainKeysMisplaced(in: "a key of a unit")) { _, own in own }
            .merging(autoscaleKeysMisplaced(in: "a key of a unit")) { _, own in own }
            .merging(outputKeysMisplaced(in: "a key of a unit")) { _, own in own }.merging([
            "network": "a key of a unit (network applies to probes of container entries only)",
            "policy": "a key of a unit (policy goes under restart: restart: {policy: ...})",
            "backoff": "a key of a unit (backoff goes under restart)",
            "start_limit": "a key of a unit (start_limit goes under restart)",
            "success_exit_codes": "a key of a unit (success_exit_codes goes under restart)",
            "condition": "a key of a unit (condition goes under depends_on: depends_on: {NAME: {condition: ...}})",
        ]) { _, own in own })
    /// An entry of `depends_on`'s long form (Compose's keys; see `DependencyDecoder` for which values are allowed).
    static let dependency = Section(["condition", "required", "restart"])
    static let restart = Section(["policy", "success_exit_codes", "backoff", "start_limit"])
    static let backoff = Section(["initial", "max", "multiplier", "jitter", "reset_after"])
    static let startLimit = Section(["burst", "interval"])

    /// The kinds of check a probe can make; a probe has exactly one.
    static let probeChecks = ["http", "tcp", "exec"]
    /// A probe's timing and thresholds, beside its check.
    static let probeTiming = ["interval", "timeout", "failure_threshold", "success_threshold", "start_period",
                              "initial_delay"]
    /// A probe of a process unit: no `network`.
    static let probe = Section(probeChecks + probeTiming, misplaced: probeMisplaced.merging([
        "network": "a key of a probe of a process unit (network applies to probes of container entries only)",
    ]) { _, own in own })
    /// A probe of a container entry, or in `defaults` (which container entries inherit): `network` too.
    static let containerProbe = Section(probeChecks + probeTiming + ["network"], misplaced: probeMisplaced)
    static let probeNetworks = ["host", "container"]
    static let probeMisplaced: [String: String] = [
        "url": "a key of a probe (url goes under http: {http: {url: ...}})",
        "status": "a key of a probe (status goes under http: {http: {url: ..., status: ...}})",
        "body_contains": "a key of a probe (body_contains goes under http: {http: {url: ..., body_contains: ...}})",
        "headers": "a key of a probe (headers goes under http: {http: {url: ..., headers: ...}})",
        "host": "a key of a probe (host goes under tcp: {tcp: {host: ..., port: ...}})",
        "port": "a key of a probe (port goes under tcp: {tcp: {port: ...}})",
        "command": "a key of a probe (command goes under exec: {exec: {command: [...]}} or {exec: [...]})",
        "periodSeconds": "a known key (Kubernetes' periodSeconds is interval here, a duration such as 10s)",
        "retries": "a known key (Compose's retries is failure_threshold here)",
        "test": "a known key (Compose's test is exec here: {exec: [sh, -c, ...]})",
    ]
    static let http = Section(["url", "status", "body_contains", "headers"], misplaced: checkTimingMisplaced("http")
        .merging(["path", "port", "host", "scheme"].map {
            ($0, "a key of http (give the whole address in url, such as http://127.0.0.1:8080/healthz)")
        }) { _, own in own })
    static let tcp = Section(["host", "port"], misplaced: checkTimingMisplaced("tcp"))
    static let exec = Section(["command"], misplaced: checkTimingMisplaced("exec"))

    /// Where the keys of a probe go when they are written directly in a unit or in `defaults`.
    static func probeKeysMisplaced(in owner: String) -> [String: String] {
        var result: [String: String] = [:]
        for key in probeChecks + probeTiming {
            result[key] = "\(owner) (\(key) goes under liveness or readiness: liveness: {\(key): ...})"
        }
        result["timeout"] = "\(owner) (timeout goes under liveness or readiness: liveness: {timeout: ...}; "
            + "the stop grace period is stop_timeout, the drain deadline drain: {timeout: ...})"
        result["healthcheck"] = "\(owner) (health checks are liveness and readiness)"
        return result
    }

    /// Where a probe's timing keys go when they are written inside its check.
    static func checkTimingMisplaced(_ check: String) -> [String: String] {
        var result: [String: String] = [:]
        for key in probeTiming {
            result[key] = "a key of \(check) (\(key) goes beside \(check), in the probe: {\(check): ..., \(key): ...})"
        }
        return result
    }

    /// A drain's keys: how it starts (`signal` or `http`, exactly one), its progress URL, deadline and network.
    static let drainStarts = ["signal", "http"]
    /// A drain of a process unit: no `network`.
    static let drain = Section(drainStarts + ["progress", "field", "timeout"], misplaced: drainMisplaced.merging([
        "network": "a key of a drain of a process unit (network applies to drains of container entries only)",
    ]) { _, own in own })
    /// A drain of a container entry, or in `defaults`: `network` too.
    static let containerDrain = Section(drainStarts + ["progress", "field", "timeout", "network"],
                                        misplaced: drainMisplaced)
    static let drainMisplaced: [String: String] = [
        "url": "a key of drain (the drain request is http: URL, the live-call count is read from progress: URL)",
        "interval": "a key of drain (interval goes under progress: {progress: {url: ..., interval: ...}})",
        "stop_signal": "a key of drain (the drain's signal is signal: SIGTERM)",
        "max_unavailable": "a key of drain (max_unavailable goes beside drain, in the unit)",
        "grace_period": "a known key (the drain's deadline is timeout, a duration such as 3600s)",
    ]
    static let drainProgress = Section(["url", "field", "interval"], misplaced: [
        "timeout": "a key of progress (the drain's deadline goes beside progress: {progress: ..., timeout: ...})",
        "path": "a key of progress (give the whole address in url, such as http://127.0.0.1:8081/worker)",
    ])

    /// Where a drain's keys go when they are written directly in a unit, container entry or `defaults`.
    static func drainKeysMisplaced(in owner: String) -> [String: String] {
        [
            "progress": "\(owner) (progress goes under drain: drain: {progress: URL})",
            "drain_timeout": "\(owner) (the drain's deadline goes under drain: drain: {timeout: ...})",
            "drain_signal": "\(owner) (the drain's signal goes under drain: drain: {signal: ...})",
        ]
    }

    /// A unit's `output`: its rate limit and longest line (see `OutputDecoder`).
    static let output = Section(["rate_limit_interval", "rate_limit_burst", "max_line"], misplaced: [
        "interval": "a key of output (the rate limit's window is rate_limit_interval)",
        "burst": "a key of output (the lines allowed per window are rate_limit_burst)",
        "line_max": "a key of output (journald's LineMax is max_line here)",
        "rate_limit_interval_sec": "a key of output (journald's RateLimitIntervalSec is rate_limit_interval here, "
            + "a duration such as 30s)",
    ])

    /// Where the keys of `output` go when they are written directly in a unit or in `defaults`.
    static func outputKeysMisplaced(in owner: String) -> [String: String] {
        var result: [String: String] = [:]
        for key in output.keys { result[key] = "\(owner) (\(key) goes under output: output: {\(key): ...})" }
        return result
    }

    /// A `queues` entry: where the Redis list is, how to log in, how often to read it (see `QueueDecoder`).
    static let queue = Section(["redis", "list", "db", "username", "password_file", "password_env", "service",
                                "interval", "timeout"], misplaced: redisKeysMisplaced(in: "a key of a queue").merging([
        "target": "a key of a queue (a queue's length is only reported; target goes under autoscale: "
            + "units.NAME.autoscale.queue: {redis: ..., list: ..., target: 5})",
    ]) { _, own in own })
    /// Where the connection keys of a queue or a queue trigger go when written otherwise.
    static func redisKeysMisplaced(in owner: String) -> [String: String] {
        [
            "password": "\(owner) (the password is never written in the file: password_file: PATH or "
                + "password_env: NAME)",
            "host": "\(owner) (give the address in redis: HOST:PORT, such as redis: 127.0.0.1:6379)",
            "port": "\(owner) (give the address in redis: HOST:PORT, such as redis: 127.0.0.1:6379)",
            "socket": "\(owner) (a Unix socket is redis: unix:PATH, such as redis: unix:/run/redis/redis.sock)",
            "url": "\(owner) (give the address in redis: HOST:PORT or unix:PATH; db, username and the "
                + "password have keys of their own)",
            "key": "\(owner) (the list's key is list)",
            "database": "\(owner) (the database number is db)",
        ]
    }
    /// Where a queue's password is read; at most one.
    static let queuePasswordSources = ["password_file", "password_env"]
    /// `notify`: who is told about events (see `NotifyDecoder`).
    static let notify = Section(["webhooks"], misplaced: [
        "url": "a key of notify (url goes in an entry of webhooks: notify: {webhooks: [{url: ...}]})",
        "events": "a key of notify (events goes in an entry of webhooks: notify: {webhooks: [{url: ..., events: [...]}]})",
    ])
    /// One entry of `notify.webhooks`.
    static let webhook = Section(["url", "events", "timeout", "headers", "headers_file"], misplaced: [
        "method": "a key of a webhook (every delivery is a POST)",
        "retries": "a key of a webhook (failed deliveries are retried by supervise: up to 5 attempts within 10 minutes)",
    ])

    static let durationExpected = "a duration such as 250ms, 10s, 5m or 1h"
    static let positiveDurationExpected = "a duration greater than zero, such as 250ms, 10s, 5m or 1h"
    static let nonNegativeDurationExpected = "a duration of zero or more, such as 0s, 10s or 1m"
    static let commandExpected = "a non-empty list of strings such as [\"/usr/bin/agent-sim\", \"--port\", \"8080\"]"

    /// The keys of a replicated service in a process unit; all but `port` apply to a compose entry too.
    static let replicaKeys = ["replicas", "port", "max_surge", "progress_deadline", "autoscale"]
    static let containerReplicaKeys = ["replicas", "max_surge", "progress_deadline", "autoscale"]

    /// `autoscale` (see `AutoscaleDecoder`): the bounds, the triggers, how often and how fast.
    static let autoscale = Section(["min", "max", "queue", "active_calls", "interval", "scale_up", "scale_down"],
                                   misplaced: kedaNames.merging([
        "replicas": "a key of autoscale (replicas goes beside autoscale, in the unit or entry: the count the service "
            + "starts at)",
        "stabilization": "a key of autoscale (stabilization goes under scale_down or scale_up: "
            + "scale_down: {stabilization: 5m})",
        "target": "a key of autoscale (target goes under queue or active_calls: active_calls: {target: 10})",
        "triggers": "a key of autoscale (the triggers are queue and active_calls, beside min and max)",
        "redis": "a key of autoscale (redis goes under queue: queue: {redis: HOST:PORT, list: ..., target: 5})",
        "list": "a key of autoscale (list goes under queue: queue: {redis: HOST:PORT, list: ..., target: 5})",
    ]) { _, own in own }.merging(["pods", "percent", "period"].map {
        ($0, "a key of autoscale (\($0) goes under scale_up: scale_up: {\($0): ...})")
    }) { _, own in own })
    /// KEDA's and Kubernetes' names for what autoscale's keys are.
    static let kedaNames: [String: String] = [
        "minReplicaCount": "a known key (KEDA's minReplicaCount is min here)",
        "maxReplicaCount": "a known key (KEDA's maxReplicaCount is max here)",
        "pollingInterval": "a known key (KEDA's pollingInterval is interval here, a duration such as 15s)",
        "cooldownPeriod": "a known key (KEDA's cooldownPeriod applies to scaling to zero; the wait before scaling "
            + "down is scale_down: {stabilization: 5m})",
        "behavior": "a known key (the HPA's behavior is scale_up and scale_down here)",
    ]
    /// A queue trigger (`autoscale.queue`): a queue's connection keys, the list and KEDA's listLength as target.
    static let queueTrigger = Section(["redis", "list", "db", "username", "password_file", "password_env", "target",
                                       "activation", "timeout"],
                                      misplaced: redisKeysMisplaced(in: "a key of a queue trigger").merging([
        "listLength": "a known key (KEDA's listLength is target here)",
        "activationListLength": "a known key (KEDA's activationListLength is activation here)",
        "user": "a key of a queue trigger (the Redis ACL user is username, as in queues)",
        "interval": "a key of a queue trigger (the triggers are read every autoscale.interval: "
            + "autoscale: {interval: ...})",
    ]) { _, own in own })
    /// `autoscale.active_calls`: live calls per replica.
    static let activeCalls = Section(["target"], misplaced: [
        "progress": "a key of active_calls (the live calls are read from the unit's drain: {progress: URL})",
        "field": "a key of active_calls (the live calls are read from the field named by the unit's drain)",
    ])
    /// `autoscale.scale_up`: the HPA's Pods and Percent policies over one period, and a stabilization window.
    static let scaleUp = Section(["pods", "percent", "period", "stabilization"], misplaced: hpaNames)
    /// `autoscale.scale_down`: the stabilization window; replicas go one drain at a time.
    static let scaleDown = Section(["stabilization"], misplaced: hpaNames.merging(["pods", "percent", "period"].map {
        ($0, "a key of scale_down (scale-down drains one replica at a time within max_unavailable; "
            + "\($0) applies to scale_up)")
    }) { _, own in own })
    /// The HPA's names for the keys of scale_up and scale_down.
    static let hpaNames: [String: String] = [
        "policies": "a known key (the HPA's Pods and Percent policies are pods and percent here, sharing period)",
        "stabilizationWindowSeconds": "a known key (the HPA's stabilizationWindowSeconds is stabilization here, "
            + "a duration such as 5m)",
        "periodSeconds": "a known key (the HPA's periodSeconds is period here, a duration such as 15s)",
        "selectPolicy": "a known key (the larger of pods and percent applies, as the HPA's selectPolicy: Max)",
    ]

    /// Where autoscale's keys go when they are written directly in a unit or container entry.
    static func autoscaleKeysMisplaced(in owner: String) -> [String: String] {
        var result = kedaNames
        for key in ["min", "max", "queue", "active_calls", "scale_up", "scale_down"] {
            result[key] = "\(owner) (\(key) goes under autoscale: autoscale: {\(key): ...})"
        }
        result["scale"] = "a known key (Compose's scale is replicas here)"
        result["progressDeadlineSeconds"] = "a known key (Kubernetes' progressDeadlineSeconds is progress_deadline "
            + "here, a duration such as 10m)"
        return result
    }
}
