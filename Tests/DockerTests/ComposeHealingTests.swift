import Foundation
import Testing

/// `supervise run` healing a real Docker Compose (v1) project on a private dockerd: service
/// `worker` scaled to 3 (agent-sim, `network_mode: none`, a HEALTHCHECK), one project per test.
/// The dockerd runs with `--live-restore`, so that containers outlive a restart of the engine.
@Suite(.serialized, .privateDockerd(["--live-restore"]))
struct ComposeHealingTests {
    let daemon: TestDockerDaemon
    let suiteID = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    init() throws {
        daemon = try #require(TestDockerDaemon.current)
        try #require(FileManager.default.isExecutableFile(atPath: BuiltProducts.agentSim), "build agent-sim first")
        try #require(getuid() == 0, "the daemon must run as root (probes join containers' network namespaces)")
    }

    /// A Compose project with workers 1...n running and healthy by Docker's HEALTHCHECK (when it runs).
    private func project(_ test: String, workers: Int = 3, healthcheckInterval: String = "1s") throws -> ComposeProject {
        let project = try ComposeProject(daemon: daemon, name: "svch\(suiteID)\(test)", healthcheckInterval: healthcheckInterval)
        do {
            try project.scaleWorkers(workers)
            let checked = healthcheckInterval == "1s"
            let up = try poll(timeout: 30) {
                let ids = try project.containers()
                return try ids.count == workers
                    && ids.values.allSatisfy { id in let s = try project.state(id); return s.running && (!checked || s.health == "healthy") }
            }
            try #require(up, "workers did not come up: \(String(describing: try? project.containers()))")
        } catch {
            project.down()
            throw error
        }
        return project
    }

    /// The daemon's configuration; `liveness` adds the HTTP probe through the container's network.
    private func config(_ project: ComposeProject, liveness: Bool = true, crasher: Bool = false) -> String {
        var yaml = """
            docker:
              socket: \(daemon.socket)
              project: \(project.name)
            containers:
              worker:
                compose: worker
                stop_timeout: 5s
                restart:
                  policy: always
                  backoff: {initial: 500ms, max: 4s, jitter: 0}
                  start_limit: {burst: 5, interval: 1m}

            """
        if liveness {
            yaml += """
                    liveness: {http: "http://127.0.0.1:8081/", interval: 1s, timeout: 1s, failure_threshold: 2, network: container}

                """
        }
        if crasher {
            yaml += """
                  crasher:
                    compose: crasher
                    stop_timeout: 5s
                    restart:
                      policy: always
                      backoff: {initial: 200ms, max: 1s, jitter: 0}
                      start_limit: {burst: 4, interval: 1m}

                """
        }
        return yaml
    }

    /// Waits for units worker-1...n running with the containers' current pids.
    private func waitForWorkers(_ supervise: SuperviseProcess, _ project: ComposeProject, _ n: Int) throws {
        let ok = try poll(timeout: 15) {
            let ids = try project.containers()
            return try (1...n).allSatisfy { r in
                guard let id = ids[r] else { return false }
                return supervise.unit("worker-\(r)", is: "running", pid: try project.state(id).pid)
            }
        }
        try #require(ok, "workers 1...\(n) not running in supervise status: \(String(describing: try? supervise.units()))\n\(supervise.log)")
    }

    /// Waits until container `id` runs again with a new start time; whether it did, and its last state.
    private func waitForRestart(_ project: ComposeProject, _ id: String,
                                since before: ComposeProject.State) throws -> (Bool, ComposeProject.State) {
        var after = before
        let restarted = try poll(timeout: 20) {
            after = try project.state(id)
            return after.running && after.startedAt != before.startedAt
        }
        return (restarted, after)
    }

    private func restarts(_ supervise: SuperviseProcess, _ unit: String) -> Int {
        ((try? supervise.unit(unit))?["restarts"] as? Int) ?? -1
    }

    // MARK: - Tests

