import Synchronization

/// Joins a task's cancellation to a transfer: the cancellation handler may run before, during
/// or after the transfer is started, on any thread, and exactly one of "start" or "report
/// cancelled" must happen.
final class RequestToken: Sendable {
    private enum State { case pending, started(UInt64), finishedEarly, cancelled }
    private let state = Mutex(State.pending)

    /// Runs `start` (which returns the transfer id) unless the task was cancelled already, in which
    /// case `alreadyCancelled` runs instead.
    func begin(start: () -> UInt64?, alreadyCancelled: () -> Void) {
        let cancelled = state.withLock { state -> Bool in
            if case .cancelled = state { return true }
            state = start().map { .started($0) } ?? .finishedEarly
            return false
        }
        if cancelled { alreadyCancelled() }
    }

    /// From the task's cancellation handler: aborts the transfer if it was started.
    func cancel(_ cancelTransfer: (UInt64) -> Void) {
        let id = state.withLock { state -> UInt64? in
            defer { state = .cancelled }
            if case .started(let id) = state { return id }
            return nil
        }
        if let id { cancelTransfer(id) }
    }
}
