import CSuperviseSys
import Dispatch
import Foundation
import SuperviseCore
import SuperviseThreads
import SuperviseProcess

/// Runs every unit's health probes: HTTP and TCP checks on one libcurl multi handle driven by one
/// dedicated thread, exec checks through the ``ProcessSpawner``.
///
/// Scheduling: a probe's first run is at `initialDelay` plus a random phase in `[0, interval)`
/// after ``add(_:spec:environment:workingDirectory:)`` (so many probes with the same interval
/// spread out instead of firing together), then every `interval` from the previous *scheduled*
/// time, without drift. A run that is due while the previous run of the same probe is still in
/// flight is skipped and counted (``ProbeScheduleStats/skipped``). A hung endpoint costs only its
/// own probe's timeout: transfers are non-blocking and every other probe keeps its schedule.
///
/// Results: `onResult` is called on the engine's thread, once per completed run, never
/// concurrently with itself. It may call ``add(_:spec:environment:workingDirectory:)``,
/// ``remove(_:)`` and ``shutdown()`` but must not block waiting for another thread that calls
/// them. Once ``remove(_:)`` (or ``shutdown()``) returns, no further result for that key is
/// delivered — not even one from a run that was already finishing — so callers need not filter
/// late results (the key's generation still lets them, if they want to be doubly sure).
///
/// Threads: the engine thread (curl; libcurl may add its own resolver threads), plus the
/// spawner's and reaper's threads and one serial Dispatch queue for exec runs. Nothing runs on
/// Swift's cooperative pool.
public final class ProbeEngine: Sendable {
    private let mailbox = EngineMailbox()
    private let gate = ResultGate()
    private let recorder = ScheduleRecorder()
    private let stopped = DispatchGroup()

    /// The engine thread's name, as `top -H` and /proc/PID/task/TID/comm show it.
    public static let threadName = "sv-probes"

    /// Runs due together are started on wake-ups aligned to slots this wide (at most; shorter for
    /// probes with intervals under a second).
    public static var wakeSlotMilliseconds: Int { Int(ProbeLoop.slackNs / 1_000_000) }

    /// Starts the engine thread. `onResult` is called (from the engine's own thread) once per
    /// completed probe run.
    public init(spawner: ProcessSpawner, onResult: @escaping @Sendable (ProbeKey, ProbeResult) -> Void) {
        let (mailbox, gate, recorder, stopped) = (self.mailbox, self.gate, self.recorder, self.stopped)
        stopped.enter()
        startThread(named: ProbeEngine.threadName) {
            defer { stopped.leave() }
            guard let loop = ProbeLoop(mailbox: mailbox, gate: gate, recorder: recorder,
                                       spawner: spawner, onResult: onResult) else {
                // No curl: nothing can be probed. Close the gate and the mailbox so callers see
                // no results at all and commands do not pile up.
                gate.closeAll()
                mailbox.send(.shutdown)
                return
            }
            loop.run()
        }
    }

    deinit {
        gate.closeAll()
        mailbox.send(.shutdown)
    }

    /// Starts probing `key` with `spec` until ``remove(_:)``; replaces the probe if `key` is
    /// already probed. `environment` and `workingDirectory` are used for exec checks (the
    /// environment is complete: nothing is inherited; `PATH` defaults as for units).
    public func add(_ key: ProbeKey, spec: ProbeSpec, environment: [String: String], workingDirectory: String?) {
        guard let token = gate.open(key) else { return }
        mailbox.send(.add(key, token: token, spec: spec, environment: environment, workingDirectory: workingDirectory))
    }

    /// Stops probing `key`. A run in flight is cancelled (an HTTP/TCP transfer is aborted, an exec
    /// probe's process group gets SIGKILL). No result for `key` is delivered after this returns.
    public func remove(_ key: ProbeKey) {
        gate.close(key)
        mailbox.send(.remove(key))
    }

    /// How punctually probe runs started, since the engine was created or the last `reset`.
    public func scheduleStats(reset: Bool = false) -> ProbeScheduleStats {
        recorder.snapshot(reset: reset)
    }

    /// Stops every probe (as ``remove(_:)`` does), releases the multi handle and ends the engine
    /// thread. Waits for the thread unless called from `onResult`. Idempotent.
    public func shutdown() {
        gate.closeAll()
        mailbox.send(.shutdown)
        if !mailbox.onOwningThread { stopped.wait() }
    }
}
