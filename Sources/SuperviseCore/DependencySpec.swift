/// When a dependency counts as met, with Compose's `depends_on` condition names.
public enum DependencyCondition: String, Sendable, Hashable, Codable, CaseIterable {
    /// The dependency is running (its process spawned, or its container running). The default.
    case started = "service_started"
    /// The dependency is running and healthy: its liveness probe's verdict is healthy, or, for a
    /// container unit without a liveness probe, Docker's HEALTHCHECK says healthy. A unit with
    /// neither counts as healthy once running.
    case healthy = "service_healthy"
    /// The dependency ran to completion and exited 0 (a one-shot unit, such as a database migration).
    case completedSuccessfully = "service_completed_successfully"
}

/// One entry of a unit's `depends_on`: the unit it waits for, and for what.
public struct DependencySpec: Sendable, Hashable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var name: String
    public var condition: DependencyCondition

    public init(_ name: String, condition: DependencyCondition = .started) {
        self.name = name
        self.condition = condition
    }

    public init(stringLiteral name: String) { self.init(name) }

    /// `db` for the default condition, `db (service_healthy)` otherwise.
    public var description: String { condition == .started ? name : "\(name) (\(condition.rawValue))" }
}
