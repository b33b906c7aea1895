import SuperviseCore
import SuperviseProbes

/// Runs health probes and reports each run's result (``ProbeEngine``: one libcurl multi thread,
/// exec probes through the spawner). Results go to the callback the engine was made with.
package protocol ProbeRunning: Sendable {
    /// Starts probing `key` with `spec` until ``remove(_:)``; replaces the probe if `key` is probed.
    func add(_ key: ProbeKey, spec: ProbeSpec, environment: [String: String], workingDirectory: String?)
    /// Stops probing `key`; no result for it is reported after this returns.
    func remove(_ key: ProbeKey)
    /// How punctually probe runs started since the engine was made or the last reset.
    func scheduleStats(reset: Bool) -> ProbeScheduleStats
    /// Stops every probe and the engine. May wait for the engine's thread: call it off the
    /// cooperative pool.
    func shutdown()
}

extension ProbeEngine: ProbeRunning {}
