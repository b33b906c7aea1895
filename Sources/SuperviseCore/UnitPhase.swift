/// Where a unit is in its life.
public enum UnitPhase: String, Sendable, Codable {
    /// Not running and not meant to run now (never started, stopped by an operator).
    case inactive
    /// Meant to run, waiting for its dependencies to be running.
    case waiting
    /// A spawn was issued; waiting for the shell's answer.
    case starting
    case running
    /// Told to drain (one signal or an HTTP request); live calls are finishing. Never restarted
    /// automatically, whatever its probes or exit say.
    case draining
    /// The stop signal was sent; SIGKILL follows at the stop deadline.
    case stopping
    /// Waiting out the backoff delay before the next automatic restart.
    case backoff
    /// Ended and not restarted by its policy.
    case exited
    /// Gave up (start limit); stays down until an operator runs `restart` or `reset`.
    case failed
}
