/// Docker's own health verdict for a container with a HEALTHCHECK.
public enum ContainerHealth: String, Sendable, Codable {
    case starting, healthy, unhealthy
}

/// What the shell saw of one container (`GET /containers/json` + inspect), the core's only view
/// of Docker's state.
public struct ContainerSnapshot: Sendable, Hashable, Codable {
    public var id: String
    /// Container name without Docker's leading slash.
    public var name: String
    public var image: String
    public var labels: [String: String]
    public var running: Bool
    /// The container's main process on the host (0 when not running).
    public var pid: Int32
    /// Exit code of the last run (when not running).
    public var exitCode: Int32?
    public var oomKilled: Bool
    /// nil without a HEALTHCHECK.
    public var health: ContainerHealth?
    /// Docker's restart policy name: `no`, `always`, `unless-stopped`, `on-failure`.
    public var dockerRestartPolicy: String

    public init(id: String, name: String, image: String = "", labels: [String: String] = [:], running: Bool,
                pid: Int32 = 0, exitCode: Int32? = nil, oomKilled: Bool = false, health: ContainerHealth? = nil,
                dockerRestartPolicy: String = "no") {
        self.id = id
        self.name = name
        self.image = image
        self.labels = labels
        self.running = running
        self.pid = pid
        self.exitCode = exitCode
        self.oomKilled = oomKilled
        self.health = health
        self.dockerRestartPolicy = dockerRestartPolicy
    }

    /// Docker reports a process killed by signal N as exit code 128+N.
    public static func exitStatus(code: Int32) -> ExitStatus {
        code > 128 && code < 128 + 65 ? .signaled(signal: code - 128, coreDumped: false) : .exited(code: code)
    }
}

/// One thing Docker's event stream said about a container.
public enum ContainerEvent: Sendable, Hashable, Codable {
    case started
    case died(exitCode: Int32)
    case oom
    /// A `kill` event: someone sent the container a signal (`docker stop` sends SIGTERM first).
    case killed(signal: Int32)
    /// A `stop` event: `docker stop` (or `docker compose stop`) completed.
    case stopped
    /// A `destroy` event: the container was removed.
    case destroyed
    /// A `health_status` event; `detail` is the last HEALTHCHECK output when the shell has it.
    case health(ContainerHealth, detail: String?)
}

/// What the core asks Docker to do with a container unit's container.
public enum ContainerAction: Sendable, Hashable, Codable {
    /// `POST /containers/{id}/restart?t=`: stops a running container (SIGKILL after `timeout`) and starts it.
    case restart(timeout: Duration)
    /// `POST /containers/{id}/stop?t=`.
    case stop(timeout: Duration)
    /// `POST /containers/{id}/kill?signal=`.
    case kill(signal: Int32)
    /// A replica taken out of its service: stopped (SIGKILL after `timeout`), then deleted with its
    /// anonymous volumes. Success shows as Docker's `destroy` event.
    case remove(timeout: Duration)
}
