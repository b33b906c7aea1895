import Dispatch
import Foundation

/// Places simulated calls on agent-sim workers (`POST /calls?duration=S`) and records what each
/// worker answered: accepted (201, with the worker's call id), refused (503, draining) or
/// unreachable (no answer: not listening yet, or gone). `Target` names a worker; `exchange` does
/// one HTTP exchange with it (on the host's loopback, or inside a container's network namespace).
public final class CallGenerator<Target: Sendable & Hashable>: @unchecked Sendable {
    public typealias Exchange = @Sendable (_ target: Target, _ method: String, _ path: String) -> (status: Int, body: String)?

    public enum Outcome: Sendable, Equatable {
        case accepted(id: Int)
        case refused
        case unreachable
        case other(status: Int)
    }

    public struct Call: Sendable {
        public var target: Target
        public var duration: Double
        public var outcome: Outcome
        public var placedAt: Date
        public var accepted: Bool { if case .accepted = outcome { true } else { false } }
        public var endsAt: Date { placedAt.addingTimeInterval(duration) }
    }

    private let exchange: Exchange
    // @unchecked Sendable: everything below is guarded by `lock`.
    private let lock = NSLock()
    private var calls: [Call] = []
    private var stopRequested = false
    private var running = false
    private let finished = DispatchSemaphore(value: 0)

    public init(exchange: @escaping Exchange) { self.exchange = exchange }

    deinit { stop() }

    /// Every call placed so far, in order.
    public var all: [Call] { lock.withLock { calls } }
    public var accepted: [Call] { all.filter(\.accepted) }
    public var refused: [Call] { all.filter { $0.outcome == .refused } }
    public func accepted(on target: Target) -> [Call] { accepted.filter { $0.target == target } }

    /// Places one call of `duration` seconds on `target` and records the answer.
    @discardableResult
    public func place(on target: Target, duration: Double) -> Call {
        let placedAt = Date()
        let outcome: Outcome
        switch exchange(target, "POST", "/calls?duration=\(duration)") {
        case nil:
            outcome = .unreachable
        case let (status, body)? where status == 201:
            outcome = .accepted(id: Self.callID(in: body) ?? -1)
        case let (status, _)? where status == 503:
            outcome = .refused
        case let (status, _)?:
            outcome = .other(status: status)
        }
        let call = Call(target: target, duration: duration, outcome: outcome, placedAt: placedAt)
        lock.withLock { calls.append(call) }
        return call
    }

    /// A background thread placing one call every `every` seconds (a steady rate: the time a call
    /// takes to place counts) round-robin on `targets`, each
    /// lasting a random time in `durations` (tenths of a second). A refused or unreachable call goes
    /// to the next worker at once (at most once round the ring), as a dispatcher would.
    public func startSteadyLoad(on targets: [Target], durations: ClosedRange<Double>, every: Double) {
        lock.withLock { running = true }
        let thread = Thread { [self] in
            var next = 0
            while !lock.withLock({ stopRequested }) {
                let started = Date()
                let duration = (Double.random(in: durations) * 10).rounded() / 10
                for _ in targets.indices {
                    let target = targets[next % targets.count]
                    next += 1
                    if place(on: target, duration: duration).accepted { break }
                }
                let spent = Date().timeIntervalSince(started)
                if spent < every { Thread.sleep(forTimeInterval: every - spent) }
            }
            finished.signal()
        }
        thread.name = "call-generator"
        thread.start()
    }

    /// Stops the background load and waits for its thread to finish its current call.
    public func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            defer { stopRequested = true }
            return running && !stopRequested
        }
        if wasRunning { _ = finished.wait(timeout: .now() + 10) }
    }

    /// The `"id"` of a `POST /calls` answer (`{"id":3,"duration":2.0}`).
    static func callID(in body: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return nil }
        return (object["id"] as? NSNumber)?.intValue
    }
}
