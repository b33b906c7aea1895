import SuperviseCore

/// Docker, played by the world: two replicas of the Compose service `agent` run whatever
/// supervise does; the shell reports Docker's events and carries out the core's container actions.
extension PropRunner {
    func snapshot(_ c: PropContainer) -> ContainerSnapshot {
        ContainerSnapshot(
            id: c.id, name: "voice_agent_\(c.replica)", image: "agent:1",
            labels: ["com.docker.compose.project": "voice", "com.docker.compose.service": "agent",
                     "com.docker.compose.container-number": "\(c.replica)", "com.docker.compose.oneoff": "False"],
            running: c.running, pid: c.running ? c.pid : 0, exitCode: c.running ? nil : c.exitCode, health: c.health)
    }

    /// Docker's answer: at once or held back (`later`); lost while the API is unreachable.
    /// Docker's events come on one stream, in order: behind any still held back.
    mutating func dockerSays(_ events: [Event], later: Bool) {
        guard world.dockerWatched && world.dockerUp, !events.isEmpty else { return }
        if (later || world.pending.contains { if case .docker = $0 { true } else { false } }) && !world.prompt {
            world.pending.append(.docker(events))
        } else {
            world.immediate += events
        }
    }

    /// The shell (re)connects to Docker and sends the whole picture. Like the real watcher, which
    /// subscribes to a new event stream before it lists, it never receives what the replaced
    /// stream still held: events older than the picture are not delivered after it.
    mutating func dockerResync() {
        guard world.dockerWatched && world.dockerUp else { return }
        world.pending.removeAll { if case .docker = $0 { true } else { false } }
        world.immediate += [.dockerConnection(connected: true, detail: "Docker 27.0"),
                            .containerResync(world.containers.map(snapshot))]
        note("Docker resync")
    }

    /// After a boot or reload: the shell watches Docker when the configuration has the selector.
    mutating func watchDocker() {
        let watched = !config.containers.isEmpty
        guard watched != world.dockerWatched else { return }
        world.dockerWatched = watched
        // The selector was removed (what an operator asked of its containers is out of
        // supervise's hands) or added again (a reload that removes and re-adds a unit frees it).
        for unit in PropUniverse.replicas.map(PropUniverse.containerUnit) { release(unit) }
        if watched { dockerResync() }
    }

    /// Carries out a container action of the core; returns the pid of the container's run it
    /// acted on (for invariant 3).
    mutating func act(_ unit: String, _ id: String, _ action: ContainerAction) -> Int32? {
        guard world.dockerUp else {
            note("Docker unreachable")
            world.immediate.append(.containerActionFailed(unit: unit, id: id, reason: "Docker API unreachable"))
            return nil
        }
        guard let i = world.containers.firstIndex(where: { $0.id == id }) else {
            world.immediate.append(.containerActionFailed(unit: unit, id: id, reason: "404 no such container"))
            return nil
        }
        var c = world.containers[i]
        let before = c.running ? c.pid : nil
        let later = rng.chance(0.35)
        switch action {
        case .restart:
            if rng.chance(0.05) {
                note("Docker refuses the restart")
                dockerSays([.containerActionFailed(unit: unit, id: id, reason: "500 Internal Server Error")], later: later)
                return before
            }
            var events: [Event] = []
            if c.running {
                events += [.container(id: id, .killed(signal: Signals.term)), .container(id: id, .died(exitCode: c.deaf ? 137 : 143))]
            }
            world.timers.removeAll { $0.id == id }
            c.running = true
            c.pid = world.takePid()
            world.runs[c.pid] = unit
            c.exitCode = nil
            c.health = .starting
            c.deaf = rng.chance(0.25)
            world.containers[i] = c
            events += [.container(id: id, .started), .containerSeen(snapshot(c))]
            note("Docker restarts \(unit): #\(c.pid)\(c.deaf ? " (deaf to SIGTERM)" : "")" + (later ? ", events held back" : ""))
            dockerSays(events, later: later)
        case .stop(let timeout):
            guard c.running else { return nil }
            var events: [Event] = [.container(id: id, .killed(signal: Signals.term))]
            if c.deaf {
                world.timers.append(PropDockerTimer(at: now + timeout, id: id, code: 137))
                note("Docker stops \(unit)#\(c.pid): deaf, killed in \(DurationText.format(timeout))")
            } else if rng.chance(0.5) || timeout <= .zero {
                c.running = false
                c.exitCode = 143
                world.containers[i] = c
                events += [.container(id: id, .died(exitCode: 143)), .container(id: id, .stopped)]
                note("Docker stops \(unit)#\(c.pid)")
            } else {
                let after = Duration.milliseconds(Int64(rng.unit() * Double(timeout.nanosecondsClamped / 1_000_000)))
                world.timers.append(PropDockerTimer(at: now + after, id: id, code: 143))
                note("Docker stops \(unit)#\(c.pid): it ends in \(DurationText.format(after))")
            }
            dockerSays(events, later: later)
        case .kill(let signal):
            guard c.running else { return nil }
            world.timers.removeAll { $0.id == id }
            c.running = false
            c.exitCode = 128 + signal
            world.containers[i] = c
            note("Docker kills \(unit)#\(c.pid)")
            dockerSays([.container(id: id, .killed(signal: signal)), .container(id: id, .died(exitCode: 128 + signal))], later: later)
        case .remove:
            // Only a replica the core scaled away is removed, and the universe's service has no count the core owns.
            violate(0, "removed a container of a service whose count it does not own", unit)
        }
        return before
    }

