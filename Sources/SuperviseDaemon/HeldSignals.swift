import UnixSignals

/// SIGTERM, SIGINT and SIGHUP, caught from the first moment of `supervise run` and kept until the
/// daemon acts on them (see ``Daemon/holdSignals()``).
///
/// Blocking them, as the daemon did while its `main` was synchronous, would no longer keep them:
/// with an async `main`, libdispatch parks the main thread in `sigsuspend` with an empty mask, so a
/// SIGTERM sent to the process is delivered there, and its default action ends the daemon whatever
/// the other threads block. So they are caught: a swift-service-lifecycle `UnixSignalsSequence`
/// has libdispatch install a handler of its own for each and buffers what arrives. A signal that
/// comes while the daemon reads its configuration or starts its units neither kills it half-started
/// nor is lost; ``SignalWatcher`` takes it once the service group exists. Units still start with
/// default dispositions (a handler does not survive `exec`) and an empty signal mask (the spawner).
public struct HeldSignals: Sendable {
    /// The signals the daemon acts on.
    static let handled: [UnixSignal] = [.sigterm, .sigint, .sighup]

    let sequence: UnixSignalsSequence

    /// Catches ``handled`` from now on; returns once the handlers are in place.
    static func catchNow() async -> HeldSignals {
        HeldSignals(sequence: await UnixSignalsSequence(trapping: handled))
    }
}
