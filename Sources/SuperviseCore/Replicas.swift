/// Replicated services (`replicas:` on a unit, or a Compose service): the count follows `supervise
/// scale`, the autoscaler or the configuration; replicas are added as units `NAME-N` and removed only
/// by drain; a rollout replaces every replica, new ones first. How a Compose replica is made and
/// deleted is in `ComposeReplicas.swift`.
extension Supervisor {
    /// The replicated process service `name`, if the configuration has one.
    func processService(_ name: String) -> ProcessService? {
        config.services.first { $0.name == name }
    }

    /// The service `name` whose count supervise owns, if the configuration has one.
    func replicatedService(_ name: String) -> ReplicatedService? {
        replicatedServices.first { $0.name == name }
    }

    /// The replica number of a unit named `SERVICE-N`.
    static func replicaNumber(_ name: String, of service: String) -> Int? {
        guard name.hasPrefix(service + "-") else { return nil }
        return Int(name.dropFirst(service.count + 1)).flatMap { $0 > 0 ? $0 : nil }
    }

    /// Indices of every unit that is a replica `SERVICE-N` of `service` (a process unit, or a
    /// container a `compose:` entry numbered): its members and those being removed alike.
    func replicaIndices(of service: String) -> [Int] {
        units.indices.filter { i in
            units[i].spec.service == service && Self.replicaNumber(units[i].name, of: service) != nil
                && (!units[i].isContainer || units[i].container?.replica != nil)
        }
    }

    /// How many replicas `service` has or is about to have: its members and the Compose replicas
    /// asked of Docker and not seen yet.
    func replicaCount(of service: String) -> Int {
        members(of: service).count + creating(service).count
    }

    /// Indices of `service`'s replicas that belong to it (not those being removed), by replica number.
    func members(of service: String) -> [Int] {
        replicaIndices(of: service).filter { !units[$0].retired }
            .sorted { Self.replicaNumber(units[$0].name, of: service)! < Self.replicaNumber(units[$1].name, of: service)! }
    }

    /// Indices of `service`'s replicas being removed that still have a process: they drain or stop.
    func leaving(_ service: String) -> [Int] {
        replicaIndices(of: service).filter { units[$0].retired && units[$0].hasProcess }
    }

    /// Inserts `runtime`, replica `number` of `service`, among the service's replicas by number (so
    /// status lists them together and in order); its index.
    mutating func insertReplica(_ runtime: UnitRuntime, number: Int, of service: String) -> Int {
        let peers = replicaIndices(of: service)
        let at = peers.first { Self.replicaNumber(units[$0].name, of: service)! > number } ?? peers.last.map { $0 + 1 } ?? units.count
        units.insert(runtime, at: at)
        reindex()
        return at
    }

    /// `supervise scale SERVICE N`.
    public mutating func scale(service name: String, to count: Int, now: Instant) -> (CommandOutcome, [Effect]) {
        guard !shuttingDown else { return (.refused("the daemon is shutting down"), []) }
        guard let service = replicatedService(name), var scaling = scaling[name] else {
            return (.unknownUnit(name: name, known: replicatedServices.map(\.name)), [])
        }
        guard count >= 0 else { return (.refused("a replica count is 0 or more"), []) }
        if service.isCompose && count < 1 {
            return (.refused("\(name) is a Compose service: it keeps at least 1 replica, since a new one is made by copying a running one"), [])
        }
        if let auto = service.settings.autoscale, !scaling.autoscalePaused {
            return (.refused("\(name) is autoscaled (\(auto.min)…\(auto.max), now \(scaling.desired)): run `supervise autoscale pause \(name)` first, "
                             + "or change autoscale.min and max"), [])
        }
        if let highest = service.highestReplica, count > highest {
            return (.refused("\(name) has room for \(highest) replicas: replica \(count)'s {port} would be past 65535"), [])
        }
        guard count != scaling.desired else { return (.unchanged("\(name) already runs \(count) replica\(count == 1 ? "" : "s")"), []) }
        let before = scaling.desired
        scaling.desired = count
        scaling.source = .scaleCommand
        scaling.reason = "supervise scale \(name) \(count) (was \(before))"
        self.scaling[name] = scaling
        let how = count > before ? "starting \(count - before) replica\(count - before == 1 ? "" : "s")"
            : "draining \(before - count) replica\(before - count == 1 ? "" : "s") with the fewest live calls, removed once empty"
        log(.notice, nil, "scale", "\(name): \(before) → \(count) replicas (supervise scale): \(how)")
        emit(.persist)
        reconcile(now: now)
        return (.accepted("scaling \(name) from \(before) to \(count): \(how)"), takeEffects())
    }

