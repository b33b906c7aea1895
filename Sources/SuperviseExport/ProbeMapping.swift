import SuperviseCore

/// Probes: supervise's `liveness` and `readiness` of the entry, or else the Compose service's `healthcheck`, as
/// Kubernetes probes, field by field.
///
/// | supervise | Kubernetes |
/// |---|---|
/// | `http: {url, headers}` | `httpGet: {scheme, host, port, path, httpHeaders}` (host left out for loopback: the pod) |
/// | `tcp: {host, port}` | `tcpSocket: {host, port}` |
/// | `exec: [...]` (run on the host; `docker exec NAME …` unwrapped) | `exec: {command}` (run in the container) |
/// | `interval`, `timeout` | `periodSeconds`, `timeoutSeconds` (whole seconds, rounded up) |
/// | `failure_threshold`, `success_threshold`, `initial_delay` | `failureThreshold`, `successThreshold`, `initialDelaySeconds` |
/// | `start_period` | a `startupProbe` with the liveness check, `failureThreshold` = ⌈start_period / interval⌉ + failure_threshold |
extension ServiceExport {
    /// The container's startup, liveness and readiness probes.
    mutating func probes() -> (startup: Probe?, liveness: Probe?, readiness: Probe?) {
        var livenessSpec = spec.liveness
        var livenessKey = "liveness"
        if let healthcheck = compose.healthcheck {
            if livenessSpec != nil {
                note(healthcheck.place, "replaced by \(configFile): \(entryPath).liveness: supervise's probe wins (a "
                     + "container has one liveness probe; under supervise both restarted it)")
            } else {
                livenessSpec = ProbeSpec(check: .exec(command: healthcheck.command), interval: healthcheck.interval,
                                         timeout: healthcheck.timeout, failureThreshold: max(healthcheck.retries, 1),
                                         startPeriod: healthcheck.startPeriod)
                livenessKey = "healthcheck"
            }
        }
        var liveness: Probe?
        var startup: Probe?
        if var live = livenessSpec {
            let fromCompose = livenessKey == "healthcheck"
            let startPeriod = live.startPeriod
            live.startPeriod = .zero
            liveness = probe(live, key: livenessKey, fromCompose: fromCompose)
            if live.successThreshold > 1, liveness != nil {
                note(livenessKey, "success_threshold \(live.successThreshold): Kubernetes requires 1 for a liveness "
                         + "probe: 1")
                liveness?.successThreshold = 1
            }
            if startPeriod > .zero, var first = liveness {
                let period = first.periodSeconds
                let graceRuns = Int((startPeriod.nanosecondsClamped + Int64(period) * 1_000_000_000 - 1)
                                    / (Int64(period) * 1_000_000_000))
                first.failureThreshold = graceRuns + first.failureThreshold
                first.successThreshold = 1
                startup = first
                liveness?.initialDelaySeconds = 0
            }
        }
        var readiness: Probe?
        if let ready = spec.readiness {
            readiness = probe(ready, key: "readiness", fromCompose: false)
        } else if var fallback = liveness ?? startup {
            // supervise counts a replica in service once healthy when it has no readiness probe; Kubernetes counts a
            // pod ready as soon as it starts unless it has one: the liveness check stands in, as under supervise.
            fallback.initialDelaySeconds = startup?.initialDelaySeconds ?? fallback.initialDelaySeconds
            fallback.failureThreshold = liveness?.failureThreshold ?? fallback.failureThreshold
            fallback.successThreshold = livenessSpec?.successThreshold ?? 1
            readiness = fallback
        }
        return (startup, liveness, readiness)
    }

