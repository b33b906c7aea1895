/// Where something was written: a file, a 1-based line and column (0 when unknown) and a dotted key path.
public struct SourcePlace: Sendable, Hashable, CustomStringConvertible {
    /// The file as it was named to the export.
    public var file: String
    /// 1-based; 0 when unknown.
    public var line: Int
    /// 1-based, in Unicode scalars; 0 when unknown.
    public var column: Int
    /// Dotted, such as `services.api.healthcheck`; list items as `ports[0]`.
    public var keyPath: String

    /// A place; `line` and `column` 0 when unknown.
    public init(file: String, line: Int = 0, column: Int = 0, keyPath: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
    }

    /// `FILE:LINE:COLUMN: KEYPATH`, the position left out when unknown.
    public var description: String {
        (line > 0 ? "\(file):\(line):\(column)" : file) + (keyPath.isEmpty ? "" : ": \(keyPath)")
    }
}

/// A published or exposed port of a Compose service (`ports:`).
public struct ComposePort: Sendable, Hashable {
    /// The port inside the container.
    public var target: Int
    /// The host port; nil when Docker picks one (`"8000"`).
    public var published: Int?
    /// The host address it is published on (`127.0.0.1` in `"127.0.0.1:8000:8000"`); nil: every address.
    public var hostIP: String?
    /// `TCP`, `UDP` or `SCTP`, as Kubernetes spells it.
    public var proto: String

    /// A port; published on every address by default, TCP.
    public init(target: Int, published: Int? = nil, hostIP: String? = nil, proto: String = "TCP") {
        self.target = target
        self.published = published
        self.hostIP = hostIP
        self.proto = proto
    }
}

/// CPU and memory of `deploy.resources.limits` or `deploy.resources.reservations`.
public struct ComposeResources: Sendable, Hashable {
    /// `cpus`, in thousandths of a CPU (`0.5` → 500).
    public var milliCPU: Int?
    /// `memory`, in bytes.
    public var memoryBytes: Int64?

    /// Amounts; nil where Compose gives none.
    public init(milliCPU: Int? = nil, memoryBytes: Int64? = nil) {
        self.milliCPU = milliCPU
        self.memoryBytes = memoryBytes
    }

    var isEmpty: Bool { milliCPU == nil && memoryBytes == nil }
}

/// A service's `healthcheck:` (Docker's HEALTHCHECK), with Docker's defaults where a key is left out.
public struct ComposeHealthcheck: Sendable, Hashable {
    /// The check as an argv: `["CMD", a, b]` → `[a, b]`; `CMD-SHELL s` or a string → `["/bin/sh", "-c", s]`.
    public var command: [String]
    /// Time between two checks.
    public var interval: Duration
    /// A check taking longer fails.
    public var timeout: Duration
    /// Consecutive failures that make the container unhealthy.
    public var retries: Int
    /// Failures in it after the start do not count.
    public var startPeriod: Duration
    /// Where `healthcheck` was written.
    public var place: SourcePlace

    /// Docker's defaults: 30 s, 30 s, 3 retries, no start period.
    public static let defaultInterval = Duration.seconds(30)
    public static let defaultTimeout = Duration.seconds(30)
    public static let defaultRetries = 3
}

/// One entry of a service's `depends_on`.
public struct ComposeDependency: Sendable, Hashable {
    /// The service waited for.
    public var service: String
    /// `service_started` (also for the list form), `service_healthy` or `service_completed_successfully`.
    public var condition: String
    /// Where the entry was written.
    public var place: SourcePlace
}

/// One service of a Compose project, its files merged (later files win key by key, as `docker compose -f a -f b`).
public struct ComposeService: Sendable, Hashable {
    /// The service's name in the Compose files.
    public var name: String
    /// Where the service was first defined.
    public var place: SourcePlace
    /// `image`, interpolated; nil for a service only built (`build:`).
    public var image: String?
    /// Where the winning `image` was written.
    public var imagePlace: SourcePlace?
    /// `command`: the image's CMD replaced (Kubernetes' `args`).
    public var command: [String]?
    /// `entrypoint`: the image's ENTRYPOINT replaced (Kubernetes' `command`).
    public var entrypoint: [String]?
    /// `environment`, in the order first written; a later file's value replaces an earlier one's.
    public var environment: [EnvironmentVariable] = []
    /// `env_file` entries (not exported: their contents belong in a Secret or ConfigMap).
    public var envFiles: [(file: String, place: SourcePlace)] = []
    /// `ports`, short and long forms, ranges expanded.
    public var ports: [ComposePort] = []
    /// `deploy.replicas` (or the older `scale`).
    public var replicas: Int?
    /// `deploy.resources.limits`.
    public var limits = ComposeResources()
    /// `deploy.resources.reservations`.
    public var reservations = ComposeResources()
    /// Nil without one; `disable: true` and `test: ["NONE"]` leave it nil too.
    public var healthcheck: ComposeHealthcheck?
    /// `depends_on`, both forms.
    public var dependsOn: [ComposeDependency] = []
    /// `restart`: `no`, `always`, `on-failure[:N]`, `unless-stopped`.
    public var restart: String?
    /// Where `restart` was written.
    public var restartPlace: SourcePlace?
    /// `labels`, in the order first written.
    public var labels: [(key: String, value: String)] = []
    /// `stop_grace_period`.
    public var stopGracePeriod: Duration?
    /// Keys of the service that the export does not carry over, each once, with where it was written.
    public var unexported: [SourcePlace] = []

    /// A service with nothing set yet.
    public init(name: String, place: SourcePlace) {
        self.name = name
        self.place = place
    }

    /// Equal when every field is.
    public static func == (a: ComposeService, b: ComposeService) -> Bool {
        a.name == b.name && a.place == b.place && a.image == b.image && a.command == b.command
            && a.entrypoint == b.entrypoint && a.environment == b.environment && a.envFiles.map(\.file) == b.envFiles.map(\.file)
            && a.ports == b.ports && a.replicas == b.replicas && a.limits == b.limits && a.reservations == b.reservations
            && a.healthcheck == b.healthcheck && a.dependsOn == b.dependsOn && a.restart == b.restart
            && a.labels.map(\.key) == b.labels.map(\.key) && a.labels.map(\.value) == b.labels.map(\.value)
            && a.stopGracePeriod == b.stopGracePeriod && a.unexported == b.unexported
    }

    /// Hashes the name and place.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(place)
    }
}

/// A variable of a service's environment.
public struct EnvironmentVariable: Sendable, Hashable {
    /// The variable's name.
    public var name: String
    /// Its value, interpolated.
    public var value: String

    /// A variable.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The services of one or more Compose files, merged.
public struct ComposeProject: Sendable {
    /// The top-level `name:`, if a file has one.
    public var name: String?
    /// In the order first defined.
    public var services: [ComposeService]
    /// The files, in the order given.
    public var files: [String]
    /// What the files hold that is not exported (top-level keys, service keys, unset variables), with where.
    public var notices: [ExportNotice]

    /// The service called `name`, if a file defines it.
    public func service(named name: String) -> ComposeService? { services.first { $0.name == name } }
}
