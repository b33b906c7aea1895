/// How `supervise run` was asked to run.
public struct DaemonOptions: Sendable {
    public var configPath: String
    /// Overrides `control.socket` from the file.
    public var socketPath: String?
    /// Overrides `state_dir` from the file.
    public var stateDirectory: String?
    public var logFormat: LogFormat
    /// A cgroup v2 directory to use as supervise's subtree (`--cgroup-root`); it must work.
    public var cgroupRoot: String?
    /// Process-group containment even where cgroups work (`--no-cgroups`).
    public var noCgroups = false
    /// Enable controllers for the units' cgroups; nil: only with an explicit `cgroupRoot`.
    public var cgroupControllers: Bool?

    public init(configPath: String, socketPath: String? = nil, stateDirectory: String? = nil, logFormat: LogFormat = .auto) {
        self.configPath = configPath
        self.socketPath = socketPath
        self.stateDirectory = stateDirectory
        self.logFormat = logFormat
    }
}