    /// One probe; nil (with a notice) when its check cannot run in a pod.
    mutating func probe(_ spec: ProbeSpec, key: String, fromCompose: Bool) -> Probe? {
        guard let handler = handler(spec, key: key, fromCompose: fromCompose) else { return nil }
        let healthcheck = compose.healthcheck?.place
        func place(_ field: String) -> SourcePlace {
            guard fromCompose, var place = healthcheck else { return configPlace("\(key).\(field)") }
            place.keyPath += ".\(field)"
            return place
        }
        return Probe(handler: handler,
                     initialDelaySeconds: seconds(spec.initialDelay, minimum: 0, at: place("initial_delay")),
                     periodSeconds: seconds(spec.interval, at: place("interval")),
                     timeoutSeconds: seconds(spec.timeout, at: place("timeout")),
                     successThreshold: spec.successThreshold, failureThreshold: spec.failureThreshold)
    }

    private mutating func handler(_ spec: ProbeSpec, key: String, fromCompose: Bool) -> ProbeHandler? {
        switch spec.check {
        case .http(let check):
            let url = firstReplica(check.url, key: "\(key).http.url")
            guard let parts = URLParts(url) else {
                note("\(key).http.url", "\(url) is no URL the export can read: probe left out")
                return nil
            }
            if check.statusMin != 200 || check.statusMax != 399 {
                note("\(key).http.status", "\(check.statusMin)-\(check.statusMax): an httpGet probe is healthy for "
                         + "200-399, whatever is configured; answer those statuses, or probe with exec and curl")
            }
            if check.bodyContains != nil {
                note("\(key).http.body_contains", "has no httpGet counterpart (only the status counts): left out; to "
                         + "check the body, probe with exec: [sh, -c, \"curl -fsS URL | grep -q TEXT\"]")
            }
            let port = containerPort(parts.port, network: spec.network, key: "\(key).http.url")
            let headers = check.headers.sorted { $0.key < $1.key }.map { Label($0.key, $0.value) }
            return .httpGet(path: parts.path, port: port, host: probeHost(parts.host, key: "\(key).http.url"),
                            scheme: parts.scheme.uppercased(), headers: headers)
        case .tcp(let host, let port):
            let filledHost = firstReplica(host, key: "\(key).tcp.host")
            return .tcpSocket(port: containerPort(port, network: spec.network, key: "\(key).tcp.port"),
                              host: probeHost(filledHost, key: "\(key).tcp.host"))
        case .exec(let command):
            if fromCompose { return .exec(command: command.map(Self.escapingReferences)) }
            let filled = command.map { firstReplica($0, key: "\(key).exec") }
            if let inner = Self.insideDockerExec(filled) { return .exec(command: inner.map(Self.escapingReferences)) }
            note("\(key).exec", "runs on the host under supervise but inside the container in Kubernetes: check that "
                     + "\(filled.first ?? "the command") is in the image and does the same from there")
            return .exec(command: filled.map(Self.escapingReferences))
        }
    }

    /// Loopback (the container itself, or the host through a published port) becomes the pod's own address.
    private mutating func probeHost(_ host: String, key: String) -> String? {
        if Self.isLoopback(host) { return nil }
        note(key, "probes \(host) rather than the container: kept as the probe's host; a pod is usually probed at "
                 + "its own address (leave the host out)")
        return host
    }

    /// `docker exec [OPTIONS] CONTAINER CMD…` → `CMD…`, the command as it runs inside the container.
    static func insideDockerExec(_ command: [String]) -> [String]? {
        guard command.count >= 4, command[0] == "docker" || command[0].hasSuffix("/docker"), command[1] == "exec" else {
            return nil
        }
        let withValue: Set<String> = ["-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file", "--detach-keys"]
        var index = 2
        while index < command.count, command[index].hasPrefix("-") {
            let option = command[index]
            index += withValue.contains(option) ? 2 : 1
        }
        // The container's name, then the command.
        guard index + 1 < command.count else { return nil }
        return Array(command[(index + 1)...])
    }

    /// Kubernetes expands `$(NAME)` in `command`, `args` and `env` values; `$$(` keeps a `$(` as it is.
    static func escapingReferences(_ text: String) -> String {
        text.contains("$(") ? text.replacingOccurrences(of: "$(", with: "$$(") : text
    }
}
