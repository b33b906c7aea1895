/// How `supervise run` was asked to run.
public struct DaemonOptions: Sendable {
    public var configPath: String
    /// Overrides `control.socket` from the file.
    public var socketPath: String?
    /// Overrides `state_dir` from the file.
    public var stateDirectory: String?
    public var logFormat: LogFormat

    public init(configPath: String, socketPath: String? = nil, stateDirectory: String? = nil, logFormat: LogFormat = .auto) {
        self.configPath = configPath
        self.socketPath = socketPath
        self.stateDirectory = stateDirectory
        self.logFormat = logFormat
    }
}
