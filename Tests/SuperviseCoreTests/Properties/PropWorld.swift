import SuperviseCore

/// A process the fake world runs.
struct PropProcess: Sendable {
    var pid: Int32
    var unit: String
    var alive = true
    /// Ignores every signal but SIGKILL (a worker stuck in a call, a process deaf to SIGTERM).
    var deaf: Bool
    /// A child of the current daemon: its exit is reported with its real status.
    var child = true
    /// Watched by pid after an adoption (`.watchProcess`): its exit is reported as `.unknown`.
    var watched = false
    /// Its exit was reported, or is held back to be reported.
    var exitQueued = false
    /// A child the unit's main process `leftoverOf` left when it ended (it keeps the unit from
    /// being empty). Its own end is never reported as an exit; the count of what is left is.
    var leftoverOf: Int32?
}

/// A container of the `agent` Compose service, as Docker runs it: supervise only watches it and
/// asks Docker to restart, stop or kill it.
struct PropContainer: Sendable {
    var id: String
    var replica: Int
    var running = true
    /// Its main process while running (a fresh pid at every start).
    var pid: Int32
    var exitCode: Int32?
    /// Ignores SIGTERM: Docker's stop kills it at the timeout.
    var deaf = false
    /// Docker's HEALTHCHECK verdict.
    var health: ContainerHealth? = .starting
}

/// A Docker stop that ends later: the container dies at `at` (a deaf one at the stop timeout, a
/// draining one when its calls are done).
struct PropDockerTimer: Sendable {
    var at: Instant
    var id: String
    var code: Int32
}

/// What a drain did to one process or container run (by pid), for invariant 3.
struct PropDrainTally: Sendable {
    var starts = 0
    var reported = false
}

/// An answer the world holds back, delivered later by a `deliver` step.
enum PropPending: Sendable {
    case spawnAnswer(unit: String, success: Bool, deaf: Bool)
    case exit(pid: Int32, status: ExitStatus)
    /// Docker's events (and action failures), in their order.
    case docker([Event])
}

struct PropProbe: Sendable, Equatable {
    var unit: String
    var role: ProbeRole
    var generation: UInt64
}

/// The shell and the machine, played in memory: processes by pid, containers by id, probes by
/// generation, and the answers not yet delivered to the core.
struct PropWorld: Sendable {
    var processes: [Int32: PropProcess] = [:]
    /// The live processes, in order of pid.
    private(set) var live: [Int32] = []
    var nextPid: Int32 = 100
    /// Answers held back; a `deliver` step hands one over.
    var pending: [PropPending] = []
    /// Events to feed the core next, in order (the shell's event queue).
    var immediate: [Event] = []
    var liveProbes: [PropProbe] = []
    var stoppedProbes: [PropProbe] = []
    /// No answer is held back any more (after `.shutdown`: the shell reports promptly).
    var prompt = false
    var drainRequests = 0
    /// Process and container runs the core drains (or drained), by pid.
    var drains: [Int32: PropDrainTally] = [:]
    /// The unit of every process and container run there ever was, by pid.
    var runs: [Int32: String] = [:]
    /// Main processes (ended) whose unit's leftovers the shell counts for the core (`.watchUnit`).
    var watchedMains: Set<Int32> = []

    var containers: [PropContainer] = []
    var timers: [PropDockerTimer] = []
    /// The configuration has the container selector, so the shell watches Docker.
    var dockerWatched = false
    /// The Docker API answers (when watched).
    var dockerUp = true

    func liveProcesses() -> [PropProcess] { live.map { processes[$0]! } }

    mutating func newProcess(unit: String, deaf: Bool) -> Int32 {
        let pid = takePid()
        processes[pid] = PropProcess(pid: pid, unit: unit, deaf: deaf)
        runs[pid] = unit
        live.append(pid)
        return pid
    }

    mutating func takePid() -> Int32 {
        defer { nextPid += 1 }
        return nextPid
    }

    /// `pid` is gone, and no one reports it (the shell stopped a leftover).
    mutating func vanish(_ pid: Int32) {
        processes[pid]?.alive = false
        processes[pid]?.exitQueued = true
        live.removeAll { $0 == pid }
    }

    /// The unit of a live process or running container with this pid.
    func liveUnit(of pid: Int32) -> String? {
        if let p = processes[pid] { return p.alive ? p.unit : nil }
        return containers.first { $0.running && $0.pid == pid }.map { PropUniverse.containerUnit($0.replica) }
    }

