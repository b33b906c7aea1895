import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// A replicated process service through a real daemon: agent-sim workers taking calls from a real
/// `redis-server`'s list (``QueueRedisServer``, private port, killed by PID on every path), the
/// autoscaler following the list, `supervise scale` and `supervise rollout` under call load, and
/// the count kept across a daemon SIGKILL. Calls cut are read from the daemon's own counter.
@Suite(.serialized) struct DaemonReplicaTests {
    static func config(redisPort: Int, basePort: Int, replicas: Int, autoscale: Bool) -> String {
        let scaling = autoscale ? """
                autoscale:
                  min: 2
                  max: 6
                  queue: {redis: 127.0.0.1:\(redisPort), list: call-queue, target: 5}
                  interval: 300ms
                  scale_down: {stabilization: 3s}
            """ : ""
        return """
            defaults:
              stop_timeout: 5s
            units:
              worker:
                command: [\(Binaries.agentSim), --port, "{port}", --name, "worker-{replica}",
                          --queue, "redis://127.0.0.1:\(redisPort)/0/call-queue", --max-calls, "5"]
                port: \(basePort)
                replicas: \(replicas)
                readiness: {http: "http://127.0.0.1:{port}/", interval: 200ms}
                drain:
                  signal: SIGTERM
                  progress: {url: "http://127.0.0.1:{port}/worker", interval: 200ms}
                  timeout: 60s
            \(scaling)
            """
    }

    static func service(_ daemon: DaemonHarness) throws -> ServiceStatus {
        let response = try daemon.client.request("GET", "/v1/services/worker")
        return try DaemonHarness.decoder.decode(ServiceStatus.self, from: Data(response.body))
    }