    @Test func killedWorkerIsRestarted() throws {
        let project = try project("kill")
        defer { project.down() }
        let supervise = try SuperviseProcess(config: config(project))
        defer { supervise.stop() }
        try waitForWorkers(supervise, project, 3)

        let id = try project.container(2)
        let before = try project.state(id)
        #expect(kill(before.pid, SIGKILL) == 0)

        var after = before
        let restarted = try poll(timeout: 15) {
            after = try project.state(id)
            return after.running && after.pid != before.pid && after.startedAt != before.startedAt
        }
        #expect(restarted, "worker-2 not restarted: \(after)\n\(supervise.log)")
        #expect(poll(timeout: 10) { supervise.unit("worker-2", is: "running", pid: after.pid) })
        #expect(restarts(supervise, "worker-2") == 1)
        #expect(restarts(supervise, "worker-1") == 0)
        #expect(restarts(supervise, "worker-3") == 0)
        #expect(after.restartCount == 0, "Docker's own restart policy must not be what restarted it")

        let exits = supervise.records(unit: "worker-2", event: "exit")
        #expect(exits.contains { $0["message"]?.contains("SIGKILL") == true }, "\(exits)")
        #expect(supervise.records(unit: "worker-2", event: "restart-issued").count == 1)
        let actions = supervise.records(unit: "worker-2", event: "docker-action")
        #expect(actions.contains { $0["message"]?.hasPrefix("restart (t=5)") == true }, "\(actions)")
        #expect(supervise.records(unit: "worker-1", event: "restart-issued").isEmpty)
        #expect(supervise.records(unit: "worker-3", event: "restart-issued").isEmpty)
    }

    @Test func dockerHealthcheckUnhealthyIsRestarted() throws {
        let project = try project("hc")
        defer { project.down() }
        let supervise = try SuperviseProcess(config: config(project, liveness: false))
        defer { supervise.stop() }
        try waitForWorkers(supervise, project, 3)

        let id = try project.container(1)
        let before = try project.state(id)
        try project.post(id, "/control/unhealthy")

        let (restarted, after) = try waitForRestart(project, id, since: before)
        #expect(restarted, "worker-1 not restarted: \(after)\n\(supervise.log)")
        let unhealthy = supervise.records(unit: "worker-1", event: "unhealthy")
        #expect(unhealthy.count == 1, "\(unhealthy)")
        #expect(unhealthy.first?["reason"]?.contains("Docker HEALTHCHECK") == true, "\(unhealthy)")
        #expect(supervise.records(unit: "worker-1", event: "restart-issued").count == 1)
        // The new process answers 200 again: Docker reports it healthy, and supervise sees it.
        #expect(try poll(timeout: 15) { try project.state(id).health == "healthy" })
        #expect(poll(timeout: 5) { !supervise.records(unit: "worker-1", event: "healthy").isEmpty })
        #expect(restarts(supervise, "worker-1") == 1)
        #expect(restarts(supervise, "worker-2") == 0)
    }

    @Test func livenessProbeInContainerNetworkRestartsUnhealthy() throws {
        // Docker's HEALTHCHECK every 5 minutes: only supervise's own probe can see the failure.
        let project = try project("probe", healthcheckInterval: "300s")
        defer { project.down() }
        let supervise = try SuperviseProcess(config: config(project))
        defer { supervise.stop() }
        try waitForWorkers(supervise, project, 3)
        // The probe reaches 127.0.0.1:8081 of every container (network_mode: none) from inside.
        let healthy = poll(timeout: 10) {
            (1...3).allSatisfy { r in
                ((try? supervise.unit("worker-\(r)"))?["probes"] as? [[String: Any]])?.contains {
                    $0["role"] as? String == "liveness" && $0["health"] as? String == "healthy"
                } == true
            }
        }
        #expect(healthy, "\(String(describing: try? supervise.units()))")

        let id = try project.container(3)
        let before = try project.state(id)
        try project.post(id, "/control/unhealthy")

        let (restarted, after) = try waitForRestart(project, id, since: before)
        #expect(restarted, "worker-3 not restarted: \(after)\n\(supervise.log)")
        let unhealthy = supervise.records(unit: "worker-3", event: "unhealthy")
        #expect(unhealthy.count == 1, "\(unhealthy)")
        #expect(unhealthy.first?["message"]?.contains("liveness probe") == true, "\(unhealthy)")
        #expect(unhealthy.first?["reason"]?.contains("503") == true, "\(unhealthy)")
        #expect(try project.state(id).health != "unhealthy", "Docker's HEALTHCHECK must not have run")
        #expect(poll(timeout: 10) { supervise.unit("worker-3", is: "running", pid: after.pid) })
        #expect(restarts(supervise, "worker-3") == 1)
        #expect(restarts(supervise, "worker-1") == 0)
    }

