/// What a unit's processes use, read from its cgroup (`cgroup.procs`, `cpu.stat`,
/// `memory.current`, `memory.peak`, `memory.events`). Without a cgroup (process-group
/// containment) only the process count is known.
public struct UnitResources: Sendable, Codable, Equatable {
    /// Processes of the unit (its main process and everything it started that is still alive).
    public var processes: Int
    /// CPU time used by the unit's cgroup since it was made (user and system).
    public var cpuSeconds: Double?
    /// Memory charged to the unit now; nil where the memory controller is not delegated.
    public var memoryBytes: UInt64?
    /// The most memory charged to the unit's cgroup at once (kernel 5.19+).
    public var memoryPeakBytes: UInt64?
    /// Processes of the unit the kernel's OOM killer has killed.
    public var oomKills: Int?

    public init(processes: Int, cpuSeconds: Double? = nil, memoryBytes: UInt64? = nil, memoryPeakBytes: UInt64? = nil,
                oomKills: Int? = nil) {
        self.processes = processes
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.memoryPeakBytes = memoryPeakBytes
        self.oomKills = oomKills
    }
}

/// How the daemon holds each unit's processes together, as `status` shows it.
public struct ContainmentStatus: Sendable, Codable, Equatable {
    /// `cgroup` (a cgroup v2 cgroup per unit) or `process-group` (the fallback).
    public var mode: String
    /// The delegated cgroup directory, in cgroup mode.
    public var root: String?
    /// Controllers enabled for the units' cgroups (memory accounting needs `memory`).
    public var controllers: [String]?
    /// Why there is no cgroup containment, in the fallback mode.
    public var reason: String?

    public init(mode: String, root: String? = nil, controllers: [String]? = nil, reason: String? = nil) {
        self.mode = mode
        self.root = root
        self.controllers = controllers
        self.reason = reason
    }

    /// One line for the log and `supervise status`.
    public var description: String {
        if mode == "cgroup" {
            return "containment: cgroup v2, one cgroup per unit under \(root ?? "?")/units"
                + ((controllers ?? []).isEmpty ? " (no controllers delegated: no memory accounting)" : " (controllers: \((controllers ?? []).joined(separator: " ")))")
        }
        return "containment: process groups and the subreaper (no cgroup: \(reason ?? "not available"))"
    }
}
