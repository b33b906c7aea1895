import Dispatch
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The simulated worker: the single owner of the mutable `WorkerState`.
///
/// The state is confined to one event loop (`loop`) in a `NIOLoopBoundBox`, which checks on
/// every access that the caller is on that loop. Requests run there (the server uses a
/// one-thread event loop group), call timers and delayed exits are scheduled there, and the
/// signal handlers hop there with `loop.execute`. So there are no locks and no data races, and
/// log lines come out in the order the changes happened. Members other than `loop`, the
/// constants and `onLoop` must be called on `loop`.
final class Worker: Sendable {
    /// The `--name`, shown in log lines and `/worker`.
    let name: String
    /// This process's id, shown in `/worker`.
    let pid: Int32
    /// Log lines `agent-sim[NAME] ...` on standard output.
    let log: Log
    /// Seconds to keep serving after a drain finished, before exiting 0.
    let drainLinger: Double
    /// `/worker` leaves out fields at their zero value, as LiveKit's protobuf JSON does.
    let protobufJSON: Bool
    /// The event loop that owns the state and runs timers.
    let loop: any EventLoop
    /// The call queue (`--queue`) shown in `/worker`; nil when calls come only over HTTP.
    let queue: String?
    /// The most calls live at once for the queue thread to take another job (`--max-calls`).
    let maxCalls: Int
    /// Signalled when a call ends or a drain begins: wakes the queue thread waiting for a free slot.
    let queueWake = DispatchSemaphore(value: 0)
    private let box: NIOLoopBoundBox<WorkerState>

    init(name: String, loop: any EventLoop, healthy: Bool, hanging: Bool, drainLinger: Double, protobufJSON: Bool = false,
         queue: String? = nil, maxCalls: Int = 10) {
        self.name = name
        self.pid = getpid()
        self.log = Log(name: name)
        self.drainLinger = drainLinger
        self.protobufJSON = protobufJSON
        self.loop = loop
        self.queue = queue
        self.maxCalls = maxCalls
        self.box = .makeBoxSendingValue(WorkerState(healthy: healthy, hanging: hanging), eventLoop: loop)
    }

    /// Runs `body` on `loop`, from any thread.
    func onLoop(_ body: @escaping @Sendable (Worker) -> Void) {
        loop.execute { [self] in body(self) }
    }

    /// Reads or changes the state. On `loop` only.
    func withState<T>(_ body: (inout WorkerState) -> T) -> T {
        box.withValue(body)
    }

    /// Whether the worker has stopped answering requests.
    var isHanging: Bool { withState { $0.hanging } }

    /// Whether `GET /` answers 200.
    var isHealthy: Bool { withState { $0.healthy } }

    /// The `/worker` document.
    func statusJSON() -> String {
        withState { state in
            var object = JSONObject(omittingZeroValues: protobufJSON)
            object.add("name", name)
            object.add("pid", Int(pid))
            object.add("active_jobs", state.activeJobs)
            object.add("draining", state.draining)
            object.add("accepting", state.accepting)
            object.add("healthy", state.healthy)
            object.add("calls_started", state.callsStarted)
            object.add("calls_completed", state.callsCompleted)
            object.add("calls_refused", state.callsRefused)
            object.add("calls_cut", state.callsCut)
            if let queue {
                object.add("max_calls", maxCalls)
                object.add("queue", queue)
                object.add("queue_connected", state.queueConnected)
                object.add("queue_taken", state.queueTaken)
                object.add("queue_invalid", state.queueInvalid)
                object.add("queue_returned", state.queueReturned)
            }
            return object.text
        }
    }

    /// Makes `GET /` answer 200 (`true`) or 503 (`false`).
    func setHealthy(_ healthy: Bool) {
        withState { $0.healthy = healthy }
        log(healthy ? "healthy" : "unhealthy")
    }

    /// Stops answering requests, for good.
    func hang() {
        withState { $0.hanging = true }
        log("hanging")
    }

    /// Runs `action` on `loop` after `seconds`.
    func after(seconds: Double, _ action: @escaping @Sendable () -> Void) {
        loop.scheduleTask(in: .nanoseconds(Int64((seconds * 1e9).rounded()))) { action() }
    }

    /// Aborts the process (SIGABRT) after `seconds`.
    func crash(after seconds: Double, reason: String) {
        after(seconds: seconds) { [self] in
            log("\(reason): crashing (abort)")
            Termination.crash()
        }
    }

    /// Exits with `code` after `seconds`.
    func exit(code: Int32, after seconds: Double, reason: String) {
        after(seconds: seconds) { [self] in
            log("\(reason): exiting \(code)")
            Termination.exit(code)
        }
    }
}
