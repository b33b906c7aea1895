import SuperviseCore

/// One probe as the engine thread tracks it: its schedule and its run in flight (the core keeps
/// the verdict, in its own `ProbeState`).
final class ScheduledProbe {
    enum Run {
        case curl(CurlTransfer)
        case exec(ExecProbeRun, run: UInt64)
    }

    let id: UInt64
    let key: ProbeKey
    /// The `add`'s token in the result gate.
    let token: UInt64
    let spec: ProbeSpec
    let environment: [String: String]
    let workingDirectory: String?
    let intervalNs: UInt64
    let timeoutMs: Int
    /// When the run in the heap is scheduled (monotonic nanoseconds).
    var nextDue: UInt64 = 0
    /// The run in flight, if any.
    var run: Run?

    init(id: UInt64, key: ProbeKey, token: UInt64, spec: ProbeSpec, environment: [String: String], workingDirectory: String?) {
        self.id = id
        self.key = key
        self.token = token
        self.spec = spec
        self.environment = environment
        self.workingDirectory = workingDirectory
        intervalNs = spec.interval.nanoseconds(atLeast: 1_000_000)
        timeoutMs = spec.timeout.probeMilliseconds
    }
}
