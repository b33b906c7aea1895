import SuperviseCore

/// Keeps the state that must outlive the daemon (``StateStore``: `state_dir/state.json`, written
/// off the loop).
package protocol StateWriting: Sendable {
    /// Schedules `state` to be written; a later save before the write starts replaces it. `done`
    /// runs once it (or a later state, which includes it) is on disk, with nil, or why the file
    /// could not be written. Never waits for the disk.
    func save(_ state: PersistedState, then done: (@Sendable (String?) -> Void)?)

    /// Returns once everything saved so far is written (used at shutdown).
    func flush() async
}

extension StateWriting {
    /// Schedules `state` to be written, with nobody waiting for it.
    func save(_ state: PersistedState) { save(state, then: nil) }
}