    @Test func crashLoopGivesUpAndStaysDown() throws {
        let project = try project("loop", workers: 1)
        defer { project.down() }
        let supervise = try SuperviseProcess(config: config(project, liveness: false, crasher: true))
        defer { supervise.stop() }
        try waitForWorkers(supervise, project, 1)

        // crasher exits 1 at once, every time it is started.
        try project.compose(["up", "-d", "--no-deps", "crasher"])
        let failed = poll(timeout: 30) { supervise.unit("crasher-1", is: "failed") }
        #expect(failed, "crasher-1 did not fail: \(String(describing: try? supervise.unit("crasher-1")))\n\(supervise.log)")
        let unit = try supervise.unit("crasher-1")
        #expect((unit?["reason"] as? String)?.contains("start limit hit") == true, "\(String(describing: unit))")
        #expect(unit?["restarts"] as? Int == 4)

        // The backoff grew: 200 ms, 400 ms, 800 ms, then the 1 s cap.
        let delays = supervise.records(unit: "crasher-1", event: "backoff").compactMap { $0["message"] }
        #expect(delays.count >= 3, "\(delays)")
        #expect(delays.first?.hasPrefix("restarting in 200ms") == true, "\(delays)")
        #expect(delays.dropFirst().first?.hasPrefix("restarting in 400ms") == true, "\(delays)")
        #expect(supervise.records(unit: "crasher-1", event: "gave-up").count == 1)

        // It stays down: no more starts by anyone, no more restart lines.
        let id = try project.container(1, "crasher")
        let down = try project.state(id)
        let restartLines = supervise.records(unit: "crasher-1", event: "restart-issued").count
        let startsBefore = supervise.records(unit: "crasher-1", event: "start").count
        Thread.sleep(forTimeInterval: 4)
        #expect(try project.state(id) == down)
        #expect(!down.running)
        #expect(supervise.records(unit: "crasher-1", event: "restart-issued").count == restartLines)
        #expect(supervise.records(unit: "crasher-1", event: "start").count == startsBefore)
        #expect(supervise.unit("crasher-1", is: "failed"))
        #expect(restarts(supervise, "worker-1") == 0)
    }

    @Test func dockerStopIsNotUndone() throws {
        let project = try project("stop")
        defer { project.down() }
        let supervise = try SuperviseProcess(config: config(project))
        defer { supervise.stop() }
        try waitForWorkers(supervise, project, 3)

        let id = try project.container(2)
        try daemon.docker(["stop", "-t", "5", id])
        let stopped = poll(timeout: 10) { supervise.unit("worker-2", is: "inactive") }
        #expect(stopped, "\(String(describing: try? supervise.unit("worker-2")))\n\(supervise.log)")
        let reason = (try supervise.unit("worker-2"))?["reason"] as? String
        #expect(reason?.contains("stopped outside supervise") == true, "\(reason ?? "nil")")

        let down = try project.state(id)
        Thread.sleep(forTimeInterval: 3)
        #expect(try project.state(id) == down)
        #expect(!down.running)
        #expect(supervise.unit("worker-2", is: "inactive"))
        #expect(supervise.records(unit: "worker-2", event: "restart-issued").isEmpty)
        #expect(supervise.records(unit: "worker-2", event: "docker-action").isEmpty)
        #expect(restarts(supervise, "worker-2") == 0)
    }

