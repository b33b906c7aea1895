import Logging
import SuperviseControl
import SuperviseCore
import SuperviseMetrics
import SuperviseQueues
import Synchronization

/// The configured queues (`queues:`): their poller, and each one's last reading for the metrics
/// and `status`. A queue that becomes unreadable is logged once (`queue-lost`), and once again
/// when it can be read again (`queue-recovered`), not at every reading.
final class QueueMonitor: Sendable {
    let specs: [QueueSpec]
    private let poller: QueueDepthPoller
    private let latest: Readings

    /// The last reading of each queue, shared with the poller's callback.
    private final class Readings: Sendable {
        let byQueue = Mutex<[String: QueueReading]>([:])
    }

    /// Starts reading `specs`; `passwords` by queue name (``QueuePassword/resolve(for:environment:)``).
    init(specs: [QueueSpec], passwords: [String: String], logger: Logger) {
        self.specs = specs
        let latest = Readings()
        self.latest = latest
        poller = QueueDepthPoller(queues: specs, passwords: passwords) { reading in
            let previous = latest.byQueue.withLock { readings in
                defer { readings[reading.queue] = reading }
                return readings[reading.queue]
            }
            let metadata: Logger.Metadata = ["event": reading.error == nil ? "queue-recovered" : "queue-lost", "queue": "\(reading.queue)"]
            if let error = reading.error, previous == nil || previous?.error == nil {
                logger.warning("queue \(reading.queue) cannot be read: \(error)", metadata: metadata)
            } else if reading.error == nil, let before = previous?.error {
                logger.notice("queue \(reading.queue) can be read again (length \(reading.length ?? 0)); it failed with: \(before)", metadata: metadata)
            }
        }
        poller.start()
    }

    /// Each queue's last length (nil while it cannot be read), for the metrics.
    func depths() -> [QueueDepth] {
        let readings = latest.byQueue.withLock { $0 }
        return specs.map { QueueDepth(name: $0.name, service: $0.service, length: readings[$0.name]?.length) }
    }

    /// Each queue as `status` shows it.
    func statuses(now: Instant) -> [QueueStatus] {
        let readings = latest.byQueue.withLock { $0 }
        return specs.map { spec in
            let reading = readings[spec.name]
            return QueueStatus(name: spec.name, redis: spec.redis.description, list: spec.list, service: spec.service,
                               length: reading?.length, error: reading == nil ? "not read yet" : reading?.error,
                               readSecondsAgo: reading.map { (now - $0.at).seconds })
        }
    }

    /// Stops the poller; blocks up to a queue's timeout when a reading is under way.
    func stop() { poller.stop() }
}
