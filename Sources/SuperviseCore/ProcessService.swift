/// A replicated process unit (`units.NAME` with `replicas:` or `autoscale:`): a service whose replicas are the units
/// `NAME-1`, `NAME-2`, …, each made from one template.
///
/// In the template, `{replica}` stands for the replica's number and `{port}` for ``basePort`` plus that number, in
/// the command's arguments, the environment's values, the working directory, the liveness and readiness probes
/// (HTTP URL, `tcp` host and port, `exec` command) and the drain contract's URLs; ``unit(replica:)`` fills them in.
public struct ProcessService: Sendable, Hashable, Codable {
    /// The service's name: the unit's key in the configuration, and what `supervise scale` names.
    public var name: String
    /// The replicas' settings as written, placeholders unfilled; named ``name``.
    public var template: UnitSpec
    /// `port:`: replica N's `{port}` is `basePort + N`; nil when the service has no `port`.
    public var basePort: Int?
    /// The replica count, rollout and autoscaler settings; ``ReplicaSettings/replicas`` is always set for a process
    /// service.
    public var settings: ReplicaSettings

    /// A `tcp` probe's port written `{port}` is kept as this in the template (no real port is 0).
    public static let tcpPortPlaceholder = 0

    public init(name: String, template: UnitSpec, basePort: Int? = nil, settings: ReplicaSettings) {
        self.name = name
        self.template = template
        self.basePort = basePort
        self.settings = settings
    }

    /// The configured count: ``ReplicaSettings/replicas``.
    public var replicas: Int { settings.replicas ?? settings.autoscale?.min ?? 1 }

    /// `NAME-N`.
    public func unitName(replica: Int) -> String { "\(name)-\(replica)" }

    /// The highest replica number whose `{port}` is still a port (65535 − ``basePort``); nil without `port`.
    /// Replicas are numbered from 1 with the lowest free numbers, so a count of C during a rollout of
    /// `max_surge` S uses the numbers up to C + S; the configuration checks that its own counts fit.
    public var highestReplica: Int? { basePort.map { 65535 - $0 } }

    /// The unit of replica `replica` (1, 2, …): the template named `NAME-N`, with `{replica}` and `{port}` filled.
    public func unit(replica: Int) -> UnitSpec {
        let values = ReplicaValues(replica: String(replica), port: basePort.map { $0 + replica })
        var spec = template
        spec.name = unitName(replica: replica)
        spec.command = spec.command.map(values.fill)
        spec.environment = spec.environment.mapValues(values.fill)
        spec.workingDirectory = spec.workingDirectory.map(values.fill)
        spec.liveness = spec.liveness.map { $0.filling(values) }
        spec.readiness = spec.readiness.map { $0.filling(values) }
        spec.drain = spec.drain.map { $0.filling(values) }
        return spec
    }

    /// The configured replicas, `NAME-1` … `NAME-replicas`.
    public var units: [UnitSpec] {
        replicas < 1 ? [] : (1...replicas).map(unit(replica:))
    }
}