    /// `supervise rollout SERVICE`: every replica replaced, new ones first.
    public mutating func rollout(service name: String, image: String?, now: Instant) -> (CommandOutcome, [Effect]) {
        guard !shuttingDown else { return (.refused("the daemon is shutting down"), []) }
        guard let service = replicatedService(name), var scaling = scaling[name] else {
            return (.unknownUnit(name: name, known: replicatedServices.map(\.name)), [])
        }
        guard image == nil || service.isCompose else {
            return (.refused("\(name) is a process service: --image applies to Compose services (a process service runs its configured command)"), [])
        }
        if let image, image.isEmpty || image.contains(where: \.isWhitespace) {
            return (.refused("--image: expected an image reference such as agent-worker:1.4, got \"\(image)\""), [])
        }
        if let roll = scaling.rollout { return (.unchanged("a rollout of \(name) is already under way: \(rolloutProgress(roll))"), []) }
        let old = members(of: name).map { units[$0].name }
        scaling.rollout = Rollout(service: name, startedAt: now, image: image, old: old)
        self.scaling[name] = scaling
        log(.notice, nil, "rollout-start", "rollout of \(name)\(image.map { " to image \($0)" } ?? ""): \(old.count) replica\(old.count == 1 ? "" : "s") to replace, "
            + "\(service.settings.maxSurge) at a time above \(scaling.desired), progress deadline \(DurationText.format(service.settings.progressDeadline))")
        emit(.persist)
        reconcile(now: now)
        return (.accepted("rollout of \(name) started: \(old.isEmpty ? "nothing" : old.joined(separator: ", ")) to replace, new replicas first"),
                takeEffects())
    }

    /// `supervise autoscale pause|resume SERVICE`.
    public mutating func setAutoscalePaused(service name: String, _ paused: Bool, now: Instant) -> (CommandOutcome, [Effect]) {
        guard let service = replicatedService(name), var scaling = scaling[name] else {
            return (.unknownUnit(name: name, known: replicatedServices.map(\.name)), [])
        }
        guard service.settings.autoscale != nil else { return (.refused("\(name) has no autoscale settings"), []) }
        guard scaling.autoscalePaused != paused else {
            return (.unchanged("autoscaling of \(name) is already \(paused ? "paused" : "on")"), [])
        }
        scaling.autoscalePaused = paused
        scaling.autoscaleMemory = AutoscaleMemory()
        self.scaling[name] = scaling
        let text = paused ? "autoscaling of \(name) paused at \(scaling.desired) replicas; `supervise scale` sets the count"
            : "autoscaling of \(name) resumed from \(scaling.desired) replicas"
        if paused { log(.notice, nil, "autoscale-pause", text) } else { log(.notice, nil, "autoscale-resume", text) }
        emit(.persist)
        return (.accepted(text), takeEffects())
    }

    /// A reading of `service`'s autoscale triggers: the autoscaler decides the count.
    mutating func onAutoscaleReading(_ name: String, _ reading: AutoscaleReading, now: Instant) {
        guard let service = replicatedService(name), let spec = service.settings.autoscale, var scaling = scaling[name],
              !scaling.autoscalePaused else { return }
        let memberIndices = members(of: name)
        // Live calls are known only when every running replica reported its count.
        let running = memberIndices.filter { units[$0].phase == .running || units[$0].phase == .draining }
        let calls = running.allSatisfy { units[$0].liveCalls != nil } ? running.reduce(0) { $0 + (units[$1].liveCalls ?? 0) } : nil
        let decision = Autoscaler.decide(spec, current: scaling.desired, reading: reading, liveCalls: calls,
                                         memory: &scaling.autoscaleMemory, now: now)
        if (decision.missing == nil) != (scaling.autoscaleProblem == nil) {
            if let missing = decision.missing {
                log(.warning, nil, "autoscale-blind", "\(name): \(missing); the count holds at \(scaling.desired) (it may grow on the other trigger, never shrink)")
            } else {
                log(.notice, nil, "autoscale-sees", "\(name): every trigger read again")
            }
        }
        scaling.autoscaleProblem = decision.missing
        if decision.desired != scaling.desired {
            log(.notice, nil, "autoscale", "\(name): \(scaling.desired) → \(decision.desired) replicas: \(decision.reason)")
            scaling.desired = decision.desired
            scaling.source = .autoscaler
            emit(.persist)
        }
        scaling.reason = "autoscale: " + decision.reason
        self.scaling[name] = scaling
    }

