import Dispatch
import SuperviseCore
import SuperviseProcess

/// One run of an exec probe: spawn, capture the output tail, enforce the timeout, report once.
///
/// Runs entirely off the engine's curl thread: the spawner forks on its own queue, exits arrive
/// from the reaper thread, output from the capture queue, the timeout from a Dispatch timer.
/// Every event hops onto the one serial `queue` shared by all exec runs, so the run's state is
/// only ever touched there.
///
/// - Timeout: the process group gets SIGKILL and `timeout after N ms` is reported once the
///   killed process has been reaped (so it is gone when the result arrives), or at the latest
///   `reapGrace` after the kill if it cannot be reaped (e.g. stuck in uninterruptible sleep).
/// - Exit 0 is reported at once. A failure waits up to `outputSettle` for the output that was
///   written before the exit but is still in the pipe, so the tail is complete.
/// - When the main process exits, whatever it left in its process group is killed too (a probe
///   must not leave processes behind, nor keep its output pipe open).
final class ExecProbeRun: @unchecked Sendable {
    // @unchecked: every mutable property is only touched on `queue` (see the type's doc).
    static let outputSettle: DispatchTimeInterval = .milliseconds(50)
    static let reapGrace: DispatchTimeInterval = .seconds(1)

    private let queue: DispatchQueue
    private let spawner: ProcessSpawner
    private let timeoutMs: Int
    private let started: UInt64
    private let report: @Sendable (ProbeResult) -> Void

    private var pid: Int32?
    private var tail = OutputTail()
    private var timedOutAt: UInt64?
    private var exited = false
    private var cancelled = false
    private var finished = false

    /// Starts the run now; `report` is called exactly once unless the run is cancelled first.
    init(spec: UnitSpec, timeoutMs: Int, spawner: ProcessSpawner, queue: DispatchQueue,
         report: @escaping @Sendable (ProbeResult) -> Void) {
        self.queue = queue
        self.spawner = spawner
        self.timeoutMs = timeoutMs
        self.started = MonotonicTime.now()
        self.report = report
        spawner.spawn(
            spec,
            contained: false,
            onLine: { [self] _, _, line in queue.async { self.tail.append(line) } },
            onExit: { [self] end in
                let (pid, status) = (end.pid, end.status)
                // Whatever the command left in its process group goes with it. Done here, on the
                // reaper thread right after the reap, so the pid has had no time to be reused.
                spawner.signalGroup(pid: pid, signal: Signals.kill)
                queue.async { self.processExited(status) }
            },
            completion: { [self] result in queue.async { self.spawned(result) } })
        queue.asyncAfter(deadline: .now() + .milliseconds(timeoutMs)) { [self] in self.timeoutFired() }
    }

    /// Stops the run without reporting: kills its process group if it is still running.
    func cancel() {
        queue.async { [self] in
            guard !finished, !cancelled else { return }
            cancelled = true
            if let pid, !exited { spawner.signalGroup(pid: pid, signal: Signals.kill) }
        }
    }

    private func spawned(_ result: Result<Int32, SpawnError>) {
        switch result {
        case .failure(let error):
            finish(ProbeResult(healthy: false, latency: .monotonic(from: started, to: MonotonicTime.now()),
                               failure: error.description))
        case .success(let pid):
            self.pid = pid
            // Timed out or cancelled while the spawn was still queued.
            if timedOutAt != nil || cancelled { spawner.signalGroup(pid: pid, signal: Signals.kill) }
        }
    }

    private func processExited(_ status: ExitStatus) {
        let now = MonotonicTime.now()
        exited = true
        if let timedOutAt {
            finish(timeoutResult(at: timedOutAt))
            return
        }
        let latency = Duration.monotonic(from: started, to: now)
        if status == .exited(code: 0) {
            finish(ProbeResult(healthy: true, latency: latency))
            return
        }
        queue.asyncAfter(deadline: .now() + Self.outputSettle) { [self] in
            finish(ProbeResult(healthy: false, latency: latency, failure: FailureText.exec(status, outputTail: tail.text)))
        }
    }

    private func timeoutFired() {
        guard !finished, !exited, !cancelled else { return }
        timedOutAt = MonotonicTime.now()
        if let pid { spawner.signalGroup(pid: pid, signal: Signals.kill) }
        queue.asyncAfter(deadline: .now() + Self.reapGrace) { [self] in
            if let timedOutAt { finish(timeoutResult(at: timedOutAt)) }
        }
    }

    private func timeoutResult(at time: UInt64) -> ProbeResult {
        ProbeResult(healthy: false, latency: .monotonic(from: started, to: time),
                    failure: FailureText.timeout(milliseconds: timeoutMs))
    }

    private func finish(_ result: ProbeResult) {
        guard !finished else { return }
        finished = true
        if !cancelled { report(result) }
    }
}
