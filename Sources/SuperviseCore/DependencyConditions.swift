/// Whether a unit's dependencies meet their Compose conditions.
extension Supervisor {
    /// Nil when `dependency` meets its condition; otherwise what the dependent waits for, as
    /// status shows it: `db (service_healthy: running, liveness unknown)`.
    func unmetCondition(_ dependency: DependencySpec) -> String? {
        guard let u = unit(dependency.name) else { return "\(dependency.name) (not present)" }
        switch dependency.condition {
        case .started:
            return u.phase == .running ? nil : "\(dependency.name) (\(u.phase.rawValue))"
        case .healthy:
            guard u.phase == .running else { return "\(dependency.name) (service_healthy: \(u.phase.rawValue))" }
            let health = Self.health(of: u)
            return health.verdict == .healthy ? nil : "\(dependency.name) (service_healthy: \(health.source) \(health.verdict.rawValue))"
        case .completedSuccessfully:
            if u.phase == .exited, u.lastExit == .exited(code: 0) { return nil }
            let seen = u.lastExit.map { ", last \($0)" } ?? ""
            return "\(dependency.name) (service_completed_successfully: \(u.phase.rawValue)\(seen))"
        }
    }

    /// A running unit's health as `service_healthy` reads it: its liveness probe's verdict; for a
    /// container without one, Docker's HEALTHCHECK; healthy when it has neither.
    static func health(of u: UnitRuntime) -> (verdict: ProbeHealth, source: String) {
        if u.activeSpec.liveness != nil { return (u.probes[.liveness]?.health ?? .unknown, "liveness") }
        if let docker = u.container?.health {
            return (docker == .healthy ? .healthy : docker == .unhealthy ? .unhealthy : .unknown, "HEALTHCHECK")
        }
        return (.healthy, "running")
    }
}
