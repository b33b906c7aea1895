import Synchronization
import SuperviseCore
import SuperviseDaemon

/// A double for ``StateWriting``. Why: the real store writes and fsyncs a file on a queue of its
/// own, so a test could not tell "answered after the write" from "answered, and the write happened
/// to be quick". Here nothing touches the disk: saves are recorded, and while `holdsCompletions`
/// is set their completions wait until the test calls ``complete(failure:)``.
final class FakeStateWriter: StateWriting {
    private struct State {
        var saves: [PersistedState] = []
        var waiting: [@Sendable (String?) -> Void] = []
        var holds = false
        var flushes = 0
    }

    private let state = Mutex(State())
    /// Where the writer notes `state written` when it runs completions, so a test can order it
    /// against other happenings.
    let journal: Journal

    init(journal: Journal = Journal()) { self.journal = journal }

    /// Hold completions from now on (true), or run them as saves come (false).
    func holdCompletions(_ hold: Bool) { state.withLock { $0.holds = hold } }

    var saves: [PersistedState] { state.withLock { $0.saves } }
    /// Completions that wait for ``complete(failure:)``.
    var waitingCompletions: Int { state.withLock { $0.waiting.count } }
    var flushes: Int { state.withLock { $0.flushes } }

    func save(_ saved: PersistedState, then done: (@Sendable (String?) -> Void)?) {
        let now: (@Sendable (String?) -> Void)? = state.withLock { state in
            state.saves.append(saved)
            guard let done else { return nil }
            if state.holds {
                state.waiting.append(done)
                return nil
            }
            return done
        }
        if let now { finish([now], failure: nil) }
    }

    /// Runs the held completions: the state "is on disk" (or, with `failure`, could not be written).
    func complete(failure: String? = nil) {
        finish(state.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }, failure: failure)
    }

    func flush() async {
        state.withLock { $0.flushes += 1 }
        complete()
    }

    private func finish(_ completions: [@Sendable (String?) -> Void], failure: String?) {
        guard !completions.isEmpty else { return }
        journal.note("state written")
        for done in completions { done(failure) }
    }
}
