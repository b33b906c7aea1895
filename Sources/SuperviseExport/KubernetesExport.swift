import SuperviseConfig
import SuperviseCore

/// Why an export could not be made.
public enum ExportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `--service NAME` names no exportable service; `available` lists those that are.
    case unknownService(String, available: [String])
    /// A `compose` entry's service is in none of the Compose files.
    case serviceNotInCompose(entry: String, service: String, configFile: String, composeFiles: [String], available: [String])
    /// A service without an image (built by Compose): a cluster has nothing to pull.
    case noImage(service: String, place: SourcePlace)

    /// One line, as the CLI prints it.
    public var description: String {
        switch self {
        case .unknownService(let name, let available):
            "no container service named \"\(name)\" to export; services: "
                + (available.isEmpty ? "none (the configuration has no compose entries)" : available.joined(separator: ", "))
        case .serviceNotInCompose(let entry, let service, let configFile, let files, let available):
            "\(configFile): containers.\(entry).compose: found the service \"\(service)\", which none of "
                + "\(files.joined(separator: ", ")) defines, expected a service of the Compose files ("
                + available.joined(separator: ", ") + "); give the file that defines it with another --compose"
        case .noImage(let service, let place):
            "\(place): found no image for \(service), expected an image a cluster can pull (a service built by "
                + "Compose must be pushed to a registry first, and named with image:)"
        }
    }
}

/// The result of an export: the objects, their YAML, and the notices.
public struct KubernetesExportResult: Sendable {
    /// The objects, in the order written.
    public var manifests: [Manifest]
    /// Multi-document YAML: a comment naming the inputs, then each object, `---` before each.
    public var yaml: String
    /// Everything that has no Kubernetes counterpart or was changed on the way, in the order met.
    public var notices: [ExportNotice]
}

/// `supervise export kubernetes`: the container services of a configuration (its `compose` entries), with their
/// images, commands, environment, ports and resources from the Compose files, as Kubernetes manifests.
///
/// For each service, in the configuration's order: a `Service` when Compose publishes ports, a `Deployment` (probes,
/// drain as termination, rollout strategy), a `PodDisruptionBudget` (`max_unavailable`) and, when autoscaled, a KEDA
/// `ScaledObject`. What has no counterpart (process units, `depends_on` conditions, restart policies other than
/// always, the start limit, …) is returned as ``ExportNotice``s with what to do instead.
public struct KubernetesExport: Sendable {
    /// The loaded configuration.
    public var config: SupervisorConfig
    /// The configuration file's name, as notices name it.
    public var configFile: String
    /// The Compose files, read and merged.
    public var compose: ComposeProject
    /// Every object's `metadata.namespace`; nil leaves it out.
    public var namespace: String?
    /// Only these services (Compose service or entry names); empty: every one.
    public var services: [String]

    /// An export of `config` with `compose`.
    public init(config: SupervisorConfig, configFile: String, compose: ComposeProject, namespace: String? = nil,
                services: [String] = []) {
        self.config = config
        self.configFile = configFile
        self.compose = compose
        self.namespace = namespace
        self.services = services
    }

    /// Loads the configuration and the Compose files, then exports.
    ///
    /// - Throws: ``InvalidConfig`` for a configuration or Compose file with problems, ``ExportError`` otherwise.
    public static func run(configPath: String, composePaths: [String], variables: [String: String],
                           namespace: String? = nil, services: [String] = []) throws -> KubernetesExportResult {
        let config = try ConfigLoader.load(path: configPath)
        let compose = try ComposeReader.load(paths: composePaths, variables: variables)
        return try KubernetesExport(config: config, configFile: configPath, compose: compose, namespace: namespace,
                                    services: services).run()
    }

    /// The manifests and notices.
    public func run() throws -> KubernetesExportResult {
        var notices = compose.notices
        let entries = composeEntries()
        let available = entries.map(\.service)
        for name in services where !entries.contains(where: { $0.service == name || $0.selector.key == name }) {
            throw ExportError.unknownService(name, available: available)
        }
        let chosen = services.isEmpty ? entries
            : entries.filter { services.contains($0.service) || services.contains($0.selector.key) }
        if services.isEmpty { notices += notExported(entries: entries) }
        var manifests: [Manifest] = []
        for entry in chosen {
            guard let service = compose.service(named: entry.service) else {
                throw ExportError.serviceNotInCompose(entry: entry.selector.key, service: entry.service,
                                                      configFile: configFile, composeFiles: compose.files,
                                                      available: compose.services.map(\.name))
            }
            var export = ServiceExport(selector: entry.selector, compose: service, project: compose,
                                       configFile: configFile, namespace: namespace,
                                       partOf: entry.project ?? config.docker.project ?? compose.name)
            manifests += try export.manifests()
            notices += export.notices
        }
        let header = "# supervise export kubernetes: \(Self.baseName(configFile)) with "
            + compose.files.map(Self.baseName).joined(separator: ", ") + "\n"
        var yaml = header + (manifests.isEmpty ? "" : try YAMLEmitter.documents(manifests.map(ManifestYAML.value)))
        if !yaml.hasSuffix("\n") { yaml += "\n" }
        return KubernetesExportResult(manifests: manifests, yaml: yaml, notices: notices)
    }

    /// The configuration's `compose` entries, in file order.
    func composeEntries() -> [(selector: ContainerSelector, service: String, project: String?)] {
        config.containers.compactMap { selector in
            guard case .compose(let project, let service) = selector.match else { return nil }
            return (selector, service, project)
        }
    }

    /// Notices for what the configuration supervises but the export leaves out: process units, `container` and
    /// `label` entries, and Compose services no entry selects.
    func notExported(entries: [(selector: ContainerSelector, service: String, project: String?)]) -> [ExportNotice] {
        var notices: [ExportNotice] = []
        var reported = Set<String>()
        let replicated = Set(config.services.map(\.name))
        for unit in config.units {
            let name = replicated.contains(unit.service) ? unit.service : unit.name
            guard reported.insert(name).inserted else { continue }
            notices.append(ExportNotice(SourcePlace(file: configFile, keyPath: "units.\(name)"),
                "a process unit: not exported; to move it to Kubernetes run it in a container (a Compose service with a "
                    + "compose entry), or keep it under supervise on a host"))
        }
        for selector in config.containers {
            switch selector.match {
            case .compose: continue
            case .name(let name):
                notices.append(ExportNotice(SourcePlace(file: configFile, keyPath: "containers.\(selector.key)"),
                    "selects the container \(name) by name: not exported; select its Compose service with compose: "
                        + "SERVICE to export it"))
            case .label(let key, _):
                notices.append(ExportNotice(SourcePlace(file: configFile, keyPath: "containers.\(selector.key)"),
                    "selects containers by the label \(key): not exported; select their Compose service with compose: "
                        + "SERVICE to export them"))
            }
        }
        for service in compose.services where !entries.contains(where: { $0.service == service.name }) {
            notices.append(ExportNotice(service.place,
                "not exported: no compose entry of \(configFile) supervises it; run a database or cache with its own "
                    + "chart or operator (or a managed service), or add a compose entry to export it"))
        }
        return notices
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
