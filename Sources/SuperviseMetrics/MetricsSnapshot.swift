import SuperviseCore

/// What the gauges of one scrape are set from: taken by the supervision loop, which owns the
/// state, and rendered off it.
public struct MetricsSnapshot: Sendable {
    /// Every configured unit, with its resources filled in where known.
    public var units: [UnitStatus]
    /// The configured queues and their last readings.
    public var queues: [QueueDepth]
    /// Whether the Docker event stream is connected; nil without container units.
    public var dockerConnected: Bool?
    /// Webhook deliveries so far; nil without webhooks.
    public var webhooks: WebhookTotals?
    /// Units with a drain contract: their drain counters exist from the start.
    public var drainUnits: Set<String>

    public init(units: [UnitStatus], drainUnits: Set<String> = [], queues: [QueueDepth] = [], dockerConnected: Bool? = nil,
                webhooks: WebhookTotals? = nil) {
        self.units = units
        self.drainUnits = drainUnits
        self.queues = queues
        self.dockerConnected = dockerConnected
        self.webhooks = webhooks
    }
}

/// A configured queue's last reading.
public struct QueueDepth: Sendable, Equatable {
    public var name: String
    /// The service whose workers take from the queue, when configured.
    public var service: String?
    /// The list's length at the last read; nil when the last read failed (or none was made yet).
    public var length: Int?

    public init(name: String, service: String?, length: Int?) {
        self.name = name
        self.service = service
        self.length = length
    }
}

/// Webhook deliveries so far.
public struct WebhookTotals: Sendable, Equatable {
    public var sent: Int
    public var failed: Int
    public var dropped: Int

    public init(sent: Int, failed: Int, dropped: Int) {
        self.sent = sent
        self.failed = failed
        self.dropped = dropped
    }
}
