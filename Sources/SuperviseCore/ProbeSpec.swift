/// What a probe's verdict is used for.
public enum ProbeRole: String, Sendable, Codable, CaseIterable {
    /// Unhealthy → the unit is restarted through its restart policy (backoff, start limit).
    case liveness
    /// Reported and exported only; never restarts (used by drain and rolling restarts).
    case readiness
    /// Reads a draining unit's live-call count (its drain progress URL); never a health verdict.
    case drain
}

/// An HTTP GET check.
public struct HTTPCheck: Sendable, Hashable, Codable {
    public var url: String
    /// Healthy status codes, inclusive (default 200...399).
    public var statusMin: Int
    public var statusMax: Int
    /// When set, the body must contain this text.
    public var bodyContains: String?
    public var headers: [String: String]

    public init(url: String, statusMin: Int = 200, statusMax: Int = 399, bodyContains: String? = nil,
                headers: [String: String] = [:]) {
        self.url = url
        self.statusMin = statusMin
        self.statusMax = statusMax
        self.bodyContains = bodyContains
        self.headers = headers
    }
}

/// How a probe checks health.
public enum ProbeCheck: Sendable, Hashable, Codable {
    case http(HTTPCheck)
    /// Healthy when a TCP connection is established.
    case tcp(host: String, port: Int)
    /// Healthy when the command exits 0 within the timeout; killed with its process group otherwise.
    case exec(command: [String])
}

/// Which network a container unit's HTTP/TCP probe connects from.
public enum ProbeNetwork: String, Sendable, Hashable, Codable {
    /// The host's (the daemon's own) network: loopback or a published port.
    case host
    /// The container's own network namespace, so `127.0.0.1` is the container's loopback and no
    /// published port is needed.
    case container
}

/// One probe of a unit. Names and defaults follow Kubernetes probes (period 10 s, timeout 1 s,
/// failureThreshold 3, successThreshold 1) with Compose's `start_period`.
public struct ProbeSpec: Sendable, Hashable, Codable {
    public var check: ProbeCheck
    public var interval: Duration
    public var timeout: Duration
    /// Consecutive failures that turn the probe unhealthy.
    public var failureThreshold: Int
    /// Consecutive successes that turn it healthy again.
    public var successThreshold: Int
    /// Failures do not count until the first success or until this much time after the start.
    public var startPeriod: Duration
    /// Time after the start before the first probe.
    public var initialDelay: Duration
    /// For container units: where HTTP/TCP connections are made from.
    public var network: ProbeNetwork = .host
    /// Set by the core when it starts the probe of a container unit with `network: container`:
    /// the container's main process, whose network namespace the connections are made in.
    public var networkNamespacePid: Int32?
    /// The result carries the start of the body (drain progress readings).
    public var keepsBody = false

    public static let defaultInterval = Duration.seconds(10)
    public static let defaultTimeout = Duration.seconds(1)

    public init(check: ProbeCheck, interval: Duration = ProbeSpec.defaultInterval, timeout: Duration = ProbeSpec.defaultTimeout,
                failureThreshold: Int = 3, successThreshold: Int = 1, startPeriod: Duration = .zero, initialDelay: Duration = .zero) {
        self.check = check
        self.interval = interval
        self.timeout = timeout
        self.failureThreshold = failureThreshold
        self.successThreshold = successThreshold
        self.startPeriod = startPeriod
        self.initialDelay = initialDelay
    }
}

/// The outcome of one probe run, as the probe engine reports it.
public struct ProbeResult: Sendable, Hashable, Codable {
    public var healthy: Bool
    public var latency: Duration
    /// Why it failed, precisely: `connection refused`, `timeout after 1000 ms`,
    /// `HTTP 503: unhealthy`, `exit code 1: <output tail>`.
    public var failure: String?
    /// The start of the response body, for probes with `keepsBody` (drain progress).
    public var body: String?

    public init(healthy: Bool, latency: Duration, failure: String? = nil) {
        self.healthy = healthy
        self.latency = latency
        self.failure = failure
    }
}
