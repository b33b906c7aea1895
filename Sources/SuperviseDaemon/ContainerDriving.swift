import SuperviseCore

/// Watches Docker for the configured container selectors and acts on containers
/// (``DockerWatcher``: the Engine API on its unix socket). What it sees reaches the loop as events
/// through the feed it was made with; a failed action comes back as `.containerActionFailed`.
package protocol ContainerDriving: Sendable {
    /// Where the engine is reached, for the log (`/run/docker.sock`).
    var endpoint: String { get }
    /// Starts watching (connect, subscribe to events, resync); idempotent.
    func start()
    /// Stops watching and closes the connection.
    func stop()
    /// Carries out the core's `action` on container `id` of `unit`, off the loop.
    func perform(unit: String, id: String, _ action: ContainerAction)
    /// Makes a Compose replica, off the loop; feeds `.replicaCreated` with its container, or
    /// `.replicaCreateFailed`.
    func createReplica(_ creation: ReplicaCreation)
}