    /// Brings every replicated service to its count: adds replicas, drains surplus ones away, moves
    /// rollouts on. Compose services wait for a fresh picture of Docker.
    mutating func reconcileReplicas(now: Instant) {
        expireReplicaHolds(now: now)
        for service in replicatedServices {
            guard scaling[service.name] != nil, !service.isCompose || composeReady else { continue }
            if scaling[service.name]?.rollout != nil {
                advanceRollout(service, now: now)
            } else {
                matchCount(service, now: now)
            }
        }
    }

    /// Adds or removes replicas until the service has its desired count.
    private mutating func matchCount(_ service: ReplicatedService, now: Instant) {
        let scaling = self.scaling[service.name]!
        if service.followsCompose && scaling.source == .configuration {
            // No count of its own yet: the count is what Compose made, until `supervise scale`.
            let made = members(of: service.name).count
            self.scaling[service.name]?.desired = made
            return
        }
        var count = replicaCount(of: service.name)
        while count < scaling.desired, addReplica(service, now: now, why: scaling.reason) != nil {
            count += 1
        }
        let current = members(of: service.name)
        guard count > scaling.desired, !current.isEmpty else { return }
        // The autoscaler drains one at a time within max_unavailable; an operator's count, all at once.
        var room = count - scaling.desired
        if scaling.source == .autoscaler {
            room = min(room, max(0, service.maxUnavailable - leaving(service.name).count))
        }
        for i in removalOrder(current).prefix(room) {
            removeReplica(units[i].name, why: "scaled down to \(scaling.desired) (\(scaling.reason))", now: now)
        }
    }

    /// `indices` in the order replicas are removed: those not serving first, then by live calls
    /// (fewest first, unknown last), then the highest number.
    func removalOrder(_ indices: [Int]) -> [Int] {
        indices.sorted { a, b in
            let (ua, ub) = (units[a], units[b])
            let serving = (ua.phase == .running ? 1 : 0, ub.phase == .running ? 1 : 0)
            if serving.0 != serving.1 { return serving.0 < serving.1 }
            let calls = (ua.liveCalls ?? Int.max, ub.liveCalls ?? Int.max)
            if calls.0 != calls.1 { return calls.0 < calls.1 }
            return ua.name.count != ub.name.count ? ua.name.count > ub.name.count : ua.name > ub.name
        }
    }

    /// Adds a replica of `service`: a process unit at once, a Compose replica asked of Docker (one at
    /// a time, with `image` when given); its name, or nil when none can be added now.
    private mutating func addReplica(_ service: ReplicatedService, image: String? = nil, now: Instant, why: String) -> String? {
        switch service {
        case .process(let process): addProcessReplica(process, now: now, why: why)
        case .compose: createComposeReplica(service, image: image, now: now, why: why)
        }
    }

    /// Adds the lowest free replica of `service` (one no unit, even one being removed, is named after);
    /// its name, or nil when no number is left (`{port}` past 65535).
    private mutating func addProcessReplica(_ service: ProcessService, now: Instant, why: String) -> String? {
        var number = 1
        while index(service.unitName(replica: number)) != nil { number += 1 }
        if let highest = service.highestReplica, number > highest { return nil }
        let spec = service.unit(replica: number)
        let at = insertReplica(UnitRuntime(spec: spec), number: number, of: service.name)
        log(.info, spec.name, "replica-added", "replica \(number) of \(service.name) added (\(why)); starting")
        transition(at, to: .waiting(automatic: false), now: now)
        return spec.name
    }

    /// Takes replica `name` out: drained (under a drain contract) or stopped, and forgotten once empty.
    mutating func removeReplica(_ name: String, why: String, now: Instant) {
        guard let i = index(name) else { return }
        log(.info, name, "replica-removing", "\(why): \(units[i].phase == .running ? "drained, then removed" : "removed")")
        retire(name, why: why, now: now)
    }

