import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// A replicated process service through a real daemon: agent-sim workers taking calls from a real
/// `redis-server`'s list (``QueueRedisServer``, private port, killed by PID on every path), the
/// autoscaler following the list, `supervise scale` and `supervise rollout` under call load, and
/// the count kept across a daemon SIGKILL. Calls cut are read from the daemon's own counter.
@Suite(.serialized) struct DaemonReplicaTests {
    /// `workerFlags`: more agent-sim flags (`--unhealthy`); `progressDeadline`: the rollout's, when not the default.
    static func config(redisPort: Int, basePort: Int, replicas: Int, autoscale: Bool, workerFlags: [String] = [],
                       progressDeadline: String? = nil) -> String {
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
                          --queue, "redis://127.0.0.1:\(redisPort)/0/call-queue", --max-calls, "5"\(workerFlags.map { ", \($0)" }.joined())]
                port: \(basePort)
                replicas: \(replicas)\(progressDeadline.map { "\n    progress_deadline: \($0)" } ?? "")
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

    /// A private `redis-server` and a daemon running the `worker` service with `replicas` (all in service first), for
    /// `body`; both stopped after it, on every path. `base`: the service's base port.
    static func withWorkers(_ replicas: Int, autoscale: Bool = false, progressDeadline: String? = nil,
                            _ body: (QueueRedisServer, DaemonHarness, Int) throws -> Void) throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let base = freeLoopbackPort() - 10
        let daemon = try Self.daemon(Self.config(redisPort: redis.port, basePort: base, replicas: replicas, autoscale: autoscale,
                                                 progressDeadline: progressDeadline))
        defer { daemon.stop() }
        #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.ready == replicas })
        try body(redis, daemon, base)
    }

    /// A daemon with JSON logs (the drains are counted from them).
    static func daemon(_ config: String) throws -> DaemonHarness {
        try DaemonHarness(config: config, arguments: ["--log-format", "json"])
    }

    @Test("a queue burst scales the workers up, they empty the queue, and the surplus drains away after the window with no call cut")
    func autoscaleFollowsTheQueue() throws {
        try Self.withWorkers(2, autoscale: true) { redis, daemon, base in
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
        }    }

    @Test("scale down under call load drains the idlest workers and cuts nothing; a rollout replaces every worker with capacity never below the count")
    func scaleAndRolloutUnderLoad() throws {
        try Self.withWorkers(3) { redis, daemon, base in
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
        }    }

    @Test("a count set by supervise scale survives a daemon SIGKILL: the replicas beyond the file's count are adopted")
    func theCountSurvivesADaemonKill() throws {
        try Self.withWorkers(2) { redis, daemon, base in
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
        }    }

    /// SIGKILL to the daemon, then a new one on the same state; `before` gets the old one's output.
    static func killAndRestart(_ daemon: DaemonHarness, keeping before: inout String) throws {
        before += daemon.output
        kill(daemon.pid, SIGKILL)
        daemon.process?.waitForExit(timeout: 5)
        try daemon.start()
    }

    @Test("a daemon SIGKILLed mid-scale-down and mid-rollout carries on: the leaving replicas finish their calls, the rollout ends, nothing is cut")
    func scaleDownAndRolloutResumeAfterADaemonKill() throws {
        try Self.withWorkers(3) { redis, daemon, base in
            let started = Set(try daemon.units().compactMap(\.pid))
            // Should a daemon not adopt them, they are this test's to stop.
            defer { for pid in started where processAlive(pid) { kill(pid, SIGKILL) } }

            // Down to 1 with calls of 4 s on every worker; the daemon dies while two drain.
            redis.cli(["RPUSH", "call-queue"] + (1...6).map { "{\"id\":\"k-\($0)\",\"duration\":4}" })
            #expect(eventually(timeout: 10) { redis.cli(["LLEN", "call-queue"]).output == "0" })
            let down = try daemon.cli(["scale", "worker", "1"])
            #expect(down.code == 0, "\(down.output)")
            #expect(daemon.waitForSavedState { state in
                state.services?["worker"]?.desired == 1 && state.units.values.filter { $0.drain != nil }.count == 2
            }, "\(String(describing: daemon.savedState()))")
            var output = ""
            try Self.killAndRestart(daemon, keeping: &output)
            #expect(eventually(timeout: 30) {
                guard let s = try? Self.service(daemon) else { return false }
                return s.desired == 1 && s.replicas.count == 1 && s.leaving.isEmpty
            }, "\((try? Self.service(daemon)).map { "\($0)" } ?? "")\n\(daemon.output.suffix(3000))")
            #expect(daemon.output.contains(#""event":"drain-resume""#), "the drains went on under the new daemon")
            #expect(Self.cutDrains(daemon).isEmpty && !output.contains(#""event":"drain-cut""#), "\(Self.cutDrains(daemon))")

            // Back to 2, then a rollout with calls in flight; the daemon dies once a new replica has been added.
            _ = try daemon.cli(["scale", "worker", "2"])
            #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.ready == 2 })
            let before = Set(try daemon.units().filter { $0.name.hasPrefix("worker-") }.compactMap(\.pid))
            defer { for pid in before where processAlive(pid) { kill(pid, SIGKILL) } }
            redis.cli(["RPUSH", "call-queue"] + (1...4).map { "{\"id\":\"r-\($0)\",\"duration\":3}" })
            let rollout = try daemon.cli(["rollout", "worker", "--no-wait"])
            #expect(rollout.code == 0, "\(rollout.output)")
            #expect(daemon.waitForSavedState { !($0.services?["worker"]?.rollout?.new.isEmpty ?? true) },
                    "\(String(describing: daemon.savedState()?.services))")
            let added = try daemon.units().compactMap(\.pid)
            defer { for pid in added where processAlive(pid) { kill(pid, SIGKILL) } }
            try Self.killAndRestart(daemon, keeping: &output)
            #expect(eventually(timeout: 60) { (try? Self.service(daemon)).map { $0.rollout == nil && $0.ready == 2 } ?? false },
                    "\((try? Self.service(daemon)).map { "\($0)" } ?? "")\n\(daemon.output.suffix(6000))")
            #expect(daemon.output.contains(#""event":"rollout-done""#), "\(daemon.output.suffix(3000))")
            let after = Set(try daemon.units().filter { $0.name.hasPrefix("worker-") && $0.state == "running" }.compactMap(\.pid))
            #expect(after.count == 2 && after.isDisjoint(with: before), "before \(before), after \(after)")
            #expect(Self.cutDrains(daemon).isEmpty && !output.contains(#""event":"drain-cut""#), "\(Self.cutDrains(daemon))")
        }    }

    @Test("a rollout whose new replicas never come into service is called off at its progress deadline; the old ones keep serving")
    func aRolloutThatCannotProgressIsCalledOff() throws {
        try Self.withWorkers(2, progressDeadline: "3s") { redis, daemon, base in
            let old = try daemon.units().filter { $0.name.hasPrefix("worker-") }.map { "\($0.name) \($0.pid ?? 0)" }
            // A new release that never answers its readiness probe: the reload rolls it out.
            try daemon.writeConfig(Self.config(redisPort: redis.port, basePort: base, replicas: 2, autoscale: false,
                                               workerFlags: ["--unhealthy"], progressDeadline: "3s"))
            kill(daemon.pid, SIGHUP)
            #expect(eventually(timeout: 10) { daemon.output.contains(#""event":"rollout-start""#) })
            var lowest = Int.max
            #expect(eventually(timeout: 30) {
                guard let s = try? Self.service(daemon) else { return false }
                lowest = min(lowest, s.ready)
                return s.rollout == nil && s.leaving.isEmpty && s.replicas.count == 2
            }, "\(daemon.output.suffix(3000))")
            #expect(daemon.output.contains(#""event":"rollout-abort""#) && daemon.output.contains("progress deadline of 3s"),
                    "\(daemon.output.suffix(3000))")
            #expect(lowest >= 2, "capacity fell to \(lowest)")
            let now = try daemon.units().filter { $0.name.hasPrefix("worker-") }.map { "\($0.name) \($0.pid ?? 0)" }
            #expect(now == old, "the old replicas serve on: \(old) then \(now)")
            let status = try daemon.cli(["rollout", "worker", "--status"])
            #expect(status.output.contains("the last one was aborted: new replica worker-3 did not come into service"), "\(status.output)")
        }    }

    @Test("Redis going away holds the autoscaled count and says why; once it is back the readings resume")
    func theCountHoldsWhileRedisIsAway() throws {
        try Self.withWorkers(2, autoscale: true) { redis, daemon, base in
            redis.kill()
            #expect(eventually(timeout: 10) { (try? Self.service(daemon))?.autoscale?.problem != nil })
            let status = try daemon.cli(["status"])
            #expect(status.output.contains("cannot read") && status.output.contains("the count holds"), "\(status.output)")
            #expect(daemon.output.contains(#""event":"autoscale-blind""#))
            Thread.sleep(forTimeInterval: 1)
            #expect((try? Self.service(daemon))?.desired == 2, "held while blind")
            try redis.start()
            #expect(eventually(timeout: 10) { (try? Self.service(daemon)).map { $0.autoscale?.problem == nil } ?? false })
            #expect(daemon.output.contains(#""event":"autoscale-sees""#))
            // And it follows the queue again.
            // 40 calls of 3 s: the two workers take 10, the 30 left want 6 replicas.
            redis.cli(["RPUSH", "call-queue"] + (1...40).map { "{\"id\":\"b-\($0)\",\"duration\":3}" })
            #expect(eventually(timeout: 20) { ((try? Self.service(daemon))?.desired ?? 0) > 2 }, "\(daemon.output.suffix(2000))")
        }    }

    @Test("a replica started just before the daemon's SIGKILL, whose pid the state file never got, is found by its environment and adopted")
    func aReplicaWhosePidWasNeverSavedIsAdopted() throws {
        try Self.withWorkers(2) { redis, daemon, base in
            _ = try daemon.cli(["scale", "worker", "3"])
            #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.ready == 3 })
            #expect(daemon.waitForSavedState { $0.units["worker-3"]?.pid != nil && $0.services?["worker"]?.members == [1, 2, 3] })
            let pid = try #require(try daemon.unit("worker-3")?.pid)
            defer { if processAlive(pid) { kill(pid, SIGKILL) } }
            kill(daemon.pid, SIGKILL)
            daemon.process?.waitForExit(timeout: 5)
            // As if the daemon had died between the spawn and the next write of its state (200 ms later): the state
            // names the replica but not its process.
            let path = daemon.stateDirectory + "/state.json"
            var state = try JSONDecoder().decode(PersistedState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            state.units["worker-3"]?.pid = nil
            state.units["worker-3"]?.pidStartTicks = nil
            try JSONEncoder().encode(state).write(to: URL(fileURLWithPath: path))

            try daemon.start()
            #expect(eventually(timeout: 20) { (try? Self.service(daemon))?.ready == 3 }, "\(daemon.output.suffix(3000))")
            #expect(try daemon.unit("worker-3")?.pid == pid, "adopted, not started a second time: \(daemon.output.suffix(3000))")
            #expect(daemon.output.contains("found running processes of worker-3 by their environment"), "\(daemon.output.suffix(3000))")
            #expect(!daemon.output.contains("Address already in use"))
        }    }
}
