/// Why a unit went down before it was started again: the `reason` label of
/// `supervise_unit_restarts_total`. A small, fixed set, so the metric's series stay bounded.
public enum RestartCause: String, Sendable, Hashable, Codable, CaseIterable {
    /// Exited unsuccessfully (an exit code or signal outside the unit's successes), or could not start.
    case crash
    /// Exited successfully and restarted by policy `always`.
    case exit
    /// Killed by the kernel's OOM killer.
    case oom
    /// Its liveness probe (or Docker's HEALTHCHECK) failed.
    case unhealthy
    /// Alive but not ready: replaced through a drain.
    case unready
    /// `supervise restart`, or an operator's drain with `then: restart`.
    case `operator`
    /// Its configuration changed on a reload.
    case reload
    /// A rolling restart of its service.
    case rolling
}

/// How a drain ended: the `outcome` label of `supervise_drains_total`.
public enum DrainEnd: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every call finished before the deadline.
    case done
    /// The deadline cut it.
    case cut
    /// The worker hung while draining (liveness failed) and was stopped.
    case hung
}

/// Something worth counting that the core decided, for the shell's metrics. Not state: a
/// restarted daemon starts its counters from zero, as Prometheus counters may.
public enum Measurement: Sendable, Hashable {
    /// The unit was started again after going down for `cause`.
    case restarted(unit: String, cause: RestartCause)
    /// The start limit was hit: the unit gave up and is `failed`.
    case startLimitHit(unit: String)
    /// A drain ended; `callsCut` is nil when the calls a cut dropped are unknown.
    case drainEnded(unit: String, end: DrainEnd, duration: Duration, callsCut: Int?)
}