    /// One step of `service`'s rollout.
    private mutating func advanceRollout(_ service: ReplicatedService, now: Instant) {
        var scaling = self.scaling[service.name]!
        var roll = scaling.rollout!
        let deadline = service.settings.progressDeadline
        defer {
            self.scaling[service.name] = scaling
        }
        // New replicas: those that exist, and Compose replicas Docker is still making.
        roll.new = roll.new.filter { index($0.key) != nil || creatingReplicas[$0.key] != nil }
        if roll.abort == nil {
            for (name, added) in roll.new.sorted(by: { $0.key < $1.key }) {
                guard let i = index(name) else { continue }
                let u = units[i]
                if u.phase == .failed {
                    roll.abort = "new replica \(name) failed: \(u.reason ?? "gave up")"
                } else if !isBackInService(u) && now >= added + deadline {
                    roll.abort = "new replica \(name) did not come into service within the progress deadline of \(DurationText.format(deadline))"
                        + (u.reason.map { " (\($0))" } ?? "")
                }
                if let why = roll.abort {
                    logRolloutAbort(service.name, why)
                    break
                }
            }
        }
        if let why = roll.abort {
            // Replicas still being made are taken out once they appear.
            for name in roll.new.keys.sorted() {
                guard let i = index(name), !units[i].retired else { continue }
                removeReplica(name, why: "rollout aborted: \(why)", now: now)
            }
            if roll.new.isEmpty {
                log(.notice, nil, "rollout-aborted", "rollout of \(service.name) called off: \(why)")
                scaling.lastRollout = RolloutEnd(roll, endedAt: now)
                scaling.rollout = nil
                emit(.persist)
                // Old replicas lost meanwhile are made up for like any missing replica.
                self.scaling[service.name] = scaling
                matchCount(service, now: now)
                scaling = self.scaling[service.name]!
                return
            }
            scaling.rollout = roll
            return
        }
        // Old replicas that left (drained away, or removed by a scale-down) are replaced.
        for name in roll.old where index(name) == nil || units[index(name)!].retired {
            if !roll.replaced.contains(name) { roll.replaced.append(name) }
        }
        roll.old = roll.old.filter { index($0) != nil && !units[index($0)!].retired }
        let desired = scaling.desired
        // New replicas first: up to max_surge above the count.
        while roll.new.count < desired && replicaCount(of: service.name) < desired + service.settings.maxSurge {
            guard let name = addReplica(service, image: roll.image, now: now, why: "rollout") else { break }
            roll.new[name] = now
        }
        // Then old ones drained, while what stays in service is at least the count; at most
        // max_unavailable of them leaving at once.
        let newServing = roll.new.keys.filter(inService).count
        var serving = newServing + roll.old.filter(inService).count
        var room = max(0, service.maxUnavailable - leaving(service.name).count)
        for i in removalOrder(roll.old.map { index($0)! }) where room > 0 {
            let inService = isBackInService(units[i])
            guard !inService || serving - 1 >= desired else { break }
            let name = units[i].name
            removeReplica(name, why: "replaced by the rollout", now: now)
            roll.replaced.append(name)
            roll.old.removeAll { $0 == name }
            if inService { serving -= 1 }
            room -= 1
        }
        if roll.old.isEmpty && leaving(service.name).isEmpty && roll.new.keys.allSatisfy(inService) {
            log(.notice, nil, "rollout-done", "rollout of \(service.name) done: \(roll.replaced.count) replaced by \(roll.new.keys.sorted().joined(separator: ", "))")
            scaling.lastRollout = RolloutEnd(roll, endedAt: now)
            scaling.rollout = nil
            emit(.persist)
            return
        }
        if roll != scaling.rollout { emit(.persist) }
        scaling.rollout = roll
    }

    /// Whether the unit `name` exists and is in service.
    func inService(_ name: String) -> Bool {
        index(name).map { isBackInService(units[$0]) } ?? false
    }

    /// The log record of a rollout being called off.
    mutating func logRolloutAbort(_ service: String, _ why: String) {
        log(.error, nil, "rollout-abort", "rollout of \(service) aborted: \(why); its new replicas are drained away, the old ones keep serving")
        emit(.persist)
    }

    /// A rollout's progress in words.
    func rolloutProgress(_ roll: Rollout) -> String {
        let ready = roll.new.keys.filter(inService).count
        var text = "\(roll.replaced.count) replaced, \(roll.old.count) old left, \(ready) of \(roll.new.count) new in service"
        if let abort = roll.abort { text += "; aborting: \(abort)" }
        return text
    }

    /// The earliest progress deadline of a rollout's new replicas not yet in service.
    var nextRolloutDeadline: Instant? {
        scaling.values.compactMap { s -> Instant? in
            guard let roll = s.rollout, roll.abort == nil, let service = replicatedService(s.service) else { return nil }
            return roll.new.filter { index($0.key).map { !isBackInService(units[$0]) } ?? false }
                .map { $0.value + service.settings.progressDeadline }.min()
        }.min()
    }
}

