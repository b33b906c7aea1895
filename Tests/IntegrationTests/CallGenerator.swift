import AgentSimClient
import Foundation

/// An agent-sim worker on the host's loopback: its unit name and port.
struct LoopbackWorker: Sendable, Hashable {
    var name: String
    var port: Int
}

/// Calls placed on workers over the host's loopback.
typealias LoopbackCalls = CallGenerator<LoopbackWorker>

extension CallGenerator where Target == LoopbackWorker {
    convenience init() {
        self.init { worker, method, path in httpRequest(method, port: worker.port, path: path, timeout: 3) }
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

    enum CodingKeys: String, CodingKey {
        case name, pid, activeJobs, draining, accepting, callsStarted, callsCompleted, callsRefused, callsCut
    }

    /// A member left out (`agent-sim --protobuf-json` omits zero values, as LiveKit does) is 0 or false.
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        pid = try c.decode(Int32.self, forKey: .pid)
        activeJobs = try c.decodeIfPresent(Int.self, forKey: .activeJobs) ?? 0
        draining = try c.decodeIfPresent(Bool.self, forKey: .draining) ?? false
        accepting = try c.decodeIfPresent(Bool.self, forKey: .accepting) ?? false
        callsStarted = try c.decodeIfPresent(Int.self, forKey: .callsStarted) ?? 0
        callsCompleted = try c.decodeIfPresent(Int.self, forKey: .callsCompleted) ?? 0
        callsRefused = try c.decodeIfPresent(Int.self, forKey: .callsRefused) ?? 0
        callsCut = try c.decodeIfPresent(Int.self, forKey: .callsCut) ?? 0
    }

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
