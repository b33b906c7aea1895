/// A rolling restart of one service: each unit is drained and replaced, the next one only after
/// the previous one is back in service (ready, or healthy, or at least running).
public struct RollingRestart: Sendable, Hashable, Codable {
    public var service: String
    /// Units still to restart, in order.
    public var pending: [String]
    /// The unit being drained and replaced now.
    public var current: String?
    public var done: [String] = []

    public init(service: String, pending: [String], current: String? = nil, done: [String] = []) {
        self.service = service
        self.pending = pending
        self.current = current
        self.done = done
    }
}

extension Supervisor {
    /// `supervise restart SERVICE --rolling`: drains and replaces the running units of `service` one by one.
    public mutating func rollingRestart(service: String, now: Instant) -> (CommandOutcome, [Effect]) {
        guard !shuttingDown else { return (.refused("the daemon is shutting down"), []) }
        let members = units.filter { $0.spec.service == service || $0.name == service }
            .sorted { ($0.container?.replica ?? 0, $0.name) < ($1.container?.replica ?? 0, $1.name) }
        guard !members.isEmpty else {
            let services = Array(Set(units.map(\.spec.service))).sorted()
            return (.unknownUnit(name: service, known: services), [])
        }
        guard rolling[service] == nil else {
            return (.unchanged("a rolling restart of \(service) is already under way (\(rolling[service]!.current ?? "between units"))"), [])
        }
        let running = members.filter { $0.phase == .running }.map(\.name)
        guard !running.isEmpty else { return (.refused("no unit of \(service) is running"), []) }
        rolling[service] = RollingRestart(service: service, pending: running)
        log(.notice, nil, "rolling-start", "rolling restart of \(service): \(running.joined(separator: ", "))")
        reconcile(now: now)
        return (.accepted("rolling restart of \(service): \(running.joined(separator: ", ")), one at a time"), takeEffects())
    }

    /// Carries on the rolling restarts a previous daemon left unfinished (called at boot, once
    /// every process unit's fate is known). Left to replace are the units still running from
    /// before: process units adopted from the previous daemon (one started afresh now has nothing
    /// old left to replace), the one whose drain resumes, and container units, which keep running
    /// across a daemon restart and are known again once Docker is resynchronised.
    mutating func resumeRollingRestarts(_ saved: [RollingRestart]) {
        func stillOld(_ name: String) -> Bool {
            if let i = index(name) { return units[i].phase == .running || units[i].phase == .draining }
            return awaitingDiscovery(name)
        }
        for var roll in saved {
            roll.pending = roll.pending.filter(stillOld)
            if let current = roll.current, !stillOld(current) { roll.current = nil }
            guard roll.current != nil || !roll.pending.isEmpty else { continue }
            rolling[roll.service] = roll
            log(.notice, nil, "rolling-resume", "rolling restart of \(roll.service) resumed after a daemon restart: "
                + "\(roll.current.map { "\($0) being replaced, " } ?? "")\(roll.pending.isEmpty ? "none" : roll.pending.joined(separator: ", ")) still to go")
        }
    }

    /// A container unit saved by the previous daemon that this one has not seen yet because
    /// Docker has not been resynchronised since the start; a rolling restart waits for it.
    func awaitingDiscovery(_ name: String) -> Bool {
        index(name) == nil && !containersResynced && !config.containers.isEmpty && persistedUnseen[name] != nil
    }

    /// Adds `name` to its service's rolling restart (started when there is none).
    mutating func enqueueRollingRestart(of name: String) {
        guard let i = index(name) else { return }
        let service = units[i].spec.service
        var roll = rolling[service] ?? RollingRestart(service: service, pending: [])
        guard roll.current != name, !roll.pending.contains(name) else { return }
        roll.pending.append(name)
        rolling[service] = roll
        emit(.persist)
    }

    /// Whether a unit a rolling restart replaced is back in service: ready when it has a readiness
    /// probe, else healthy when it has a liveness probe or a Docker HEALTHCHECK, else running.
    func isBackInService(_ u: UnitRuntime) -> Bool {
        guard u.phase == .running else { return false }
        if u.activeSpec.readiness != nil { return u.probes[.readiness]?.health == .healthy }
        if u.activeSpec.liveness != nil { return u.probes[.liveness]?.health == .healthy }
        if let health = u.container?.health { return health == .healthy }
        return true
    }

    mutating func advanceRollingRestarts(now: Instant) {
        let before = rolling
        // Every step is written down, so a restarted daemon carries on where this one was.
        defer { if rolling != before { emit(.persist) } }
        for service in rolling.keys.sorted() {
            guard var roll = rolling[service] else { continue }
            if let current = roll.current {
                if awaitingDiscovery(current) { continue }
                guard let i = index(current) else {
                    log(.warning, nil, "rolling-abort", "rolling restart of \(service) stopped: \(current) is gone")
                    rolling[service] = nil
                    continue
                }
                if units[i].phase == .failed || units[i].phase == .drained {
                    log(.error, current, "rolling-abort", "rolling restart of \(service) stopped: \(current) is \(units[i].phase.rawValue) (\(units[i].reason ?? ""))")
                    rolling[service] = nil
                    continue
                }
                guard isBackInService(units[i]) else { continue }
                log(.notice, current, "rolling-step", "back in service; rolling restart of \(service) moves on")
                roll.done.append(current)
                roll.current = nil
            }
            while roll.current == nil, let next = roll.pending.first {
                if awaitingDiscovery(next) { break }
                roll.pending.removeFirst()
                guard let i = index(next), units[i].phase == .running else { continue }
                rolling[service] = roll
                if let why = budgetRefusal(for: i) {
                    // Another unit of the service is out: wait for it.
                    roll.pending.insert(next, at: 0)
                    units[i].reason = "rolling restart waits: \(why)"
                    break
                }
                roll.current = next
                rolling[service] = roll
                beginDrain(i, then: .restart, by: "rolling restart", now: now)
            }
            if roll.current == nil && roll.pending.isEmpty {
                log(.notice, nil, "rolling-done", "rolling restart of \(service) done: \(roll.done.joined(separator: ", "))")
                rolling[service] = nil
            } else {
                rolling[service] = roll
            }
        }
    }
}