    @Test func scalingAddsAndRemovesUnits() throws {
        let project = try project("scale")
        defer { project.down() }
        let supervise = try SuperviseProcess(config: config(project))
        defer { supervise.stop() }
        try waitForWorkers(supervise, project, 3)
        #expect(try supervise.unitNames() == ["worker-1", "worker-2", "worker-3"])

        try project.scaleWorkers(4)
        try waitForWorkers(supervise, project, 4)
        #expect(try supervise.unitNames() == ["worker-1", "worker-2", "worker-3", "worker-4"])

        try project.scaleWorkers(2)
        let shrunk = poll(timeout: 15) { (try? supervise.unitNames()) == ["worker-1", "worker-2"] }
        #expect(shrunk, "\(String(describing: try? supervise.unitNames()))\n\(supervise.log)")
        #expect(try project.containers().keys.sorted() == [1, 2])
        for unit in ["worker-3", "worker-4"] {
            #expect(supervise.records(unit: unit, event: "removed").count == 1, "\(unit)")
            #expect(supervise.records(unit: unit, event: "restart-issued").isEmpty, "\(unit)")
            #expect(supervise.records(unit: unit, event: "backoff").isEmpty, "\(unit)")
            #expect(supervise.records(unit: unit, event: "docker-action").isEmpty, "\(unit)")
        }
        for unit in ["worker-1", "worker-2"] { #expect(restarts(supervise, unit) == 0) }
    }

    @Test func dockerRestartResyncsAndHealsOnlyTheDead() throws {
        let project = try project("engine")
        defer { project.down() }
        let supervise = try SuperviseProcess(config: config(project))
        defer { supervise.stop() }
        try waitForWorkers(supervise, project, 3)
        let ids = try project.containers()
        let before = try ids.mapValues { try project.state($0) }

        try daemon.stopEngine()
        var engineDown = true
        defer { if engineDown { try? daemon.startEngine() } }
        #expect(poll(timeout: 10) { supervise.records(unit: nil, event: "docker-lost").count == 1 }, "\(supervise.log)")
        // --live-restore: the containers outlive dockerd.
        for (_, state) in before { #expect(kill(state.pid, 0) == 0) }
        let victim = try #require(before[1]).pid
        #expect(kill(victim, SIGKILL) == 0)
        #expect(poll(timeout: 5) { kill(victim, 0) != 0 })
        // Its liveness probe fails meanwhile, but no restart can go out until Docker is back.
        Thread.sleep(forTimeInterval: 3)
        #expect(supervise.records(unit: "worker-1", event: "docker-action").isEmpty)

        try daemon.startEngine()
        engineDown = false
        #expect(poll(timeout: 20) { supervise.records(unit: nil, event: "docker-resync").count == 2 }, "\(supervise.log)")
        var healed = try project.state(try #require(ids[1]))
        let restarted = try poll(timeout: 20) {
            healed = try project.state(ids[1]!)
            return healed.running && healed.pid != victim
        }
        #expect(restarted, "worker-1 not restarted: \(healed)\n\(supervise.log)")
        #expect(poll(timeout: 10) { supervise.unit("worker-1", is: "running", pid: healed.pid) })
        #expect(supervise.records(unit: "worker-1", event: "restart-issued").count == 1)
        #expect(restarts(supervise, "worker-1") == 1)
        // The healthy ones kept their processes, and nothing was issued for them.
        for r in [2, 3] {
            #expect(try project.state(ids[r]!).pid == before[r]!.pid)
            #expect(try project.state(ids[r]!).startedAt == before[r]!.startedAt)
            #expect(supervise.records(unit: "worker-\(r)", event: "restart-issued").isEmpty)
            #expect(supervise.records(unit: "worker-\(r)", event: "docker-action").isEmpty)
            #expect(restarts(supervise, "worker-\(r)") == 0)
        }
        let order = supervise.records().compactMap { $0["event"] }.filter { ["docker-lost", "docker-connected", "docker-resync"].contains($0) }
        #expect(order.suffix(3) == ["docker-lost", "docker-connected", "docker-resync"], "\(order)")
    }
}
