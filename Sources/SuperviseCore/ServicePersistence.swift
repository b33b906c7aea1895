/// What a replicated service keeps across a daemon restart: its count and who set it, the replica
/// numbers that belong to it (a process service's; a Compose service's are its containers), the
/// autoscaler's pause and memory, and a rollout under way.
public struct PersistedService: Sendable, Codable, Equatable {
    public var desired: Int
    public var source: ScaleSource
    public var reason: String
    public var configured: Int
    /// The replica numbers that belong to the service (not those being drained away).
    public var members: [Int]
    public var autoscalePaused: Bool?
    public var autoscaleMemory: AutoscaleMemory?
    public var rollout: Rollout?
}

extension Supervisor {
    /// The services' records to save.
    func persistedServices() -> [String: PersistedService]? {
        guard !scaling.isEmpty else { return nil }
        return scaling.mapValues { s in
            PersistedService(desired: s.desired, source: s.source, reason: s.reason, configured: s.configured,
                             members: members(of: s.service).compactMap { Self.replicaNumber(units[$0].name, of: s.service) },
                             autoscalePaused: s.autoscalePaused ? true : nil,
                             autoscaleMemory: s.autoscaleMemory == AutoscaleMemory() ? nil : s.autoscaleMemory,
                             rollout: s.rollout)
        }
    }

    /// Takes the services' counts, members and rollouts a previous daemon saved (before the units
    /// boot): replicas it added are made again so their processes are adopted; replicas it was
    /// draining away and that still run are kept, marked for removal, to drain to their end.
    /// A count changed in the file while no daemon ran wins over the saved one.
    mutating func restoreServices(_ saved: [String: PersistedService]?, alive: Set<String>, now: Instant) {
        guard let saved else { return }
        for replicated in replicatedServices {
            guard let record = saved[replicated.name], var scaling = scaling[replicated.name] else { continue }
            if record.configured == scaling.configured {
                scaling.desired = record.desired
                scaling.source = record.source
                scaling.reason = record.reason
                if let auto = replicated.settings.autoscale { scaling.desired = auto.clamped(scaling.desired) }
            } else {
                log(.notice, nil, "scale", "\(replicated.name): replicas changed in the file from \(record.configured) to \(scaling.configured) "
                    + "while no daemon ran; \(scaling.desired) it is")
            }
            scaling.autoscalePaused = record.autoscalePaused ?? false
            scaling.autoscaleMemory = record.autoscaleMemory ?? AutoscaleMemory()
            if var roll = record.rollout {
                // Instants of another boot mean nothing now: the progress deadlines run from here.
                roll.new = roll.new.mapValues { $0 > now ? now : $0 }
                scaling.rollout = roll
            }
            self.scaling[replicated.name] = scaling
            // A Compose service's replicas are its containers, found in Docker.
            guard case .process(let service) = replicated else { continue }

            let keep = Set(record.members)
            var drop: [Int] = []
            for i in replicaIndices(of: service.name) where !keep.contains(Self.replicaNumber(units[i].name, of: service.name)!) {
                if alive.contains(units[i].name) { units[i].retired = true } else { drop.append(i) }
            }
            for i in drop.reversed() { units.remove(at: i) }
            reindex()
            // Members and still-running leavers the previous daemon had beyond the file's count.
            let leavers = alive.compactMap { Self.replicaNumber($0, of: service.name) }.filter { !keep.contains($0) }
            for number in (keep.union(leavers)).sorted() where index(service.unitName(replica: number)) == nil {
                var runtime = UnitRuntime(spec: service.unit(replica: number))
                runtime.retired = !keep.contains(number)
                _ = insertReplica(runtime, number: number, of: service.name)
            }
        }
    }
}
