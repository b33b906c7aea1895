import Synchronization
import SuperviseCore
import SuperviseDaemon

/// A double for ``ContainerDriving``. Why: the real watcher talks to a Docker engine over its
/// socket; the loop's part is only to start it when the configuration has container selectors,
/// pass actions on and stop it at the end. Here those calls are recorded; Docker's side of the
/// conversation (events, resyncs) is what a test sends to the loop itself.
final class RecordingContainerDriver: ContainerDriving {
    private struct State {
        var started = false
        var stopped = false
        var actions: [String] = []
    }

    private let state = Mutex(State())

    var endpoint: String { "/nonexistent/docker.sock" }
    var started: Bool { state.withLock { $0.started } }
    var stopped: Bool { state.withLock { $0.stopped } }
    var actions: [String] { state.withLock { $0.actions } }

    func start() { state.withLock { $0.started = true } }
    func stop() { state.withLock { $0.stopped = true } }

    func perform(unit: String, id: String, _ action: ContainerAction) {
        state.withLock { $0.actions.append("\(unit) \(id) \(action)") }
    }

    func createReplica(_ creation: ReplicaCreation) {
        state.withLock { $0.actions.append("create \(creation.unit) from \(creation.source)") }
    }
}
