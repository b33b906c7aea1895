import Foundation
import Synchronization
import SuperviseCore
import SuperviseDaemon

/// A double for ``SupervisionClock``. Why: with the real monotonic clock a test could only show
/// that a timer fired "about then", by waiting in real time. Here time stands still until the test
/// moves it, a sleeper wakes exactly when its deadline is reached, and the test can see what the
/// loop waits for.
final class ManualClock: SupervisionClock {
    private struct Sleeper {
        var deadline: Instant
        var wake: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Instant
        var sleepers: [UUID: Sleeper] = [:]
    }

    private let state: Mutex<State>

    init(start: Instant = Instant(nanoseconds: 1_000_000_000_000)) { state = Mutex(State(now: start)) }

    func now() -> Instant { state.withLock { $0.now } }

    func sleep(until deadline: Instant) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (wake: CheckedContinuation<Void, any Error>) in
                enum Now { case wake, cancel, wait }
                let now: Now = state.withLock { state in
                    if Task.isCancelled { return .cancel }
                    if deadline <= state.now { return .wake }
                    state.sleepers[id] = Sleeper(deadline: deadline, wake: wake)
                    return .wait
                }
                switch now {
                case .wake: wake.resume()
                case .cancel: wake.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.wake.resume(throwing: CancellationError())
        }
    }

    /// The deadlines someone is sleeping until, earliest first.
    var sleepingUntil: [Instant] { state.withLock { $0.sleepers.values.map(\.deadline).sorted() } }

    /// Moves time forward by `duration` and wakes every sleeper whose deadline has come.
    func advance(by duration: Duration) {
        let due: [Sleeper] = state.withLock { state in
            state.now = state.now + duration
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers[id] = nil }
            return Array(due.values)
        }
        for sleeper in due { sleeper.wake.resume() }
    }
}
