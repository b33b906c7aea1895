import Foundation
import SuperviseCore
import SuperviseMetrics
import SuperviseNotify
import Synchronization

/// The events the journal carries (every record with an `event`, but a unit's output lines), for
/// `GET /v1/events` readers and webhooks: numbered, kept in a bounded buffer for replay, and
/// handed to each reader through a bounded buffer of its own.
///
/// ``publish(_:)`` never waits: it appends, and yields one line to each reader. A reader that
/// falls ``readerBuffer`` events behind is dropped with a last line saying so and where to
/// resume (`?after=SEQ`), and counted (`supervise_event_readers_dropped_total`); the others and
/// the supervision loop go on as if it were not there.
package final class EventHub: Sendable {
    /// Events kept for replay (`?since=`, `?after=`).
    package let capacity: Int
    /// Events a reader may be behind before it is dropped.
    package let readerBuffer: Int
    private let metrics: SupervisorMetrics
    private let state: Mutex<State>

    private struct Reader {
        var continuation: AsyncStream<[UInt8]>.Continuation
        var unit: String?
        /// The stream ended from the reading side (the client went away): forgotten at the next event.
        var gone: GoneFlag
    }

    /// Set by a stream's `onTermination`, which must not take `state`: Swift runs it when the
    /// connection's writer task is cancelled, holding that task's status lock, and `yield` (under
    /// `state`, to keep the events in order) takes the same lock to resume the task. With
    /// `onTermination` taking `state`, a client that left while an event was published stopped
    /// the supervision loop and the control server's event loop for good, each holding what the
    /// other waited for.
    private final class GoneFlag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    private struct State {
        var seq: UInt64 = 0
        var recent: [SupervisionEvent] = []
        /// Index of the oldest event in `recent` once it is full (a ring).
        var head = 0
        var readers: [UInt64: Reader] = [:]
        var nextReader: UInt64 = 0
        var notifier: WebhookNotifier?
        /// Notifiers replaced (on a reload) and still stopping: their deliveries still count.
        var replaced: [WebhookNotifier] = []
        /// The deliveries of the notifiers replaced and stopped; nil until one was.
        var retired: WebhookCounters?

        var ordered: [SupervisionEvent] { Array(recent[head...] + recent[..<head]) }
    }

    package init(metrics: SupervisorMetrics, capacity: Int = 1_000, readerBuffer: Int = 1_000) {
        self.metrics = metrics
        self.capacity = capacity
        self.readerBuffer = readerBuffer
        state = Mutex(State())
    }

    /// Who gets each event as a webhook from now on; the one it replaces is returned, to be stopped
    /// and then handed to ``retire(_:)``.
    @discardableResult
    package func setNotifier(_ notifier: WebhookNotifier?) -> WebhookNotifier? {
        state.withLock { s in
            defer { s.notifier = notifier }
            if let old = s.notifier { s.replaced.append(old) }
            return s.notifier
        }
    }

    /// A notifier that ``setNotifier(_:)`` replaced has stopped: its counts are final, and kept.
    package func retire(_ notifier: WebhookNotifier) {
        state.withLock { s in
            guard let index = s.replaced.firstIndex(where: { $0 === notifier }) else { return }
            let counted = s.replaced.remove(at: index).counters
            var retired = s.retired ?? WebhookCounters()
            retired.sent += counted.sent
            retired.failed += counted.failed
            retired.dropped += counted.dropped
            retired.retried += counted.retried
            s.retired = retired
        }
    }

    /// The deliveries of every notifier this daemon has had (`supervise_webhook_deliveries_total`,
    /// which must not go back when a reload replaces the notifier); nil when it never had one.
    package var webhookCounters: WebhookCounters? {
        state.withLock { s in
            let live = s.replaced + (s.notifier.map { [$0] } ?? [])
            guard s.retired != nil || !live.isEmpty else { return nil }
            return live.map(\.counters).reduce(into: s.retired ?? WebhookCounters()) { total, counted in
                total.sent += counted.sent
                total.failed += counted.failed
                total.dropped += counted.dropped
                total.retried += counted.retried
            }
        }
    }

    package var notifier: WebhookNotifier? { state.withLock { $0.notifier } }

    /// Numbers and records an event, and hands it to every reader and the webhooks.
    package func publish(level: String, unit: String?, event: String, message: String, reason: String?, exit: String?) {
        metrics.eventRecorded(level: level)
        // Finished after the lock is let go: `finish()` resumes the reader's task, and runs the
        // stream's `onTermination` at once (when it took the lock, inside it was a crash).
        var dropped: [AsyncStream<[UInt8]>.Continuation] = []
        let (record, notifier) = state.withLock { s -> (SupervisionEvent, WebhookNotifier?) in
            s.seq += 1
            // Timed under the lock, so time order is seq order (`since=` filters by time).
            let record = SupervisionEvent(seq: s.seq, time: LineLogHandler.timestamp(), level: level, unit: unit, event: event, message: message,
                                          reason: reason, exit: exit)
            if s.recent.count < capacity {
                s.recent.append(record)
            } else {
                s.recent[s.head] = record
                s.head = (s.head + 1) % capacity
            }
            // Encoded once, and only when some reader takes it.
            var encoded: [UInt8]?
            for (id, reader) in s.readers {
                if reader.gone.isSet {
                    s.readers[id] = nil
                    continue
                }
                guard reader.unit == nil || reader.unit == unit else { continue }
                let line = encoded ?? Self.line(record)
                encoded = line
                if case .dropped = reader.continuation.yield(line) {
                    // Newest kept, oldest dropped: the last line below is always read.
                    reader.continuation.yield(Self.droppedLine(seq: record.seq, behind: readerBuffer))
                    s.readers[id] = nil
                    dropped.append(reader.continuation)
                }
            }
            return (record, s.notifier)
        }
        for continuation in dropped {
            continuation.finish()
            metrics.eventReaderDropped()
        }
        notifier?.publish(record)
    }

    /// What a new reader gets: the kept events that `replay` selects (oldest first), then every new
    /// one, for `unit` only when given. Ends when the reader falls behind (see the type's comment).
    package func subscribe(replay: (SupervisionEvent) -> Bool, unit: String?) -> AsyncStream<[UInt8]> {
        state.withLock { s in
            let old = s.ordered.filter { (unit == nil || $0.unit == unit) && replay($0) }
            let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self,
                                                               bufferingPolicy: .bufferingNewest(old.count + readerBuffer))
            for event in old { continuation.yield(Self.line(event)) }
            let id = s.nextReader
            s.nextReader += 1
            let gone = GoneFlag()
            s.readers[id] = Reader(continuation: continuation, unit: unit, gone: gone)
            continuation.onTermination = { _ in gone.set() }
            return stream
        }
    }

    /// Ends every reader's stream (the daemon is exiting).
    package func finishReaders() {
        let readers = state.withLock { s in
            defer { s.readers = [:] }
            return Array(s.readers.values)
        }
        for reader in readers { reader.continuation.finish() }
    }

    /// The control API's encoder (snake_case keys, sorted), on one line.
    private static let encoder = ControlJSON.encoder()

    /// One NDJSON line.
    static func line(_ event: SupervisionEvent) -> [UInt8] {
        ((try? encoder.encode(event)) ?? Data("{}".utf8)) + [UInt8(ascii: "\n")]
    }

    static func droppedLine(seq: UInt64, behind: Int) -> [UInt8] {
        let note = SupervisionEvent(
            seq: seq, time: LineLogHandler.timestamp(), level: "warning", unit: nil, event: "reader-dropped",
            message: "this reader fell more than \(behind) events behind and was dropped; events before seq \(seq) may be missing; "
                + "reconnect with ?after=SEQ (the last seq read) to resume")
        return line(note)
    }
}
