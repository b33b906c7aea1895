/// A service whose replica count supervise owns: a replicated process unit, or a Compose service
/// named by a `compose:` container entry. Its replicas are the units `NAME-1`, `NAME-2`, …
///
/// Scaling, rollouts and autoscaling treat both alike; they differ only in how a replica is made
/// (a process unit from the template; a container copied from a running replica through the Docker
/// API) and removed (forgotten once stopped; a container deleted once stopped).
public enum ReplicatedService: Sendable, Hashable {
    case process(ProcessService)
    /// The Compose service `service` of the container entry `selector`.
    case compose(ContainerSelector, service: String, settings: ReplicaSettings)

    /// What `supervise scale` names: the process unit's key, or the Compose service's name (its
    /// replicas are `SERVICE-N`, as Compose numbers them).
    public var name: String {
        switch self {
        case .process(let service): service.name
        case .compose(_, let service, _): service
        }
    }

    public var settings: ReplicaSettings {
        switch self {
        case .process(let service): service.settings
        case .compose(_, _, let settings): settings
        }
    }

    /// How many replicas may be out of service at once (the entry's `max_unavailable`).
    public var maxUnavailable: Int {
        switch self {
        case .process(let service): service.template.maxUnavailable
        case .compose(let selector, _, _): selector.template.maxUnavailable
        }
    }

    /// The highest replica number there is room for (a process service's `{port}`); nil: no limit.
    public var highestReplica: Int? {
        switch self {
        case .process(let service): service.highestReplica
        case .compose: nil
        }
    }

    public var isCompose: Bool {
        if case .compose = self { true } else { false }
    }

    /// A Compose service without `replicas:` or `autoscale:`: it runs as many replicas as Compose
    /// made, until `supervise scale` sets a count.
    var followsCompose: Bool {
        isCompose && settings.replicas == nil && settings.autoscale == nil
    }

    /// The configured count: the file's `replicas`, else `autoscale.min`; 0 for a Compose service
    /// that has neither (it follows Compose).
    public var configuredReplicas: Int {
        switch self {
        case .process(let service): service.replicas
        case .compose(_, _, let settings): settings.replicas ?? settings.autoscale?.min ?? 0
        }
    }
}

extension SupervisorConfig {
    /// Every service whose count supervise owns: the replicated process units, then the Compose
    /// services of `compose:` entries, in file order.
    public var replicatedServices: [ReplicatedService] {
        services.map(ReplicatedService.process) + containers.compactMap { selector in
            guard case .compose(_, let service) = selector.match, let settings = selector.replicas else { return nil }
            return .compose(selector, service: service, settings: settings)
        }
    }
}
