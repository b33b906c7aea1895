import Foundation

/// Replicas of Compose services made and removed through the Engine API, the way Compose makes them.
///
/// Why the Engine API and not `docker-compose up -d --scale SERVICE=N`: the CLI cannot add *one* replica — `--scale`
/// converges the whole service, so it also recreates every replica whose configuration hash differs from the file's
/// (a changed file or image), and removes replicas above N (highest numbers first, with the service's short stop
/// grace, cutting their calls), which supervise must only ever do by drain. Nor can it start a replica with another
/// image while the old ones keep running, which a rollout needs. It also needs the project's files and
/// environment (`.env`, `-f`, `-p`) exactly as the operator uses them, a Python v1 or a Go v2 binary on the host,
/// and costs a process start per step. The API copies an existing replica, so it needs none of that and works the
/// same under Compose v1 and v2, whichever made the project. docs/replicas.md has what Compose does afterwards with a
/// replica made here.
extension DockerClient {
    /// The replicas of `service` in Compose project `project` (running or not; `docker-compose run` containers are
    /// no replicas), by number.
    public func composeReplicas(project: String, service: String) async throws -> [ComposeReplica] {
        let filters = DockerFilters.composeProject(project).label(ComposeReplica.Label.service, service)
        return try await listContainers(filters: filters, all: true).compactMap(ComposeReplica.init).sorted { $0.number < $1.number }
    }

    /// Makes a new replica of the source's service from the replica `source` (an id or name) and starts it.
    ///
    /// The new container is the source's configuration (``ReplicaBlueprint`` lists what is copied and what is not),
    /// with `image` instead of the source's when given (a rollout), `com.docker.compose.container-number` set to
    /// `number` (default: one above the highest of the service's replicas, stopped ones included, as Compose counts),
    /// and the name Compose gives that number, in the source's style (`project_service_N` for v1,
    /// `project-service-N` for v2). It is created, connected to the source's other networks with their aliases
    /// (the service's name among them, so the service name resolves to it too), then started. A replica that
    /// cannot be connected or started is removed again before the error is thrown.
    ///
    /// Two calls at once for one service may pick the same number: the second then fails with Docker's name
    /// conflict (409); make one replica of a service at a time.
    ///
    /// - Returns: the new replica, running (not necessarily healthy yet).
    public func createComposeReplica(from source: String, image: String? = nil, number: Int? = nil) async throws -> ComposeReplica {
        let inspected = try await call(.get, "/containers/\(QueryEncoding.encode(source))/json", container: source).body
        let container = try DockerContainer.decode(inspected)
        guard let project = container.labels[ComposeReplica.Label.project],
              let service = container.labels[ComposeReplica.Label.service],
              let sourceNumber = container.labels[ComposeReplica.Label.number].flatMap({ Int($0) }) else {
            throw DockerError.invalidResponse("container \(container.name) is no replica of a Compose service (no compose labels)")
        }
        let replicaNumber: Int
        if let number {
            replicaNumber = number
        } else {
            let existing = try await composeReplicas(project: project, service: service)
            replicaNumber = (existing.map(\.number).max() ?? sourceNumber) + 1
        }
        let sourceImage = try await call(.get, "/images/\(QueryEncoding.encode(container.imageID))/json", container: nil).body
        var override: (reference: String, id: String?)?
        if let image {
            let inspectedImage = try await call(.get, "/images/\(QueryEncoding.encode(image))/json", container: nil).body
            override = (image, Self.imageID(inspectedImage))
        }
        let style = ComposeReplica.namingStyle(of: container.name, project: project, service: service, number: sourceNumber)
        let name = ComposeReplica.containerName(project: project, service: service, number: replicaNumber, style: style)
        let blueprint = try ReplicaBlueprint.make(container: inspected, sourceImage: sourceImage, image: override,
                                                  number: replicaNumber, name: name)

        let created = try await call(.post, "/containers/create", query: [("name", name)], container: nil,
                                     jsonBody: blueprint.createBody)
        guard let id = Self.createdID(created.body) else {
            throw DockerError.invalidResponse("POST /containers/create answered without an Id")
        }
        do {
            for connection in blueprint.connections {
                var body = try JSONSerialization.jsonObject(with: Data(connection.body.utf8)) as? [String: Any] ?? [:]
                body["Container"] = id
                _ = try await call(.post, "/networks/\(QueryEncoding.encode(connection.network))/connect", container: nil,
                                   jsonBody: try ReplicaBlueprint.json(body))
            }
            try await start(id)
        } catch {
            try? await removeContainer(id, force: true, volumes: true)
            throw error
        }
        let made = try await inspect(id)
        return ComposeReplica(id: id, name: made.name, project: project, service: service, number: replicaNumber,
                              image: made.image, state: made.state.status, labels: made.labels)
    }

    /// Removes a replica: stops it (its stop signal, SIGKILL after `stopTimeoutSeconds`; a negative timeout waits
    /// without limit), then deletes it, with its anonymous volumes unless `removeAnonymousVolumes` is false (named
    /// volumes and binds are never touched). Drain it first: this cuts whatever it still does at the timeout.
    /// A replica already gone is not an error.
    public func removeComposeReplica(_ id: String, stopTimeoutSeconds: Int, removeAnonymousVolumes: Bool = true) async throws {
        do {
            try await stop(id, timeoutSeconds: stopTimeoutSeconds)
            try await removeContainer(id, force: false, volumes: removeAnonymousVolumes)
        } catch DockerError.noSuchContainer {
            return
        }
    }

    /// `DELETE /containers/{id}?force=&v=`: removes a container (`force`: even a running one, killed first), with its
    /// anonymous volumes when `volumes`. Throws ``DockerError/noSuchContainer(_:)`` when it is gone.
    public func removeContainer(_ id: String, force: Bool = false, volumes: Bool = false) async throws {
        _ = try await call(.delete, "/containers/\(QueryEncoding.encode(id))",
                           query: [("force", force ? "1" : "0"), ("v", volumes ? "1" : "0")], container: id)
    }

    /// The `Id` of a create answer (`{"Id":"…","Warnings":[]}`).
    static func createdID(_ body: [UInt8]) -> String? {
        struct Created: Decodable { var Id: String }
        return try? JSONDecoder().decode(Created.self, from: Data(body)).Id
    }

    /// The `Id` of an image inspect answer.
    static func imageID(_ body: [UInt8]) -> String? {
        struct Image: Decodable { var Id: String }
        return try? JSONDecoder().decode(Image.self, from: Data(body)).Id
    }
}
