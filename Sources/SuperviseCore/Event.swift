/// What the shell tells the core about the world.
public enum Event: Sendable, Equatable {
    /// The process for `unit` is running as `pid`; `startTicks` (its start time from `/proc`) tells it
    /// apart from a later process that reuses the pid.
    case spawned(unit: String, pid: Int32, startTicks: UInt64 = 0)
    /// The process for `unit` could not be started.
    case spawnFailed(unit: String, reason: String)
    /// The main process `pid` of `unit` ended; `remaining` processes of the unit (in its cgroup,
    /// or its process group and what the subreaper learned) were still there when it was reaped;
    /// `oomKilled`: the kernel's OOM killer killed a process of the unit meanwhile (its cgroup's
    /// `memory.events`).
    case exited(unit: String, pid: Int32, status: ExitStatus, remaining: Int = 0, oomKilled: Bool = false)
    /// `count` processes of `unit` (whose main process `pid` has ended) are left; 0: it is empty.
    /// Reported after a `.watchUnit` effect, whenever the count changes.
    case remaining(unit: String, pid: Int32, count: Int)
    /// Time passed; timers due at or before `now` fire.
    case tick
    /// A new configuration was loaded and validated (SIGHUP).
    case reload(SupervisorConfig)
    /// Stop everything in reverse dependency order (SIGTERM/SIGINT).
    case shutdown
    /// One probe run finished.
    case probeResult(unit: String, role: ProbeRole, generation: UInt64, result: ProbeResult)
    /// The Docker API became reachable (`true`, after the shell's first resync) or was lost.
    case dockerConnection(connected: Bool, detail: String)
    /// The whole picture after a (re)connect: every container the selectors may match. Units whose
    /// container is missing are forgotten; containers that died unseen are healed.
    case containerResync([ContainerSnapshot])
    /// One container seen (created or started since the last resync).
    case containerSeen(ContainerSnapshot)
    /// Docker's event stream said something about container `id`.
    case container(id: String, ContainerEvent)
    /// A container action (restart, stop, kill) failed.
    case containerActionFailed(unit: String, id: String, reason: String)
    /// A drain progress reading (from the `.drain` probe of that generation), or why it failed.
    case drainProgress(unit: String, generation: UInt64, activeCalls: Int?, error: String?)
    /// A reading of an autoscaled service's triggers (taken every `autoscale.interval`).
    case autoscaleReading(service: String, AutoscaleReading)
    /// A replica asked for with `.createReplica` was made and started: its container as inspected.
    case replicaCreated(unit: String, ContainerSnapshot)
    /// A replica asked for with `.createReplica` could not be made (nothing of it is left).
    case replicaCreateFailed(unit: String, reason: String)
}