    /// Drains that ended by a cut or at their deadline, from the daemon's JSON log: a removed replica's
    /// series leave `/metrics` with it, so its counter cannot be read at the end.
    static func cutDrains(_ daemon: DaemonHarness) -> [String] {
        daemon.output.split(separator: "\n").map(String.init)
            .filter { $0.contains(#""event":"drain-cut""#) || $0.contains(#""event":"drain-timeout""#) }
    }

    /// Drains that ended with every call finished.
    static func doneDrains(_ daemon: DaemonHarness) -> Int {
        daemon.output.split(separator: "\n").filter { $0.contains(#""event":"drain-done""#) }.count
    }

    /// A daemon with JSON logs (the drains are counted from them).
    static func daemon(_ config: String) throws -> DaemonHarness {
        try DaemonHarness(config: config, arguments: ["--log-format", "json"])
    }

    @Test("a queue burst scales the workers up, they empty the queue, and the surplus drains away after the window with no call cut")
    func autoscaleFollowsTheQueue() throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let base = freeLoopbackPort() - 10
        let daemon = try Self.daemon(Self.config(redisPort: redis.port, basePort: base, replicas: 2, autoscale: true))
        defer { daemon.stop() }
        #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.ready == 2 })
        // 50 calls of 2 s: 10 replicas wanted, at most 6.
        let jobs = (1...50).map { "{\"id\":\"c-\($0)\",\"duration\":2}" }
        #expect(redis.cli(["RPUSH", "call-queue"] + jobs).output == "50")
        #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.desired == 6 }, "\((try? Self.service(daemon)).map { "\($0)" } ?? "")")
        #expect(eventually(timeout: 30) { (try? Self.service(daemon))?.ready == 6 })
        // Every call is taken and ends; then, after the 3 s window, the count falls to min, one drain at a time.
        #expect(eventually(timeout: 60) { redis.cli(["LLEN", "call-queue"]).output == "0" })
        #expect(eventually(timeout: 60) {
            guard let s = try? Self.service(daemon) else { return false }
            return s.desired == 2 && s.replicas.count == 2 && s.leaving.isEmpty
        }, "\((try? Self.service(daemon)).map { "\($0)" } ?? "")")
        #expect(Self.cutDrains(daemon).isEmpty, "\(Self.cutDrains(daemon))")
        #expect(Self.doneDrains(daemon) == 4, "four replicas drained away")
        let status = try daemon.cli(["status"])
        #expect(status.output.contains("service worker: 2 desired, 2 running, 2 in service (autoscale 2…6)"), "\(status.output)")
    }

    @Test("scale down under call load drains the idlest workers and cuts nothing; a rollout replaces every worker with capacity never below the count")
    func scaleAndRolloutUnderLoad() throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let base = freeLoopbackPort() - 10
        let daemon = try Self.daemon(Self.config(redisPort: redis.port, basePort: base, replicas: 3, autoscale: false))
        defer { daemon.stop() }
        #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.ready == 3 })
        let up = try daemon.cli(["scale", "worker", "4"])
        #expect(up.code == 0, "\(up.output)")
        #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.ready == 4 })
        // Calls of 3 s on the workers, then down to 2 while they run.
        redis.cli(["RPUSH", "call-queue"] + (1...8).map { "{\"id\":\"s-\($0)\",\"duration\":3}" })
        #expect(eventually(timeout: 10) { redis.cli(["LLEN", "call-queue"]).output == "0" })
        let down = try daemon.cli(["scale", "worker", "2"])
        #expect(down.code == 0 && down.output.contains("draining 2 replicas"), "\(down.output)")
        #expect(eventually(timeout: 30) {
            guard let s = try? Self.service(daemon) else { return false }
            return s.replicas.count == 2 && s.leaving.isEmpty
        })
        #expect(Self.cutDrains(daemon).isEmpty, "\(Self.cutDrains(daemon))")

        // A rollout with calls in flight: in-service replicas never fewer than 2.
        redis.cli(["RPUSH", "call-queue"] + (1...6).map { "{\"id\":\"r-\($0)\",\"duration\":2}" })
        let before = Set(try daemon.units().filter { $0.name.hasPrefix("worker-") }.compactMap(\.pid))
        let rollout = try daemon.cli(["rollout", "worker", "--no-wait"])
        #expect(rollout.code == 0, "\(rollout.output)")
        var lowest = Int.max
        #expect(eventually(timeout: 60) {
            guard let s = try? Self.service(daemon) else { return false }
            lowest = min(lowest, s.ready)
            return s.rollout == nil
        })
        #expect(lowest >= 2, "capacity fell to \(lowest)")
        let after = Set(try daemon.units().filter { $0.name.hasPrefix("worker-") && $0.state == "running" }.compactMap(\.pid))
        #expect(after.count == 2 && after.isDisjoint(with: before), "before \(before), after \(after)")
        #expect(Self.cutDrains(daemon).isEmpty, "\(Self.cutDrains(daemon))")
        let status = try daemon.cli(["rollout", "worker", "--status"])
        #expect(status.output.contains("no rollout under way (2 of 2 in service)"), "\(status.output)")
    }

    @Test("a count set by supervise scale survives a daemon SIGKILL: the replicas beyond the file's count are adopted")
    func theCountSurvivesADaemonKill() throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let base = freeLoopbackPort() - 10
        let daemon = try Self.daemon(Self.config(redisPort: redis.port, basePort: base, replicas: 2, autoscale: false))
        defer { daemon.stop() }
        #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.ready == 2 })
        _ = try daemon.cli(["scale", "worker", "3"])
        #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.ready == 3 })
        #expect(daemon.waitForSavedState { $0.services?["worker"]?.members == [1, 2, 3] })
        let pids = Set(try daemon.units().compactMap(\.pid))
        // Should the next daemon not adopt them, they are this test's to stop.
        defer { for pid in pids where processAlive(pid) { kill(pid, SIGKILL) } }
        #expect(daemon.waitForSavedState { state in (1...3).allSatisfy { state.units["worker-\($0)"]?.pid != nil } },
                "\(String(describing: daemon.savedState()))")
        kill(daemon.pid, SIGKILL)
        daemon.process?.waitForExit(timeout: 5)
        try daemon.start()
        #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.running == 3 })
        #expect(Set(try daemon.units().compactMap(\.pid)) == pids, "every worker adopted, none restarted: \(pids) then \((try? daemon.units().map { "\($0.name) \($0.state) \($0.pid ?? 0) \($0.reason ?? "")" }) ?? [])\n\(daemon.output.suffix(3000))")
        #expect((try? Self.service(daemon))?.desired == 3)
    }
}
