import SuperviseControl
import SuperviseCore
import SuperviseMetrics

/// The outside world as the supervision loop sees it: one adapter per kind of I/O.
///
/// The daemon passes the real ones (``ProcessSpawner``, ``StateStore``, ``SystemdNotifier``,
/// ``ProbeEngine``, ``DockerWatcher``, ``MonotonicClock``); tests pass doubles, so the loop runs
/// with the real core in-process. Whatever an adapter learns reaches the loop as an input through
/// the loop's feed, never by a call back into it.
package struct SupervisionAdapters: Sendable {
    package var launcher: any ProcessLauncher
    package var store: any StateWriting
    package var notifier: any ReadinessNotifying
    /// Made on the first probe: libcurl's initialisation (TLS libraries included) costs several MB
    /// of RSS that a daemon without probes should not carry.
    package var makeProbeRunner: @Sendable () -> any ProbeRunning
    /// Made when the configuration first has container selectors.
    package var makeContainerDriver: @Sendable (DockerSettings) -> any ContainerDriving
    package var clock: any SupervisionClock
    /// The Prometheus metrics the loop keeps (`GET /metrics`).
    package var metrics: SupervisorMetrics
    /// Where logged events go for `GET /v1/events` and webhooks.
    package var events: EventHub

    package init(launcher: any ProcessLauncher, store: any StateWriting, notifier: any ReadinessNotifying,
                 makeProbeRunner: @escaping @Sendable () -> any ProbeRunning,
                 makeContainerDriver: @escaping @Sendable (DockerSettings) -> any ContainerDriving,
                 clock: any SupervisionClock, metrics: SupervisorMetrics = SupervisorMetrics(version: superviseVersion),
                 events: EventHub? = nil) {
        self.metrics = metrics
        self.events = events ?? EventHub(metrics: metrics)
        self.launcher = launcher
        self.store = store
        self.notifier = notifier
        self.makeProbeRunner = makeProbeRunner
        self.makeContainerDriver = makeContainerDriver
        self.clock = clock
    }
}
