/// What the shell tells the core about the world.
public enum Event: Sendable, Equatable {
    /// The process for `unit` is running as `pid`; `startTicks` (its start time from `/proc`) tells it
    /// apart from a later process that reuses the pid.
    case spawned(unit: String, pid: Int32, startTicks: UInt64 = 0)
    /// The process for `unit` could not be started.
    case spawnFailed(unit: String, reason: String)
    /// A process of `unit` ended.
    case exited(unit: String, pid: Int32, status: ExitStatus)
    /// Time passed; timers due at or before `now` fire.
    case tick
    /// A new configuration was loaded and validated (SIGHUP).
    case reload(SupervisorConfig)
    /// Stop everything in reverse dependency order (SIGTERM/SIGINT).
    case shutdown
    /// One probe run finished.
    case probeResult(unit: String, role: ProbeRole, generation: UInt64, result: ProbeResult)
}
