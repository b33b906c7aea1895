/// Everything about the simulated worker that changes while it runs.
///
/// A plain value with no I/O: `Worker` owns the only copy (behind a lock) and changes it only
/// through these transitions, which report what happened so the caller can log and act on it.
struct WorkerState: Sendable {
    /// Whether `GET /` answers 200 (`true`) or 503.
    var healthy: Bool
    /// Whether the worker has stopped answering requests for good.
    var hanging: Bool
    /// Whether a drain has started: new calls are refused, the process exits once calls end.
    private(set) var draining = false
    /// Whether the drain has finished (no calls left) and the exit is under way.
    private(set) var drainFinished = false
    /// Live calls by id, with their durations in seconds.
    private(set) var liveCalls: [Int: Double] = [:]
    private(set) var nextCallID = 1
    private(set) var callsStarted = 0
    private(set) var callsCompleted = 0
    private(set) var callsRefused = 0
    private(set) var callsCut = 0

    init(healthy: Bool, hanging: Bool) {
        self.healthy = healthy
        self.hanging = hanging
    }

    /// Whether new calls are taken.
    var accepting: Bool { !draining }
    /// How many calls are live.
    var activeJobs: Int { liveCalls.count }

    /// What `startCall` did.
    enum CallStart: Equatable, Sendable {
        case started(id: Int)
        case refused
    }

    /// Takes a call lasting `duration` seconds, unless draining.
    mutating func startCall(duration: Double) -> CallStart {
        guard accepting else {
            callsRefused += 1
            return .refused
        }
        let id = nextCallID
        nextCallID += 1
        liveCalls[id] = duration
        callsStarted += 1
        return .started(id: id)
    }

    /// What `endCall` did.
    enum CallEnd: Equatable, Sendable {
        /// The call ended; `drainFinished` is true when it was the last one in a drain.
        case ended(drainFinished: Bool)
        /// No such live call (already cut, or never started).
        case unknown
    }

    /// Ends call `id` normally.
    mutating func endCall(id: Int) -> CallEnd {
        guard liveCalls.removeValue(forKey: id) != nil else { return .unknown }
        callsCompleted += 1
        return .ended(drainFinished: finishDrainIfIdle())
    }

    /// What `beginDrain` did.
    enum DrainStart: Equatable, Sendable {
        /// A drain began with `live` calls; `finished` is true when there were none to wait for.
        case started(live: Int, finished: Bool)
        /// A drain was already under way.
        case alreadyDraining(live: Int)
    }

    /// Stops taking calls and waits for the live ones to end.
    mutating func beginDrain() -> DrainStart {
        if draining { return .alreadyDraining(live: activeJobs) }
        draining = true
        let live = activeJobs
        return .started(live: live, finished: finishDrainIfIdle())
    }

    /// Drops every live call (the process is about to exit); returns how many were cut.
    mutating func cutAllCalls() -> Int {
        let cut = liveCalls.count
        liveCalls.removeAll()
        callsCut += cut
        return cut
    }

    private mutating func finishDrainIfIdle() -> Bool {
        guard draining, !drainFinished, liveCalls.isEmpty else { return false }
        drainFinished = true
        return true
    }
}
