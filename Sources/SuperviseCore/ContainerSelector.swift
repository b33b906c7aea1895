/// Which containers a `containers:` entry of the configuration supervises, and how.
///
/// Units are discovered, not listed: every container the selector matches becomes a unit named
/// `SERVICE-N` (Compose) or after the entry (a named container), with the entry's policy.
public struct ContainerSelector: Sendable, Hashable, Codable {
    public enum Match: Sendable, Hashable, Codable {
        /// Every replica of a Compose service: labels `com.docker.compose.project` (when given) and
        /// `com.docker.compose.service`; one-off containers (`docker compose run`) are skipped.
        case compose(project: String?, service: String)
        /// The container with this name.
        case name(String)
        /// Every container carrying the label (with this value, when given).
        case label(key: String, value: String?)
    }

    /// The entry's key in the configuration.
    public var key: String
    public var match: Match
    /// Policy for every unit the selector yields: restart, stop timeout, probes. Its name is the key.
    public var template: UnitSpec
    /// The replica count, rollout and autoscaler settings of a `compose` entry (set for every one, with the
    /// defaults when the entry gives none); nil for `container` and `label` entries, which supervise does not scale.
    public var replicas: ReplicaSettings?

    public init(key: String, match: Match, template: UnitSpec, replicas: ReplicaSettings? = nil) {
        self.key = key
        self.match = match
        self.template = template
        self.replicas = replicas
    }

    static let projectLabel = "com.docker.compose.project"
    static let serviceLabel = "com.docker.compose.service"
    static let numberLabel = "com.docker.compose.container-number"
    static let oneoffLabel = "com.docker.compose.oneoff"

    /// The unit name and replica number for `container`, or nil when the selector does not match it.
    public func unit(for container: ContainerSnapshot) -> (name: String, replica: Int?)? {
        let labels = container.labels
        switch match {
        case .compose(let project, let service):
            guard labels[Self.serviceLabel] == service, project.map({ labels[Self.projectLabel] == $0 }) ?? true,
                  labels[Self.oneoffLabel]?.lowercased() != "true",
                  let number = labels[Self.numberLabel].flatMap({ Int($0) }) else { return nil }
            return ("\(service)-\(number)", number)
        case .name(let name):
            return container.name == name ? (key, nil) : nil
        case .label(let labelKey, let value):
            guard let found = labels[labelKey], value.map({ $0 == found }) ?? true else { return nil }
            return ("\(key)-\(container.name)", nil)
        }
    }

    /// The spec of the unit called `name` for `replica`: the template with `{replica}` filled in
    /// probe URLs and the drain's URLs.
    public func spec(name: String, replica: Int?) -> UnitSpec {
        var spec = template
        spec.name = name
        spec.kind = .container
        let values = ReplicaValues(replica: replica.map(String.init) ?? "")
        spec.liveness = spec.liveness.map { $0.filling(values) }
        spec.readiness = spec.readiness.map { $0.filling(values) }
        spec.drain = spec.drain.map { $0.filling(values) }
        return spec
    }
}

/// Where the Docker API is and which Compose project is watched.
public struct DockerSettings: Sendable, Hashable, Codable {
    /// Path of the Docker unix socket, as `docker.socket` names it; nil when the configuration names none. The daemon
    /// then takes `DOCKER_HOST` (`unix:///path` only; any other scheme is refused), else ``defaultSocketPath``, and
    /// sets the result here when it loads the configuration.
    public var socketPath: String?
    /// When set, only containers of this Compose project are watched.
    public var project: String?

    public static let defaultSocketPath = "/var/run/docker.sock"

    public init(socketPath: String? = nil, project: String? = nil) {
        self.socketPath = socketPath
        self.project = project
    }
}
