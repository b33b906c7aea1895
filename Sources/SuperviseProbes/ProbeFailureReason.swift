/// A failed probe's reason as a small fixed set, for the `reason` label of
/// `supervise_probe_failures_total`: the failure texts of ``FailureText`` sorted by their fixed
/// beginnings (a label must not carry a URL or a body excerpt).
public enum ProbeFailureReason: String, Sendable, CaseIterable {
    /// The probe's own timeout, or a connect that timed out.
    case timeout
    /// No connection: refused, no route, unreachable, or the name did not resolve.
    case refused
    /// An HTTP status outside the healthy range.
    case status
    /// The body lacks the expected text.
    case body
    /// An exec probe exited unsuccessfully or was killed.
    case exit
    /// Anything else (TLS, a protocol error, a probe that could not be started).
    case error

    public init(failure: String) {
        func starts(_ prefixes: String...) -> Bool { prefixes.contains { failure.hasPrefix($0) } }
        if starts("timeout after", "connect timed out") {
            self = .timeout
        } else if starts("connection refused", "no route to host", "network unreachable", "cannot connect to", "cannot resolve host") {
            self = .refused
        } else if starts("HTTP ") {
            self = .status
        } else if starts("body does not contain") {
            self = .body
        } else if starts("exit code", "killed by") {
            self = .exit
        } else {
            self = .error
        }
    }
}
