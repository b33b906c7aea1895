/// The control socket and who may change state through it.
public struct ControlSettings: Sendable, Hashable, Codable {
    public var socketPath: String
    /// Group whose members (besides root) may change state; nil: root only.
    public var group: String?
    /// Permission bits of the socket file.
    public var socketMode: UInt32

    public static let defaultSocketPath = "/run/supervise/control.sock"

    public init(socketPath: String = ControlSettings.defaultSocketPath, group: String? = nil, socketMode: UInt32 = 0o660) {
        self.socketPath = socketPath
        self.group = group
        self.socketMode = socketMode
    }
}

/// A whole, validated configuration.
public struct SupervisorConfig: Sendable, Hashable, Codable {
    /// Units in file order; a replicated process unit appears as its configured replicas `NAME-1` … `NAME-N`,
    /// at its place in the file.
    public var units: [UnitSpec]
    /// The replicated process units (`replicas:` or `autoscale:`), in file order; their replicas are in ``units``.
    public var services: [ProcessService]
    /// Container selectors, in file order; the first that matches a container owns it.
    public var containers: [ContainerSelector]
    public var docker: DockerSettings
    public var control: ControlSettings
    /// Where state that must survive a restart of the daemon is kept.
    public var stateDirectory: String
    /// Redis lists whose length is reported, in file order.
    public var queues: [QueueSpec]
    /// Who is told about events (`notify:`); nobody by default.
    public var notify: NotifySpec
    /// The Prometheus listener (`metrics:`); none by default (the control socket answers `/metrics`).
    public var metrics: MetricsSettings

    public static let defaultStateDirectory = "/var/lib/supervise"

    public init(units: [UnitSpec], containers: [ContainerSelector] = [], docker: DockerSettings = DockerSettings(),
                control: ControlSettings = ControlSettings(),
                stateDirectory: String = SupervisorConfig.defaultStateDirectory, queues: [QueueSpec] = [],
                notify: NotifySpec = .none, metrics: MetricsSettings = MetricsSettings(),
                services: [ProcessService] = []) {
        self.metrics = metrics
        self.units = units
        self.services = services
        self.containers = containers
        self.docker = docker
        self.control = control
        self.stateDirectory = stateDirectory
        self.queues = queues
        self.notify = notify
    }
}
