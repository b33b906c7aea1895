/// One replica (container) of a Compose service, as its labels describe it.
///
/// Compose marks every container it makes with `com.docker.compose.project`, `com.docker.compose.service`,
/// `com.docker.compose.container-number` (1, 2, …) and `com.docker.compose.oneoff` (`True` for `docker-compose run`,
/// which is no replica). Names differ between Compose v1 (`project_service_N`) and v2 (`project-service-N`), so
/// replicas are found and numbered by their labels, never by their names.
public struct ComposeReplica: Sendable, Equatable {
    /// The container's full id.
    public var id: String
    /// The name without Docker's leading `/`: `voice_worker_3`.
    public var name: String
    /// `com.docker.compose.project`.
    public var project: String
    /// `com.docker.compose.service`.
    public var service: String
    /// `com.docker.compose.container-number`.
    public var number: Int
    /// The image as given at creation (`livekit/agent:1.2`).
    public var image: String
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var state: String
    /// Every label of the container.
    public var labels: [String: String]

    /// A replica from its parts.
    public init(id: String, name: String, project: String, service: String, number: Int, image: String, state: String,
                labels: [String: String]) {
        self.id = id
        self.name = name
        self.project = project
        self.service = service
        self.number = number
        self.image = image
        self.state = state
        self.labels = labels
    }

    /// The labels Compose reads.
    public enum Label {
        public static let project = "com.docker.compose.project"
        public static let service = "com.docker.compose.service"
        public static let number = "com.docker.compose.container-number"
        public static let oneOff = "com.docker.compose.oneoff"
        public static let configHash = "com.docker.compose.config-hash"
        /// Compose v2: the id of the image the container was made from.
        public static let image = "com.docker.compose.image"
        /// Compose v2: on a container that replaced another, the replaced one's name.
        public static let replace = "com.docker.compose.replace"
    }

    /// How a Compose version names containers.
    public enum NamingStyle: Sendable, Equatable {
        /// Compose v1 (`docker-compose`): `project_service_N`.
        case v1
        /// Compose v2 (`docker compose`): `project-service-N`.
        case v2

        var separator: String { self == .v1 ? "_" : "-" }
    }

    /// The name Compose gives replica `number` of `service` in `project`.
    public static func containerName(project: String, service: String, number: Int, style: NamingStyle = .v1) -> String {
        [project, service, String(number)].joined(separator: style.separator)
    }

    /// The style `name` follows for replica `number` (v1 when it is neither, as for a `container_name:`).
    public static func namingStyle(of name: String, project: String, service: String, number: Int) -> NamingStyle {
        name == containerName(project: project, service: service, number: number, style: .v2) ? .v2 : .v1
    }

    /// The replica a container summary describes: nil when it is not one (labels missing, a one-off container of
    /// `docker-compose run`, a number that is not a positive integer).
    public init?(_ summary: DockerContainerSummary) {
        let labels = summary.labels
        guard let project = labels[Label.project], let service = labels[Label.service],
              let number = labels[Label.number].flatMap({ Int($0) }), number > 0,
              labels[Label.oneOff]?.lowercased() != "true" else { return nil }
        self.init(id: summary.id, name: summary.names.first ?? "", project: project, service: service, number: number,
                  image: summary.image, state: summary.state, labels: labels)
    }
}
