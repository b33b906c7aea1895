/// The drain contract, as a LiveKit Agents worker behaves: on SIGTERM or `POST /drain` stop
/// taking calls, keep answering health and `/worker`, let live calls end, then (after
/// `--drain-linger`) exit 0. A second SIGTERM during a drain, or SIGINT, exits at once.
extension Worker {
    /// Starts a drain (from `POST /drain` or SIGTERM). When the outcome says the drain is
    /// already finished (no calls were live), the caller calls `finishDrain()` when it is ready:
    /// at once for a signal, after the response is flushed for a request.
    func beginDrain(trigger: String) -> WorkerState.DrainStart {
        let outcome = withState { $0.beginDrain() }
        queueWake.signal()
        switch outcome {
        case .started(let live, _):
            log("\(trigger): draining: \(live) \(live == 1 ? "call" : "calls") live")
        case .alreadyDraining(let live):
            log("\(trigger): already draining: \(live) \(live == 1 ? "call" : "calls") live")
        }
        return outcome
    }

    /// The drain is done (no live calls): exit 0, after `drainLinger` seconds if set.
    func finishDrain() {
        if drainLinger > 0 {
            log("drained, lingering \(formatSeconds(drainLinger))s")
            after(seconds: drainLinger) { [self] in
                log("drained, exiting 0")
                Termination.exit(0)
            }
        } else {
            log("drained, exiting 0")
            Termination.exit(0)
        }
    }

    /// SIGTERM: the first one drains; one during a drain cuts the live calls and exits 1.
    func handleTerminate() {
        if withState({ $0.draining }) {
            let cut = withState { $0.cutAllCalls() }
            log("SIGTERM during drain: \(cut) \(cut == 1 ? "call" : "calls") cut, exiting 1")
            Termination.exit(1)
        }
        if case .started(_, finished: true) = beginDrain(trigger: "SIGTERM") {
            finishDrain()
        }
    }

    /// SIGINT: exit at once; 0 when no calls were live, else 1.
    func handleInterrupt() {
        let cut = withState { $0.cutAllCalls() }
        let code: Int32 = cut == 0 ? 0 : 1
        log("SIGINT: \(cut) \(cut == 1 ? "call" : "calls") cut, exiting \(code)")
        Termination.exit(code)
    }
}
