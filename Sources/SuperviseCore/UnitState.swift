/// Where a unit is in its life: exactly one case at a time, each carrying the data that case
/// needs (a running unit has its instance, a stopping one its deadline and what follows, a unit
/// in backoff the time of its restart). It changes only through ``Supervisor/transition(_:to:now:)``.
public indirect enum UnitState: Sendable, Hashable {
    /// Not running and not meant to run now: never started, stopped by an operator, or for shutdown.
    case inactive
    /// Meant to run; waits for its dependencies (and, for a container, a fresh picture of Docker).
    /// `automatic`: the start is a restart by policy, counted against the start limit.
    case waiting(automatic: Bool)
    /// A spawn (a container restart, for a container unit) was issued; see ``StartRun``.
    case starting(StartRun)
    case running(Instance)
    /// Told to drain (one signal or one HTTP request); its live calls are finishing. Never
    /// restarted automatically, whatever its readiness or exit say.
    case draining(Instance, DrainRun)
    /// The stop signal went out (or Docker's stop); SIGKILL follows at the deadline. Also the
    /// state of a unit whose main process has ended while other processes of it remain: it is
    /// down only once it is empty (see ``StopRun/mainExit``).
    case stopping(Instance, StopRun)
    /// Waiting out the backoff before the next automatic restart.
    case backoff(until: Instant)
    /// Drained and kept out of service until `supervise undrain`.
    case drained
    /// Ended and not restarted by its policy.
    case exited
    /// Gave up (start limit); stays down until an operator runs `restart` or `reset`.
    case failed

    /// The case's name, for status, logs and tests.
    public var phase: UnitPhase {
        switch self {
        case .inactive: .inactive
        case .waiting: .waiting
        case .starting: .starting
        case .running: .running
        case .draining: .draining
        case .stopping: .stopping
        case .backoff: .backoff
        case .drained: .drained
        case .exited: .exited
        case .failed: .failed
        }
    }

    /// The live process (or container) of the unit, in every state that has one.
    public var instance: Instance? {
        switch self {
        case .running(let i), .draining(let i, _), .stopping(let i, _): i
        default: nil
        }
    }

    /// A process exists or is about to (spawn in flight).
    public var hasProcess: Bool {
        switch self {
        case .starting, .running, .draining, .stopping: true
        default: false
        }
    }

    /// The drain in progress: draining, or stopping after a drain (emptied, cut, or hung).
    public var drain: DrainRun? {
        switch self {
        case .draining(_, let d): d
        case .stopping(_, let s): s.drain
        default: nil
        }
    }

    /// When this state's timer fires, if it has one.
    public var deadline: Instant? {
        switch self {
        case .backoff(let until): until
        case .stopping(_, let s): s.killSent ? nil : s.deadline
        case .draining(_, let d): d.cut ? nil : d.deadline
        default: nil
        }
    }
}

/// The name of a ``UnitState`` case, as `supervise status` shows it.
public enum UnitPhase: String, Sendable, Codable, CaseIterable {
    case inactive, waiting, starting, running, draining, stopping, backoff, drained, exited, failed
}

/// One live process (or container) of a unit, and the settings it was started with: a reload
/// changes the unit's spec at once, but a running instance keeps its own until it ends.
public struct Instance: Sendable, Hashable {
    /// The process (the container's main process, for a container unit; 0 when Docker did not say).
    public var pid: Int32
    /// Start time of `pid` from `/proc`, so a restarted daemon recognises its old processes.
    public var startTicks: UInt64
    /// When the instance started (for an adopted process: its real start, when known).
    public var startedAt: Instant
    public var spec: UnitSpec

    public init(pid: Int32, startTicks: UInt64 = 0, startedAt: Instant, spec: UnitSpec) {
        self.pid = pid
        self.startTicks = startTicks
        self.startedAt = startedAt
        self.spec = spec
    }
}

/// A start in flight.
public struct StartRun: Sendable, Hashable {
    /// When the spawn (or the container restart) was issued.
    public var since: Instant
    /// A restart by policy (counted, and resumed as one by a restarted daemon).
    public var automatic: Bool
    /// Set when a stop was asked for meanwhile: the new instance is stopped as soon as it
    /// reports, then this follows.
    public var then: AfterStop?

    public init(since: Instant, automatic: Bool, then: AfterStop? = nil) {
        self.since = since
        self.automatic = automatic
        self.then = then
    }
}

/// A stop in progress.
public struct StopRun: Sendable, Hashable {
    /// When the stop began (the stop signal, or Docker's stop, went out).
    public var since: Instant
    /// When SIGKILL is due; nil when Docker's stop kills for us.
    public var deadline: Instant?
    public var killSent = false
    /// What follows once the instance has ended.
    public var then: AfterStop
    /// The drain that led to this stop (emptied, cut at its deadline, or hung), if any.
    public var drain: DrainRun?
    /// Set once the main process has ended while other processes of the unit remain: the stop
    /// is over only when the unit is empty.
    public var mainExit: MainExit?

    public init(since: Instant, deadline: Instant?, killSent: Bool = false, then: AfterStop, drain: DrainRun? = nil,
                mainExit: MainExit? = nil) {
        self.since = since
        self.deadline = deadline
        self.killSent = killSent
        self.then = then
        self.drain = drain
        self.mainExit = mainExit
    }
}

/// The end of a unit's main process while other processes of the unit (children it left, in
/// its cgroup or process group) remain.
public struct MainExit: Sendable, Hashable, Codable {
    /// How the main process ended (`.unknown` when it ended while the daemon was down).
    public var status: ExitStatus
    /// When it ended.
    public var at: Instant
    /// Processes of the unit left, as last counted.
    public var remaining: Int
    /// The kernel's OOM killer killed a process of the unit (the main one, or one it needed).
    public var oomKilled: Bool?

    public init(status: ExitStatus, at: Instant, remaining: Int, oomKilled: Bool = false) {
        self.status = status
        self.at = at
        self.remaining = remaining
        self.oomKilled = oomKilled ? true : nil
    }

    /// The end in words, for logs and the restart reason.
    public var why: String { oomKilled == true ? "out of memory (OOM killed, \(status))" : "\(status)" }
}

/// What happens when a stopping unit's instance has ended.
public enum AfterStop: Sendable, Hashable, Codable {
    /// Stay down.
    case stay
    /// Start again at once, with the unit's current spec (operator restart, changed configuration).
    case start
    /// Stopped because it is unhealthy or hung: restart through its policy (backoff, start limit).
    case policyRestart(String)
    /// The main process ended on its own and the rest of the unit is being stopped: once the
    /// unit is empty, the main process's exit status and the restart policy decide.
    case exitPolicy
}
