import SuperviseCore

/// The drain contract as a pod's termination: `terminationGracePeriodSeconds` is the drain deadline plus the stop
/// timeout, and an HTTP drain becomes a `preStop` hook. A signal drain needs no hook: Kubernetes sends the stop signal
/// (SIGTERM, or the image's STOPSIGNAL) once and waits the grace period before SIGKILL, which is supervise's `docker
/// stop -t DEADLINE`.
extension ServiceExport {
    /// Seconds from the pod's termination to SIGKILL: the drain `timeout` plus `stop_timeout` (the time an HTTP drain's
    /// worker has to exit after its stop signal), or `stop_timeout` alone without a drain contract.
    mutating func terminationGracePeriod() -> Int {
        if let stopGrace = compose.stopGracePeriod, stopGrace != spec.stopTimeout {
            note(SourcePlace(file: compose.place.file, keyPath: "\(compose.place.keyPath).stop_grace_period"),
                 "\(DurationText.format(stopGrace)) is Compose's own stop timeout: supervise's stop_timeout "
                     + "(\(DurationText.format(spec.stopTimeout))) is used, as supervise stops the container")
        }
        guard let drain = spec.drain else { return seconds(spec.stopTimeout, key: "stop_timeout") }
        return seconds(drain.timeout + spec.stopTimeout, key: "drain.timeout")
    }

    /// The `preStop` command of an HTTP drain: one `POST` to the drain URL, then, with a progress URL, a reading each
    /// `progress.interval` until it reports no live call (a missing or null field is 0, as for supervise; a failed
    /// reading waits), at most the drain `timeout`; without one, a wait of the drain `timeout` that ends when the
    /// worker exits. Kubernetes then sends the stop signal. Nil for a signal drain or none.
    mutating func preStop() -> [String]? {
        guard let drain = spec.drain else { return nil }
        if drain.progress != nil, case .signal = drain.start {
            note("drain.progress", "Kubernetes does not read live calls: a terminating pod ends when it exits or at "
                     + "terminationGracePeriodSeconds; export the worker's live calls as a metric to see them")
        }
        guard case .http(let url) = drain.start else { return nil }
        guard let post = podURL(url, network: drain.network, key: "drain.http") else { return nil }
        let deadline = seconds(drain.timeout, key: "drain.timeout")
        var script = "curl -fsS -X POST \(Self.shellQuoted(post)) >/dev/null\n"
        if let progress = drain.progress, let get = podURL(progress.url, network: drain.network, key: "drain.progress") {
            let interval = seconds(progress.interval, key: "drain.progress.interval")
            let field = Self.sedQuoted(progress.field)
            script += """
                waited=0
                while [ "$waited" -lt \(deadline) ]; do
                  if body=$(curl -fsS \(Self.shellQuoted(get))); then
                    calls=$(printf '%s' "$body" | sed -n 's/.*"\(field)"[[:space:]]*:[[:space:]]*"\\{0,1\\}\\([0-9][0-9]*\\).*/\\1/p')
                    [ "${calls:-0}" -eq 0 ] && exit 0
                  fi
                  sleep \(interval)
                  waited=$((waited + \(interval)))
                done

                """
        } else {
            script += "sleep \(deadline)\n"
        }
        note("drain.http", "a preStop hook POSTs the drain request and waits for the live calls to end: it runs /bin/sh, "
                 + "curl and sed inside the container, so the image must have them")
        // A hook's command is run as written: unlike a container's command and args or a probe's, the kubelet expands
        // no $(NAME) in it, so its $( stays as it is.
        return ["/bin/sh", "-c", script]
    }

    /// A drain URL as seen from inside the pod: loopback at the container's port.
    private mutating func podURL(_ url: String, network: ProbeNetwork, key: String) -> String? {
        let filled = firstReplica(url, key: key)
        guard let parts = URLParts(filled) else {
            note(key, "\(filled) is no URL the export can read: left out")
            return nil
        }
        guard Self.isLoopback(parts.host) else { return filled }
        let port = containerPort(parts.port, network: network, key: key)
        return "\(parts.scheme)://127.0.0.1:\(port)\(parts.path)"
    }

    /// `text` in single quotes for sh.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `field` as a literal in a basic regular expression inside a single-quoted sed script.
    static func sedQuoted(_ field: String) -> String {
        var result = ""
        for c in field {
            if "\\.[]*^$/".contains(c) { result.append("\\") }
            if c == "'" { result += "'\\''" } else { result.append(c) }
        }
        return result
    }
}
