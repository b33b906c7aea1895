import Synchronization
import SuperviseCore
import SuperviseProbes
import SuperviseDaemon

/// A double for ``ProbeRunning``. Why: the real engine starts a libcurl thread and probes real
/// endpoints; the loop's part is only to add and remove probes and pass results on. Here probes
/// are recorded and never run; a test that wants a result sends it to the loop itself.
final class RecordingProbeRunner: ProbeRunning {
    private struct State {
        var probed: [ProbeKey] = []
        var removed: [ProbeKey] = []
        var shutDown = false
    }

    private let state = Mutex(State())

    /// Probes added and not removed.
    var probed: [ProbeKey] { state.withLock { $0.probed } }
    var removed: [ProbeKey] { state.withLock { $0.removed } }
    var shutDown: Bool { state.withLock { $0.shutDown } }

    func add(_ key: ProbeKey, spec: ProbeSpec, environment: [String: String], workingDirectory: String?) {
        state.withLock { $0.probed.append(key) }
    }

    func remove(_ key: ProbeKey) {
        state.withLock { state in
            state.probed.removeAll { $0 == key }
            state.removed.append(key)
        }
    }

    func scheduleStats(reset: Bool) -> ProbeScheduleStats { ProbeScheduleStats() }

    func shutdown() { state.withLock { $0.shutDown = true } }
}
