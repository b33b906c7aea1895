/// A Compose replica asked of Docker and not seen yet.
struct PendingReplica: Sendable, Hashable {
    var creation: ReplicaCreation
    var since: Instant
}

/// Why a Compose service could not have a replica made, and until when it waits before trying again
/// (nil once that time has passed: the reason is kept so that the same one is logged once).
struct ReplicaHold: Sendable, Hashable {
    var reason: String
    var until: Instant?
}

/// Compose services' replicas: made by copying a running replica through the Docker API (one at a
/// time per service, numbered after the highest there is, as Compose numbers them), and deleted
/// once drained and stopped. Scaling and rollouts are the same as for process services
/// (`Replicas.swift`).
extension Supervisor {
    /// How long a service waits before trying again after a replica could not be made.
    static let replicaRetryDelay = Duration.seconds(10)

    /// Whether Compose services may be scaled now: Docker is reachable and supervise's picture of it
    /// is fresh, so a replica count is never judged from a stale or empty list.
    var composeReady: Bool { dockerConnected && containersResynced }

    /// Replicas of `service` asked of Docker and not seen yet.
    func creating(_ service: String) -> [String] {
        creatingReplicas.values.filter { $0.creation.service == service }.map(\.creation.unit).sorted()
    }

    /// Asks Docker for the next replica of the Compose service, copied from one of its replicas in
    /// service (or running); the unit it will be, or nil when none can be asked for now (one is
    /// already being made, none runs to copy, or a failure's wait is not over).
    mutating func createComposeReplica(_ service: ReplicatedService, image: String?, now: Instant, why: String) -> String? {
        let name = service.name
        guard composeReady, creating(name).isEmpty, replicaHolds[name]?.until.map({ now >= $0 }) ?? true else { return nil }
        let peers = replicaIndices(of: name)
        let running = peers.filter { units[$0].phase == .running && !units[$0].retired }
        guard let source = running.first(where: { isBackInService(units[$0]) }) ?? running.first,
              let id = units[source].container?.id else {
            hold(name, "no running replica of \(name) to copy", now: now, level: .warning)
            return nil
        }
        // Compose numbers a new replica after the highest there is, stopped and leaving ones too.
        let numbers = peers.compactMap { Self.replicaNumber(units[$0].name, of: name) }
            + removingReplicas.values.compactMap { Self.replicaNumber($0, of: name) }
        let number = (numbers.max() ?? 0) + 1
        let unit = "\(name)-\(number)"
        let creation = ReplicaCreation(service: name, unit: unit, number: number, source: id, image: image)
        creatingReplicas[unit] = PendingReplica(creation: creation, since: now)
        log(.info, unit, "replica-adding", "replica \(number) of \(name) being made from \(units[source].name)"
            + (image.map { " with image \($0)" } ?? "") + " (\(why))")
        emit(.createReplica(creation))
        return unit
    }

    /// Holds `service`'s next replica for ``replicaRetryDelay``; logged when the reason is new.
    private mutating func hold(_ service: String, _ reason: String, now: Instant, level: LogLevel) {
        if replicaHolds[service]?.reason != reason {
            log(level, nil, "replica-held", "\(reason); trying again in \(DurationText.format(Self.replicaRetryDelay))", reason: reason)
        }
        replicaHolds[service] = ReplicaHold(reason: reason, until: now + Self.replicaRetryDelay)
    }

    /// Docker made and started the replica: it is a unit from now on.
    mutating func onReplicaCreated(_ unit: String, _ snapshot: ContainerSnapshot, now: Instant) {
        if let pending = creatingReplicas[unit] { replicaHolds[pending.creation.service] = nil }
        if upsertContainer(snapshot, now: now) == nil {
            log(.error, unit, "replica-unmatched", "container \(snapshot.name) was made, but no compose: entry selects it; it is left to Compose")
        }
        creatingReplicas[unit] = nil
    }

    /// Docker could not make the replica: tried again after ``replicaRetryDelay``; a rollout that
    /// waited for it is called off.
    mutating func onReplicaCreateFailed(_ unit: String, reason: String, now: Instant) {
        guard let pending = creatingReplicas.removeValue(forKey: unit) else { return }
        let service = pending.creation.service
        log(.error, unit, "replica-failed", "replica \(pending.creation.number) of \(service) could not be made: \(reason)", reason: reason)
        hold(service, "the last replica of \(service) could not be made: \(reason)", now: now, level: .error)
        guard var roll = scaling[service]?.rollout, roll.new.removeValue(forKey: unit) != nil else { return }
        if roll.abort == nil {
            roll.abort = "new replica \(unit) could not be made: \(reason)"
            logRolloutAbort(service, roll.abort!)
        }
        scaling[service]?.rollout = roll
    }

    /// The container of a replica taken out of its service (drained and stopped, or never serving)
    /// is deleted; until Docker says it is gone, it is no unit and no replica.
    mutating func removeReplicaContainer(_ i: Int) {
        guard let container = units[i].container else { return }
        removingReplicas[container.id] = units[i].name
        emit(.container(unit: units[i].name, id: container.id, .remove(timeout: units[i].spec.stopTimeout)))
    }

    /// Docker could not delete a replica's container: it is seen again at the next resync (a
    /// stopped replica beyond the count, removed again).
    mutating func onReplicaRemoveFailed(id: String, reason: String) {
        guard let name = removingReplicas.removeValue(forKey: id) else { return }
        log(.error, name, "replica-remove-failed", "its container \(id.prefix(12)) could not be deleted: \(reason); it is left stopped", reason: reason)
    }

    /// Ends the waits that are over (so that no timer stays due).
    mutating func expireReplicaHolds(now: Instant) {
        for (service, hold) in replicaHolds where hold.until.map({ $0 <= now }) ?? false {
            replicaHolds[service]?.until = nil
        }
    }

    /// The earliest time a held service may try again to make a replica.
    var nextReplicaRetry: Instant? {
        replicaHolds.values.compactMap(\.until).min()
    }
}
