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
    /// Calls taken from the Redis queue (`--queue`): counted in `callsStarted` too.
    private(set) var queueTaken = 0
    /// Queued items that were not jobs (not JSON, no duration, …): popped, logged and dropped.
    private(set) var queueInvalid = 0
    /// Jobs popped while a drain began, and pushed back to the head of the list for other workers.
    private(set) var queueReturned = 0
    /// Whether the queue's connection to Redis is up (set by the queue thread).
    var queueConnected = false

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

    /// Takes a call lasting `duration` seconds, unless draining. A call `fromQueue` that is refused is not counted
    /// as refused: the queue thread gives it back to the list (`queueReturned`).
    mutating func startCall(duration: Double, fromQueue: Bool = false) -> CallStart {
        guard accepting else {
            if fromQueue { queueReturned += 1 } else { callsRefused += 1 }
            return .refused
        }
        let id = nextCallID
        nextCallID += 1
        liveCalls[id] = duration
        callsStarted += 1
        if fromQueue { queueTaken += 1 }
        return .started(id: id)
    }

    /// Counts a queued item that was not a job.
    mutating func countInvalidQueueItem() { queueInvalid += 1 }

    /// Whether the queue thread may take a job now.
    enum QueueSlot: Equatable, Sendable {
        /// Fewer than `maxCalls` calls are live: pop one.
        case free
        /// `maxCalls` or more calls are live (queued or placed over HTTP): wait for one to end.
        case full
        /// A drain began: take nothing more, ever.
        case draining
    }

    /// Whether a job may be taken with at most `maxCalls` calls live at once.
    func queueSlot(maxCalls: Int) -> QueueSlot {
        if draining { return .draining }
        return activeJobs < maxCalls ? .free : .full
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
