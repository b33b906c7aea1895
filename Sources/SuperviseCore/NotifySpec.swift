/// Whom supervise tells when something an operator must know happens (`notify:` in the file).
public struct NotifySpec: Sendable, Hashable, Codable {
    /// Receivers of HTTP `POST`s, in file order; empty: nobody is notified.
    public var webhooks: [WebhookSpec]

    /// No notifications: what a file without `notify` gives.
    public static let none = NotifySpec()

    public init(webhooks: [WebhookSpec] = []) {
        self.webhooks = webhooks
    }
}

/// One webhook: the URL that gets a JSON `POST` for each event it subscribes to.
public struct WebhookSpec: Sendable, Hashable, Codable {
    /// `http://` or `https://`.
    public var url: String
    /// The events delivered: names from ``eventNames``.
    public var events: Set<String>
    /// Limit of one delivery attempt (connect, send, answer); a slower one is retried.
    public var timeout: Duration
    /// Headers sent with every request, as written in the file.
    public var headers: [String: String]
    /// A file of `Name: value` lines sent as headers too, read at every attempt (for secrets kept out of the
    /// configuration file, such as a systemd credential); nil: none.
    public var headersFile: String?

    /// What `events` is when the file leaves it out: the events that need a person.
    public static let defaultEvents: Set<String> = ["gave-up", "drain-cut", "docker-lost"]
    public static let defaultTimeout = Duration.seconds(5)

    /// The event a notifier makes itself: a unit that had given up (`gave-up`) runs again (`start`), or the
    /// Docker API is reachable (`docker-connected`) after `docker-lost`.
    public static let recovered = "recovered"

    /// Events the daemon logs itself, beside the core's: its start, readiness, a refused reload, a state file it
    /// cannot write, leftovers it stopped, a unit's output cut by its rate limit, and the queues. Not
    /// `webhook-failed` (a webhook told of its own failures would feed itself), nor `daemon-exit` (logged once
    /// the webhooks have stopped).
    public static let daemonEventNames: [String] = [
        "daemon-start", "leftover", "output-suppressed", "queue-config", "queue-lost", "queue-recovered",
        "ready", "reload-failed", "state-error",
    ]

    /// Every event name a webhook may subscribe to: the journal's `SUPERVISE_EVENT` values the core logs (see
    /// `Supervisor.log`), those of ``daemonEventNames``, and ``recovered``. Sorted.
    public static let eventNames: [String] = [
        "action-failed", "added", "adopted", "autoscale", "autoscale-blind", "autoscale-pause", "autoscale-resume",
        "autoscale-sees", "backoff", "changed", "daemon-start", "discovered",
        "docker-connected", "docker-lost", "docker-resync", "drain-cut", "drain-done", "drain-empty", "drain-hung",
        "drain-request-failed", "drain-resume", "drain-start", "drain-timeout", "empty", "exit", "exited", "gave-up",
        "heal-drain", "healthy", "kill", "leftover", "leftovers", "main-exit", "oom", "operator-reset",
        "operator-restart", "operator-start", "operator-stop", "operator-undrain", "output-suppressed",
        "queue-config", "queue-lost", "queue-recovered", "ready", "recovered", "recreated", "reload",
        "reload-failed", "removed", "replica-added", "replica-adding", "replica-failed", "replica-held",
        "replica-remove-failed", "replica-removing", "replica-unmatched", "restart", "restart-failed", "restart-issued",
        "rolling-abort", "rolling-done", "rolling-resume", "rolling-start", "rolling-step", "rollout-abort",
        "rollout-aborted", "rollout-done", "rollout-start", "scale", "shutdown", "spawn-failed", "start", "state-error",
        "stop", "stop-failed", "stop-resume", "stop-retry", "unhealthy",
    ]

    public init(url: String, events: Set<String> = WebhookSpec.defaultEvents,
                timeout: Duration = WebhookSpec.defaultTimeout, headers: [String: String] = [:],
                headersFile: String? = nil) {
        self.url = url
        self.events = events
        self.timeout = timeout
        self.headers = headers
        self.headersFile = headersFile
    }

    /// Whether the webhook gets events named `event`.
    public func wants(_ event: String) -> Bool { events.contains(event) }
}
