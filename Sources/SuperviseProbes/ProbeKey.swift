import SuperviseCore

/// Identifies one running probe: a unit's probe for one role, for one process generation
/// (a restarted process gets a new generation, so late results of the old one are ignored).
public struct ProbeKey: Hashable, Sendable, CustomStringConvertible {
    public var unit: String
    public var role: ProbeRole
    public var generation: UInt64

    public init(unit: String, role: ProbeRole, generation: UInt64) {
        self.unit = unit
        self.role = role
        self.generation = generation
    }

    public var description: String { "\(unit)/\(role.rawValue)#\(generation)" }
}
