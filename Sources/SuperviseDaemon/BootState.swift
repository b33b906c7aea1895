import SuperviseCore

/// What the daemon found before its loop starts: the saved state and the processes of a killed
/// predecessor that it adopts instead of starting them again.
package struct BootState: Sendable {
    package var persisted: PersistedState?
    /// Units whose saved process still runs (same pid and start time).
    package var adopted: Set<String>
    /// How long each adopted process has been running, where `/proc` told: its uptime counts from
    /// its own start, not from this daemon's.
    package var uptimes: [String: Duration]
    /// Units whose saved main process is gone but whose other processes are not, by count.
    package var leftovers: [String: Int]

    package init(persisted: PersistedState? = nil, adopted: Set<String> = [], uptimes: [String: Duration] = [:],
                 leftovers: [String: Int] = [:]) {
        self.persisted = persisted
        self.adopted = adopted
        self.uptimes = uptimes
        self.leftovers = leftovers
    }
}