    /// The earliest Docker stop that ends later.
    var nextTimer: Instant? { world.timers.map(\.at).min() }

    /// Docker stops that end at or before `now`.
    mutating func fireTimers() {
        let due = world.timers.filter { $0.at <= now }
        world.timers.removeAll { $0.at <= now }
        for t in due {
            guard let i = world.containers.firstIndex(where: { $0.id == t.id }), world.containers[i].running else { continue }
            world.containers[i].running = false
            world.containers[i].exitCode = t.code
            let c = world.containers[i]
            note("agent-\(c.replica)#\(c.pid) ends (\(t.code))")
            dockerSays([.container(id: t.id, .died(exitCode: t.code)), .container(id: t.id, .stopped)], later: false)
        }
        absorb([])
    }

    // MARK: - Steps

    mutating func containerStep(_ action: PropAction) {
        guard !world.containers.isEmpty else { return }
        switch action {
        case .containerExit(let pick, let code):
            let running = world.containers.indices.filter { world.containers[$0].running }
            guard !running.isEmpty else { return note("no container running") }
            let i = running[pick % running.count]
            world.timers.removeAll { $0.id == world.containers[i].id }
            world.containers[i].running = false
            world.containers[i].exitCode = code
            let c = world.containers[i]
            note("agent-\(c.replica)#\(c.pid) exits (\(code))")
            dockerSays([.container(id: world.containers[i].id, .died(exitCode: code))], later: rng.chance(0.3))
        case .dockerStop(let pick):
            let running = world.containers.indices.filter { world.containers[$0].running }
            guard !running.isEmpty else { return note("no container running") }
            let i = running[pick % running.count]
            let id = world.containers[i].id
            world.timers.removeAll { $0.id == id }
            world.containers[i].running = false
            world.containers[i].exitCode = world.containers[i].deaf ? 137 : 143
            let replica = world.containers[i].replica
            note("docker stop agent-\(replica) by hand")
            dockerSays([.container(id: id, .killed(signal: Signals.term)), .container(id: id, .died(exitCode: world.containers[i].exitCode!)),
                        .container(id: id, .stopped)], later: false)
        case .dockerStart(let pick):
            let stopped = world.containers.indices.filter { !world.containers[$0].running }
            guard !stopped.isEmpty else { return note("no container stopped") }
            let i = stopped[pick % stopped.count]
            world.containers[i].running = true
            world.containers[i].pid = world.takePid()
            world.runs[world.containers[i].pid] = PropUniverse.containerUnit(world.containers[i].replica)
            world.containers[i].exitCode = nil
            world.containers[i].health = .starting
            world.containers[i].deaf = rng.chance(0.25)
            let unit = PropUniverse.containerUnit(world.containers[i].replica)
            // Started by hand: back in service, whatever supervise was told before.
            release(unit)
            let pid = world.containers[i].pid
            note("docker start \(unit) by hand: #\(pid)")
            dockerSays([.container(id: world.containers[i].id, .started), .containerSeen(snapshot(world.containers[i]))], later: false)
        case .containerHealth(let pick, let healthy):
            let running = world.containers.indices.filter { world.containers[$0].running }
            guard !running.isEmpty else { return note("no container running") }
            let i = running[pick % running.count]
            let health: ContainerHealth = healthy ? .healthy : .unhealthy
            world.containers[i].health = health
            let replica = world.containers[i].replica
            note("agent-\(replica) HEALTHCHECK \(health.rawValue)")
            dockerSays([.container(id: world.containers[i].id, .health(health, detail: healthy ? nil : "exit 1"))], later: false)
        case .dockerFlap:
            if world.dockerUp {
                world.dockerUp = false
                world.pending.removeAll { if case .docker = $0 { true } else { false } }
                note("Docker API lost")
                if world.dockerWatched { world.immediate.append(.dockerConnection(connected: false, detail: "connection refused")) }
                // Nothing can stop a container meanwhile: stops are timed from Docker's return.
                for name in stopWatch.keys where PropUniverse.replica(of: name) != nil { stopWatch[name]?.dockerOutage = true }
            } else {
                world.dockerUp = true
                note("Docker API back")
                for name in stopWatch.keys where PropUniverse.replica(of: name) != nil { stopWatch[name]?.since = now }
                dockerResync()
            }
        default:
            return
        }
        absorb([])
    }
}
