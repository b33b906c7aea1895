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
    // Invariant 3 bookkeeping: a drain of this very process.
    var underDrain = false
    var drainStarts = 0
    var drainReported = false
}

/// An answer the world holds back, delivered later by a `deliver` step.
enum PropPending: Sendable {
    case spawnAnswer(unit: String, success: Bool, deaf: Bool)
    case exit(pid: Int32, status: ExitStatus)
}

struct PropProbe: Sendable, Equatable {
    var unit: String
    var role: ProbeRole
    var generation: UInt64
}

/// The shell and the machine, played in memory: processes by pid, probes by generation, and the
/// answers not yet delivered to the core.
struct PropWorld: Sendable {
    var processes: [Int32: PropProcess] = [:]
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

    func liveProcesses() -> [PropProcess] { processes.values.filter(\.alive).sorted { $0.pid < $1.pid } }

    mutating func newProcess(unit: String, deaf: Bool) -> Int32 {
        let pid = nextPid
        nextPid += 1
        processes[pid] = PropProcess(pid: pid, unit: unit, deaf: deaf)
        return pid
    }

    /// The exit event the shell would send for `pid` ending with `status`, or nil when the shell
    /// does not hear of it (neither its child nor watched).
    func exitEvent(_ pid: Int32, _ status: ExitStatus) -> Event? {
        guard let p = processes[pid] else { return nil }
        if p.child { return .exited(unit: p.unit, pid: pid, status: status) }
        if p.watched { return .exited(unit: p.unit, pid: pid, status: .unknown) }
        return nil
    }

    /// `pid` dies with `status`; its exit is reported at once or held back (`later`).
    mutating func kill(_ pid: Int32, _ status: ExitStatus, later: Bool) {
        guard var p = processes[pid], p.alive else { return }
        p.alive = false
        processes[pid] = p
        report(pid, status, later: later)
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

    /// The event for held answer `index`, taken out of `pending` (a spawn answer starts its process now).
    mutating func takePending(_ index: Int) -> Event? {
        let answer = pending.remove(at: index)
        switch answer {
        case .spawnAnswer(let unit, let success, let deaf):
            guard success else { return .spawnFailed(unit: unit, reason: "exec: no such file or directory") }
            let pid = newProcess(unit: unit, deaf: deaf)
            return .spawned(unit: unit, pid: pid, startTicks: UInt64(pid) * 1000)
        case .exit(let pid, let status):
            return exitEvent(pid, status)
        }
    }

    mutating func startProbe(_ probe: PropProbe) { liveProbes.append(probe) }

    mutating func stopProbe(_ probe: PropProbe) {
        liveProbes.removeAll { $0 == probe }
        stoppedProbes.append(probe)
    }

    /// The daemon was killed: what it held back is lost with it, its probes stop, and the
    /// processes it left are nobody's children any more.
    mutating func daemonKilled() {
        pending.removeAll()
        immediate.removeAll()
        stoppedProbes += liveProbes
        liveProbes.removeAll()
        for pid in processes.keys {
            processes[pid]?.child = false
            processes[pid]?.watched = false
        }
    }
}
