import AgentSimQueue

/// Simulated calls: each is a number of seconds of "activity", ended by a timer on the
/// worker's event loop (no thread per call).
extension Worker {
    /// The longest call (and delay) accepted, in seconds: one week.
    static let maximumSeconds: Double = 604_800

    /// Starts a call lasting `duration` seconds, or refuses it while draining.
    func startCall(duration: Double) -> WorkerState.CallStart {
        let outcome = withState { $0.startCall(duration: duration) }
        switch outcome {
        case .started(let id):
            log("call \(id) started (\(formatSeconds(duration))s)")
            after(seconds: duration) { [self] in endCall(id: id) }
        case .refused:
            log("call refused: not accepting calls (draining)")
        }
        return outcome
    }

    /// Starts a call for a job taken from the queue, as `POST /calls` would; refused while draining (the queue
    /// thread then gives the job back to the list).
    func startQueuedCall(_ job: QueuedCall) -> WorkerState.CallStart {
        let outcome = withState { $0.startCall(duration: job.duration, fromQueue: true) }
        let name = job.id.map { "queue job \($0)" } ?? "a queue job"
        switch outcome {
        case .started(let id):
            log("call \(id) started (\(formatSeconds(job.duration))s) from \(name)")
            after(seconds: job.duration) { [self] in endCall(id: id) }
        case .refused:
            log("\(name) refused: draining; giving it back to the queue")
        }
        return outcome
    }

    /// Ends call `id` when its time is up; finishes a drain when it was the last call.
    func endCall(id: Int) {
        switch withState({ $0.endCall(id: id) }) {
        case .ended(let drainFinished):
            queueWake.signal()
            log("call \(id) ended")
            if drainFinished { finishDrain() }
        case .unknown:
            break
        }
    }
}