extension Supervisor {
    /// A service's record when the daemon starts, or the service first appears: its configured count
    /// (a Compose service without one follows what Compose made).
    static func initialScaling(_ service: ReplicatedService) -> ServiceScaling {
        let count = service.configuredReplicas
        let reason = service.settings.autoscale.map { "autoscaled within \($0.min)…\($0.max); starting at \(count)" }
            ?? (service.followsCompose ? "as many as Compose made (no replicas: in the configuration)" : "replicas: \(count) in the configuration")
        return ServiceScaling(service: service.name, desired: count, source: .configuration, reason: reason, configured: count)
    }

    /// After a reload: a service's count follows the file only when the file's `replicas` changed;
    /// every replica of a process service takes the new template (replaced as any changed unit is);
    /// process services gone from the file have their replicas drained away (a Compose service's
    /// containers are Docker's and stay); new ones start at their configured count.
    mutating func reloadServices(from old: SupervisorConfig, now: Instant) {
        let before = Dictionary(old.replicatedServices.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for replicated in replicatedServices {
            let name = replicated.name
            let count = replicated.configuredReplicas
            guard var scaling = scaling[name] else {
                scaling[name] = Self.initialScaling(replicated)
                log(.info, nil, "scale", replicated.followsCompose ? "\(name): added by reload; as many replicas as Compose made"
                    : "\(name): added by reload with \(count) replica\(count == 1 ? "" : "s")")
                continue
            }
            if count != scaling.configured {
                log(.notice, nil, "scale", "\(name): replicas \(scaling.configured) → \(count) in the file; "
                    + (replicated.followsCompose ? "the count follows Compose again" : "the count is \(count) (was \(scaling.desired))"))
                scaling = Self.initialScaling(replicated)
            } else if let auto = replicated.settings.autoscale, auto.clamped(scaling.desired) != scaling.desired {
                scaling.desired = auto.clamped(scaling.desired)
                scaling.reason = "autoscale bounds changed to \(auto.min)…\(auto.max)"
            }
            if replicated.settings.autoscale == nil { scaling.autoscalePaused = false }
            scaling.rollout = self.scaling[name]?.rollout
            self.scaling[name] = scaling
            // A Compose replica's settings are taken up as its container is seen; only a process
            // service's replicas are replaced.
            guard case .process(let service) = replicated, before[name] != replicated else { continue }
            // Replicas in service are replaced by a rollout (new ones first, so capacity holds);
            // the others simply start with the new settings when they next start.
            var serving: [String] = []
            for i in replicaIndices(of: service.name) {
                let n = Self.replicaNumber(units[i].name, of: service.name)!
                let spec = service.unit(replica: n)
                guard units[i].spec != spec else { continue }
                if units[i].phase == .running && !units[i].retired {
                    units[i].spec = spec
                    serving.append(units[i].name)
                } else {
                    replaceSpec(i, with: spec, now: now)
                }
            }
            if !serving.isEmpty && self.scaling[service.name]?.rollout == nil {
                let old = members(of: service.name).map { units[$0].name }
                self.scaling[service.name]?.rollout = Rollout(service: service.name, startedAt: now, old: old)
                log(.notice, nil, "rollout-start", "\(service.name)'s configuration changed: rollout replacing \(old.joined(separator: ", ")), "
                    + "\(service.settings.maxSurge) at a time above \(self.scaling[service.name]?.desired ?? 0)")
            } else if !serving.isEmpty {
                log(.notice, nil, "rollout-start", "\(service.name)'s configuration changed during its rollout: the replicas it adds from now on have it")
            }
        }
        for (name, service) in before.sorted(by: { $0.key < $1.key }) where replicatedService(name) == nil {
            scaling[name] = nil
            guard !service.isCompose else { continue }
            for i in members(of: name) { retire(units[i].name, now: now) }
        }
    }
}

extension SupervisorConfig {
    /// The configuration without the replicas of its process services, which follow their
    /// service's count rather than the file's list.
    var withoutReplicas: SupervisorConfig {
        var copy = self
        let serviceNames = Set(services.map(\.name))
        copy.units = units.filter { spec in
            !(serviceNames.contains(spec.service) && Supervisor.replicaNumber(spec.name, of: spec.service) != nil)
        }
        return copy
    }
}

extension SupervisorConfig {
    /// Whether a unit called `name` belongs to this configuration: one of its units, or a replica
    /// `SERVICE-N` of one of its replicated services, whatever N (their count is the daemon's, so
    /// a predecessor may have run replicas beyond the file's).
    public func configures(unit name: String) -> Bool {
        if units.contains(where: { $0.name == name }) { return true }
        let service = UnitSpec.service(of: name)
        return services.contains { $0.name == service } && Supervisor.replicaNumber(name, of: service) != nil
    }
}
