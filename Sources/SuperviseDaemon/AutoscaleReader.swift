import Logging
import SuperviseCore
import SuperviseQueues

/// Takes the readings of every autoscaled service (process or Compose), each every its `autoscale.interval`,
/// and feeds them to the loop, where the core decides the count: the queue trigger's list length
/// through hiredis on a poller thread of its own (a failed reading is fed too, with its error:
/// the count then holds), and for a service with only the live-calls trigger a bare tick, the
/// core knowing the live calls itself.
final class AutoscaleReader: Sendable {
    /// The services read, as configured: a reload that changes none of them keeps the reader.
    let services: [String: AutoscaleSpec]
    private let poller: QueueDepthPoller?
    private let ticks: Task<Void, Never>?

    /// Starts reading; `passwords` by service name (the queue trigger's password, read at start-up and reload).
    init(services: [ReplicatedService], passwords: [String: String], feed: AsyncStream<DaemonInput>.Continuation) {
        let autoscaled = services.compactMap { s in s.settings.autoscale.map { (s.name, $0) } }
        self.services = Dictionary(autoscaled, uniquingKeysWith: { a, _ in a })
        let queues = autoscaled.compactMap { name, spec in spec.queue?.queueSpec(name: name, interval: spec.interval) }
        if queues.isEmpty {
            poller = nil
        } else {
            let poller = QueueDepthPoller(queues: queues, passwords: passwords) { reading in
                feed.yield(.event(.autoscaleReading(service: reading.queue,
                                                    AutoscaleReading(queueLength: reading.length, queueError: reading.error))))
            }
            poller.start()
            self.poller = poller
        }
        let callsOnly = autoscaled.filter { $0.1.queue == nil }
        ticks = callsOnly.isEmpty ? nil : Task.detached {
            var due = callsOnly.map { (name: $0.0, interval: $0.1.interval, next: ContinuousClock.now) }
            while !Task.isCancelled {
                let now = ContinuousClock.now
                for i in due.indices where due[i].next <= now {
                    feed.yield(.event(.autoscaleReading(service: due[i].name, AutoscaleReading())))
                    due[i].next = now + due[i].interval
                }
                guard let next = due.map(\.next).min() else { return }
                try? await Task.sleep(until: next, clock: .continuous)
            }
        }
    }

    /// The queue triggers' passwords, by service name.
    static func passwords(for services: [ReplicatedService]) throws -> [String: String] {
        let specs = services.compactMap { s in s.settings.autoscale?.queue.map { $0.queueSpec(name: s.name, interval: .seconds(1)) } }
        return try QueuePassword.resolve(for: specs)
    }

    /// Stops reading; blocks up to a queue's timeout when a reading is under way.
    func stop() {
        ticks?.cancel()
        poller?.stop()
    }
}