    /// Pids of the live processes and running containers of `unit`.
    func livePids(of unit: String) -> [Int32] {
        if let replica = PropUniverse.replica(of: unit) {
            return containers.filter { $0.replica == replica && $0.running }.map(\.pid)
        }
        return liveProcesses().filter { $0.unit == unit }.map(\.pid)
    }

    /// The exit event the shell would send for `pid` ending with `status`, or nil when the shell
    /// does not hear of it (neither its child nor watched).
    func exitEvent(_ pid: Int32, _ status: ExitStatus) -> Event? {
        guard let p = processes[pid], p.leftoverOf == nil else { return nil }
        // The shell counts what the process left when it reaps it (or notices an adopted one gone).
        let remaining = leftovers(of: pid).count
        if p.child { return .exited(unit: p.unit, pid: pid, status: status, remaining: remaining) }
        if p.watched { return .exited(unit: p.unit, pid: pid, status: .unknown, remaining: remaining) }
        return nil
    }

    /// The live processes main process `pid` left.
    func leftovers(of pid: Int32) -> [Int32] {
        live.filter { processes[$0]?.leftoverOf == pid }
    }

    /// The live leftovers of `unit`, whatever main process left them.
    func leftovers(ofUnit unit: String) -> [Int32] {
        live.filter { processes[$0]?.unit == unit && processes[$0]?.leftoverOf != nil }
    }

    /// `pid` dies with `status`, leaving `leaving` children behind (deaf to the stop signal when
    /// the flag says so); its exit is reported at once or held back (`later`).
    mutating func kill(_ pid: Int32, _ status: ExitStatus, later: Bool, leaving: [Bool] = []) {
        guard var p = processes[pid], p.alive else { return }
        p.alive = false
        processes[pid] = p
        live.removeAll { $0 == pid }
        if let main = p.leftoverOf { return leftoverGone(main, unit: p.unit) }
        for deaf in leaving {
            let child = takePid()
            processes[child] = PropProcess(pid: child, unit: p.unit, deaf: deaf, child: false, leftoverOf: pid)
            runs[child] = p.unit
            live.append(child)
        }
        report(pid, status, later: later)
    }

    /// A leftover of main process `main` ended: the shell tells the core what is left, if it counts.
    mutating func leftoverGone(_ main: Int32, unit: String) {
        guard watchedMains.contains(main) else { return }
        immediate.append(.remaining(unit: unit, pid: main, count: leftovers(of: main).count))
    }

    /// The shell starts counting what main process `main` of `unit` left (`.watchUnit`): it
    /// reports the count at once, then whenever it changes.
    mutating func watchUnit(_ unit: String, main: Int32) {
        watchedMains.insert(main)
        immediate.append(.remaining(unit: unit, pid: main, count: leftovers(of: main).count))
    }

    mutating func report(_ pid: Int32, _ status: ExitStatus, later: Bool) {
        guard let p = processes[pid], !p.alive, !p.exitQueued, exitEvent(pid, status) != nil else { return }
        processes[pid]?.exitQueued = true
        if later && !prompt {
            pending.append(.exit(pid: pid, status: status))
        } else if let event = exitEvent(pid, status) {
            immediate.append(event)
        }
    }

    /// The events for held answer `index`, taken out of `pending` (a spawn answer starts its
    /// process now); for Docker's events, the oldest held back (they come in order).
    mutating func takePending(_ index: Int) -> [Event] {
        var index = index
        if case .docker = pending[index] {
            index = pending.firstIndex { if case .docker = $0 { true } else { false } }!
        }
        let answer = pending.remove(at: index)
        switch answer {
        case .spawnAnswer(let unit, let success, let deaf):
            guard success else { return [.spawnFailed(unit: unit, reason: "exec: no such file or directory")] }
            let pid = newProcess(unit: unit, deaf: deaf)
            return [.spawned(unit: unit, pid: pid, startTicks: UInt64(pid) * 1000)]
        case .exit(let pid, let status):
            return exitEvent(pid, status).map { [$0] } ?? []
        case .docker(let events):
            return events
        }
    }

    mutating func startProbe(_ probe: PropProbe) { liveProbes.append(probe) }

    mutating func stopProbe(_ probe: PropProbe) {
        liveProbes.removeAll { $0 == probe }
        stoppedProbes.append(probe)
    }

    /// The daemon was killed: what it held back is lost with it, its probes stop, and the
    /// processes it left are nobody's children any more. Docker carries on.
    mutating func daemonKilled() {
        pending.removeAll()
        immediate.removeAll()
        stoppedProbes += liveProbes
        liveProbes.removeAll()
        watchedMains.removeAll()
        for pid in processes.keys {
            processes[pid]?.child = false
            processes[pid]?.watched = false
        }
    }
}
