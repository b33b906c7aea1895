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

    public init(key: String, match: Match, template: UnitSpec) {
        self.key = key
        self.match = match
        self.template = template
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
        let number = replica.map(String.init) ?? ""
        spec.liveness = spec.liveness.map { $0.filling(replica: number) }
        spec.readiness = spec.readiness.map { $0.filling(replica: number) }
        spec.drain = spec.drain.map { $0.filling(replica: number) }
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

extension ProbeSpec {
    /// The probe with `{replica}` replaced in its URL, host and command.
    func filling(replica: String) -> ProbeSpec {
        var copy = self
        func fill(_ s: String) -> String { s.split(separator: "{replica}", omittingEmptySubsequences: false).joined(separator: replica) }
        switch check {
        case .http(var http):
            http.url = fill(http.url)
            copy.check = .http(http)
        case .tcp(let host, let port):
            copy.check = .tcp(host: fill(host), port: port)
        case .exec(let command):
            copy.check = .exec(command: command.map(fill))
        }
        return copy
    }
}

extension DrainSpec {
    /// The drain with `{replica}` replaced in its request and progress URLs.
    func filling(replica: String) -> DrainSpec {
        var copy = self
        func fill(_ s: String) -> String {
            s.split(separator: "{replica}", omittingEmptySubsequences: false).joined(separator: replica)
        }
        if case .http(let url) = start { copy.start = .http(url: fill(url)) }
        copy.progress?.url = fill(progress?.url ?? "")
        return copy
    }
}
