/// A replicated service (process or Compose) as `supervise status` and `GET /v1/services` show it.
public struct ServiceStatus: Sendable, Codable, Equatable {
    /// An autoscaler's settings and state.
    public struct Autoscale: Sendable, Codable, Equatable {
        public var min: Int
        public var max: Int
        public var paused: Bool
        /// What the last reading could not use (Redis unreachable); the count holds meanwhile.
        public var problem: String?
    }

    /// A rollout's progress.
    public struct RolloutProgress: Sendable, Codable, Equatable {
        /// Old replicas still serving or draining.
        public var old: [String]
        /// New replicas, and which of them are in service.
        public var new: [String]
        public var newInService: [String]
        public var replaced: [String]
        public var secondsElapsed: Double
        /// Why it is being called off, while its new replicas drain away.
        public var aborting: String?
        public var text: String
    }

    public var name: String
    /// The count the service should run.
    public var desired: Int
    /// Replicas that belong to the service (not those draining away).
    public var replicas: [String]
    /// Of those, the ones running.
    public var running: Int
    /// Of those, the ones in service (ready, or healthy, or running without probes).
    public var ready: Int
    /// Replicas leaving: draining or stopping on their way out.
    public var leaving: [String]
    /// `process` or `compose`.
    public var kind: String?
    /// Compose replicas Docker is making.
    public var adding: [String]?
    /// Why no replica could be made lately (a Compose service), while that is so.
    public var held: String?
    /// Who set the count: configuration, operator or autoscaler.
    public var source: String
    public var reason: String
    public var autoscale: Autoscale?
    public var rollout: RolloutProgress?
    /// How the last rollout ended, since the daemon started.
    public var lastRollout: LastRollout?

    /// A rollout that ended: done, or aborted with its reason.
    public struct LastRollout: Sendable, Codable, Equatable {
        public var aborted: String?
        public var replaced: [String]
        public var secondsAgo: Double
        public var secondsTaken: Double
        public var image: String?
    }
}

extension Supervisor {
    /// Every replicated service, in file order: process services, then Compose services.
    public func serviceStatus(now: Instant) -> [ServiceStatus] {
        replicatedServices.compactMap { serviceStatus(of: $0.name, now: now) }
    }

    /// The status of service `name`, if it is a replicated service.
    public func serviceStatus(of name: String, now: Instant) -> ServiceStatus? {
        guard let service = replicatedService(name), let s = scaling[name] else { return nil }
        let members = members(of: name)
        let leavers = leaving(name).map { units[$0].name }
        let rollout = s.rollout.map { roll in
            ServiceStatus.RolloutProgress(
                old: roll.old, new: roll.new.keys.sorted(),
                newInService: roll.new.keys.sorted().filter(inService),
                replaced: roll.replaced, secondsElapsed: (now - roll.startedAt).seconds, aborting: roll.abort,
                text: rolloutProgress(roll))
        }
        return ServiceStatus(
            name: name, desired: s.desired, replicas: members.map { units[$0].name },
            running: members.filter { units[$0].phase == .running }.count,
            ready: members.filter { isBackInService(units[$0]) }.count,
            leaving: leavers, kind: service.isCompose ? "compose" : "process",
            adding: service.isCompose ? creating(name) : nil, held: replicaHolds[name]?.reason,
            source: s.source.rawValue, reason: s.reason,
            autoscale: service.settings.autoscale.map {
                ServiceStatus.Autoscale(min: $0.min, max: $0.max, paused: s.autoscalePaused, problem: s.autoscaleProblem)
            },
            rollout: rollout,
            lastRollout: s.lastRollout.map {
                ServiceStatus.LastRollout(aborted: $0.abort, replaced: $0.replaced, secondsAgo: (now - $0.endedAt).seconds,
                                          secondsTaken: ($0.endedAt - $0.startedAt).seconds, image: $0.image)
            })
    }
}
