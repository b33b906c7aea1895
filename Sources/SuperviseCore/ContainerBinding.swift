/// What the core knows of a container unit's container.
public struct ContainerBinding: Sendable, Hashable {
    public var id: String
    /// The `containers:` entry that selected it.
    public var selectorKey = ""
    public var containerName: String
    public var image: String
    public var replica: Int?
    /// Docker's restart policy for the container; when it restarts exits itself, supervise leaves them to it.
    public var dockerRestartPolicy: String
    /// Docker's HEALTHCHECK verdict, nil without one.
    public var health: ContainerHealth?
    /// A `kill` event came that supervise did not cause: someone is stopping the container
    /// (`docker stop`, `docker compose stop`), so its exit is not a crash.
    public var stoppedOutside = false
    /// The last `die` was an out-of-memory kill.
    public var oomKilled = false
    /// The container's main process while it runs, whatever the unit's state (an unhealthy
    /// container waiting out its restart backoff still runs), so a restarted daemon can tell
    /// the same run from a new one.
    public var runningPid: Int32?
    /// A stop Docker did not take (unreachable or refused): sent again after the next resync.
    public var stopUnsent = false

    public init(snapshot: ContainerSnapshot, replica: Int?) {
        id = snapshot.id
        containerName = snapshot.name
        image = snapshot.image
        self.replica = replica
        dockerRestartPolicy = snapshot.dockerRestartPolicy
        health = snapshot.health
    }

    /// Whether Docker itself restarts the container after its process exits with `code`.
    public func dockerRestartsExit(code: Int32) -> Bool {
        switch dockerRestartPolicy {
        case "always", "unless-stopped": true
        case "on-failure": code != 0
        default: false
        }
    }
}
