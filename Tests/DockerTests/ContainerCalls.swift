import Foundation
import AgentSimClient
import SuperviseHTTPClient

/// HTTP/1.1 to a worker's 127.0.0.1:8081 inside a container's network namespace
/// (`network_mode: none`): the socket is made in the namespace of the container's main pid.
enum ContainerHTTP {
    static func request(pid: Int32, _ method: String, _ path: String, timeout: Double = 3) -> (status: Int, body: String)? {
        let client = LocalHTTPClient(.loopback(port: 8081, inNetworkNamespaceOf: pid), timeout: .milliseconds(Int(timeout * 1000)))
        return (try? client.request(method, path)).map { ($0.status, $0.text) }
    }
}

/// `GET /worker` of an agent-sim worker in a container.
struct ContainerWorkerSnapshot: Sendable, Decodable {
    var pid: Int32
    var activeJobs: Int
    var draining: Bool
    var callsStarted: Int
    var callsCompleted: Int
    var callsCut: Int

    static func fetch(pid: Int32) -> ContainerWorkerSnapshot? {
        guard let (status, body) = ContainerHTTP.request(pid: pid, "GET", "/worker", timeout: 2), status == 200 else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(ContainerWorkerSnapshot.self, from: Data(body.utf8))
    }
}

/// Calls placed on Compose replicas through their containers' network namespaces.
extension CallGenerator where Target == Int {
    /// Targets are replica numbers; each call goes to the replica's current container, and a call
    /// that finds the cached process gone or draining tries a restarted container's new one once.
    convenience init(project: ComposeProject) {
        let pids = ReplicaPids(project: project)
        self.init { replica, method, path in
            let cached = pids.pid(replica)
            var answer = cached.flatMap { ContainerHTTP.request(pid: $0, method, path) }
            if answer == nil || answer?.status == 503, let fresh = pids.pid(replica, refresh: true), fresh != cached {
                answer = ContainerHTTP.request(pid: fresh, method, path)
            }
            return answer
        }
    }
}

/// The main pid of each replica's container, cached.
final class ReplicaPids: @unchecked Sendable {
    private let project: ComposeProject
    // @unchecked Sendable: `pids` is guarded by `lock`.
    private let lock = NSLock()
    private var pids: [Int: Int32] = [:]

    init(project: ComposeProject) { self.project = project }

    /// The replica's container main pid (cached; `refresh` asks Docker again).
    func pid(_ replica: Int, refresh: Bool = false) -> Int32? {
        if !refresh, let pid = lock.withLock({ pids[replica] }) { return pid }
        guard let id = try? project.container(replica), let state = try? project.state(id), state.running, state.pid > 0 else {
            lock.withLock { pids[replica] = nil }
            return nil
        }
        lock.withLock { pids[replica] = state.pid }
        return state.pid
    }
}

/// The call lines of one container's output (`docker logs`), split into the generations of its
/// process: each `listening on` line starts one (call ids start again at 1 in each).
struct ContainerCallLog {
    struct Generation {
        var started: Set<Int> = []
        var ended: Set<Int> = []
        var drainedCleanly = false
        var dropped: Set<Int> { started.subtracting(ended) }
    }

    var generations: [Generation] = []

    init(output: String) {
        for line in output.split(separator: "\n") {
            guard let range = line.range(of: "agent-sim[") else { continue }
            let rest = line[range.upperBound...]
            guard let close = rest.firstIndex(of: "]") else { continue }
            let message = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces)
            if message.hasPrefix("listening on") { generations.append(Generation()); continue }
            guard !generations.isEmpty else { continue }
            if message == "drained, exiting 0" { generations[generations.count - 1].drainedCleanly = true }
            let words = message.split(separator: " ")
            guard words.count >= 3, words[0] == "call", let id = Int(words[1]) else { continue }
            if words[2] == "started" { generations[generations.count - 1].started.insert(id) }
            if words[2] == "ended" { generations[generations.count - 1].ended.insert(id) }
        }
    }

    var started: Int { generations.reduce(0) { $0 + $1.started.count } }
    var dropped: Int { generations.reduce(0) { $0 + $1.dropped.count } }
}

extension ComposeProject {
    /// The call log of `replica`'s container (`docker logs`).
    func callLog(_ replica: Int) throws -> ContainerCallLog {
        ContainerCallLog(output: try daemon.docker(["logs", try container(replica)]))
    }
}

extension SuperviseProcess {
    /// Runs the `supervise` CLI against this daemon: exit status and stdout+stderr.
    func cli(_ arguments: [String]) throws -> (code: Int32, output: String) {
        let result = try Shell.run(BuiltProducts.supervise, arguments + ["--socket", socket])
        return (result.status, result.output)
    }

    /// `supervise status NAME --json`.
    func status(_ name: String) throws -> [String: Any] {
        let result = try cli(["status", name, "--json"])
        guard result.code == 0, let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] else {
            throw TestFailure("supervise status \(name): \(result.code) \(result.output)")
        }
        return object
    }
}
