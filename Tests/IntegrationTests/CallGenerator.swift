import Foundation

/// Places simulated calls on agent-sim workers over loopback HTTP (`POST /calls?duration=S`) and
/// records what each worker answered: accepted (201, with the worker's call id), refused (503,
/// draining) or unreachable (no answer: not listening yet, or gone).
final class CallGenerator: @unchecked Sendable {
    /// An agent-sim worker: its unit name and loopback port.
    struct Target: Sendable, Hashable {
        var name: String
        var port: Int
    }

    enum Outcome: Sendable, Equatable {
        case accepted(id: Int)
        case refused
        case unreachable
        case other(status: Int)
    }

    struct Call: Sendable {
        var target: Target
        var duration: Double
        var outcome: Outcome
        var placedAt: Date
        var accepted: Bool { if case .accepted = outcome { true } else { false } }
    }

    private let lock = NSLock()
    private var calls: [Call] = []
    private var stopRequested = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init() {}

    /// Every call placed so far, in order.
    var all: [Call] { lock.withLock { calls } }
    var accepted: [Call] { all.filter(\.accepted) }
    var refused: [Call] { all.filter { $0.outcome == .refused } }

    /// Places one call of `duration` seconds on `target` and records the answer.
    @discardableResult
    func place(on target: Target, duration: Double) -> Call {
        let placedAt = Date()
        let outcome: Outcome
        switch httpRequest("POST", port: target.port, path: "/calls?duration=\(duration)", timeout: 3) {
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

    /// Starts a background thread placing calls round-robin on `targets`, one every `every`
    /// seconds, each lasting a random time in `durations`. A refused or unreachable call is
    /// retried at once on the next worker (at most once round the ring), as a dispatcher would.
    func startSteadyLoad(on targets: [Target], durations: ClosedRange<Double>, every: Double) {
        let thread = Thread { [self] in
            var next = 0
            while !lock.withLock({ stopRequested }) {
                let duration = (Double.random(in: durations) * 10).rounded() / 10
                for _ in targets.indices {
                    let target = targets[next % targets.count]
                    next += 1
                    if place(on: target, duration: duration).accepted { break }
                }
                Thread.sleep(forTimeInterval: every)
            }
            finished.signal()
        }
        thread.name = "call-generator"
        self.thread = thread
        thread.start()
    }

    /// Stops the background load and waits for its thread to finish its current call.
    func stop() {
        let running = lock.withLock { () -> Bool in
            defer { stopRequested = true }
            return thread != nil && !stopRequested
        }
        if running { _ = finished.wait(timeout: .now() + 10) }
    }

    deinit { stop() }

    /// The `"id"` of a `POST /calls` answer (`{"id":3,"duration":2.0}`).
    static func callID(in body: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return nil }
        return (object["id"] as? NSNumber)?.intValue
    }
}

/// `GET /worker` of an agent-sim worker, decoded.
struct WorkerSnapshot: Sendable, Decodable {
    var name: String
    var pid: Int32
    var activeJobs: Int
    var draining: Bool
    var accepting: Bool
    var callsStarted: Int
    var callsCompleted: Int
    var callsRefused: Int
    var callsCut: Int

    /// The worker's state, or nil when it does not answer.
    static func fetch(port: Int) -> WorkerSnapshot? {
        guard let (status, body) = httpRequest("GET", port: port, path: "/worker", timeout: 2), status == 200 else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(WorkerSnapshot.self, from: Data(body.utf8))
    }
}

/// Call lines of agent-sim workers as the daemon logged their output:
/// `... worker-1[4242]: agent-sim[worker-1] call 3 started (2s)` / `... call 3 ended`.
struct WorkerCallLog {
    struct Key: Hashable, CustomStringConvertible {
        var unit: String
        var pid: Int32
        var id: Int
        var description: String { "\(unit)[\(pid)] call \(id)" }
    }

    var started: Set<Key> = []
    var ended: Set<Key> = []

    init(daemonOutput: String) {
        for line in daemonOutput.split(separator: "\n") {
            guard let range = line.range(of: "]: agent-sim[") else { continue }
            // `worker-1[4242`
            let head = line[..<range.lowerBound]
            guard let open = head.lastIndex(of: "["), let pid = Int32(head[head.index(after: open)...]) else { continue }
            let unitStart = head[..<open].lastIndex(of: " ").map { head.index(after: $0) } ?? head.startIndex
            let unit = String(head[unitStart..<open])
            let rest = line[range.upperBound...]
            guard let close = rest.firstIndex(of: "]") else { continue }
            let words = rest[rest.index(after: close)...].split(separator: " ")
            guard words.count >= 3, words[0] == "call", let id = Int(words[1]) else { continue }
            let key = Key(unit: unit, pid: pid, id: id)
            if words[2] == "started" { started.insert(key) }
            if words[2] == "ended" { ended.insert(key) }
        }
    }

    func started(unit: String) -> Set<Key> { started.filter { $0.unit == unit } }
    func ended(unit: String) -> Set<Key> { ended.filter { $0.unit == unit } }
}
