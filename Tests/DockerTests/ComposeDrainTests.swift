import AgentSimClient
import Foundation
import Testing

/// Draining Compose workers end to end: a real `supervise run` on a private dockerd, three
/// `worker` replicas (agent-sim, `network_mode: none`), calls placed through each container's
/// network namespace, the drain driven by the `supervise` CLI. supervise drains a container with
/// `POST /containers/{id}/stop?t=DRAIN_TIMEOUT` (one SIGTERM, SIGKILL only at the deadline).
@Suite(.serialized, .privateDockerd)
struct ComposeDrainTests {
    let daemon: TestDockerDaemon
    let suiteID = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    init() throws {
        daemon = try #require(TestDockerDaemon.current)
        try #require(FileManager.default.isExecutableFile(atPath: BuiltProducts.agentSim), "build agent-sim first")
        try #require(getuid() == 0, "root needed: calls and probes join containers' network namespaces")
    }

    /// Workers 1...3 running; Docker's HEALTHCHECK out of the way (5 min), `restart` as the
    /// services' own Docker restart policy.
    /// `linger`: seconds a drained worker stays up (answering `/worker`) before it exits.
    private func project(_ test: String, restart: String? = nil, linger: Double = 0) throws -> ComposeProject {
        let project = try ComposeProject(daemon: daemon, name: "svcd\(suiteID)\(test)", healthcheckInterval: "300s", restart: restart,
                                         workerArguments: linger > 0 ? ["--drain-linger", "\(linger)"] : [])
        do {
            try project.scaleWorkers(3)
            let up = try poll(timeout: 30) {
                let ids = try project.containers()
                return try ids.count == 3 && ids.values.allSatisfy { try project.state($0).running }
            }
            try #require(up, "workers did not come up")
        } catch {
            project.down()
            throw error
        }
        return project
    }

    private func config(_ project: ComposeProject) -> String {
        """
        docker:
          socket: \(daemon.socket)
          project: \(project.name)
        containers:
          worker:
            compose: worker
            stop_timeout: 5s
            restart: {policy: always}
            readiness: {http: "http://127.0.0.1:8081/", interval: 1s, network: container}
            drain: {progress: "http://127.0.0.1:8081/worker", network: container, timeout: 60s}

        """
    }

    /// supervise up with worker-1...3 running (their current pids) and ready, and each worker answering.
    private func start(_ project: ComposeProject) throws -> SuperviseProcess {
        let supervise = try SuperviseProcess(config: config(project))
        let ok = try poll(timeout: 20) {
            try (1...3).allSatisfy { r in
                let state = try project.state(try project.container(r))
                guard supervise.unit("worker-\(r)", is: "running", pid: state.pid),
                      ContainerWorkerSnapshot.fetch(pid: state.pid) != nil else { return false }
                return (try supervise.unit("worker-\(r)"))?["ready"] as? Bool == true
            }
        }
        if !ok {
            let detail = "\(String(describing: try? supervise.units()))\n\(supervise.log)"
            supervise.stop()
            throw TestFailure("workers not running and ready in supervise: \(detail)")
        }
        return supervise
    }

    private func lastDrain(_ supervise: SuperviseProcess, _ name: String) throws -> [String: Any] {
        try #require(try supervise.status(name)["last_drain"] as? [String: Any])
    }

    // MARK: - 1

    @Test func drainWaitsForTheLastCallAndStaysDown() throws {
        let project = try project("wait", restart: "always", linger: 1)
        defer { project.down() }
        let supervise = try start(project)
        defer { supervise.stop() }
        let id2 = try project.container(2)
        let before = try project.state(id2)

        let calls = CallGenerator<Int>(project: project)
        defer { calls.stop() }
        calls.startSteadyLoad(on: [1, 2, 3], durations: 1...8, every: 0.25)
        #expect(poll(timeout: 10) { calls.accepted(on: 2).count >= 3 })

        // Watch worker-2's own counters while it drains: the last answer before it exits.
        let watcher = SnapshotWatcher(pid: before.pid)
        defer { watcher.stop() }

        let t0 = Date()
        let drain = try supervise.cli(["drain", "worker-2", "--wait"])
        let returned = Date()
        watcher.stop()
        #expect(drain.code == 0, "\(drain.output)\n\(supervise.log)")
        #expect(drain.output.contains("draining worker-2: one SIGTERM, deadline in 1m, then stop"), "\(drain.output)")
        #expect(drain.output.contains("live call"), "progress with the live-call count: \(drain.output)")
        #expect(drain.output.contains("worker-2: drain ended after"), "\(drain.output)")
        #expect(drain.output.contains("no call cut"), "\(drain.output)")

        // It returned only after the last call accepted by the old worker-2 had ended.
        let onOld = calls.accepted(on: 2).filter { $0.placedAt < returned }
        let lastEnd = try #require(onOld.map(\.endsAt).max())
        #expect(returned >= lastEnd.addingTimeInterval(0.7), "returned \(returned.timeIntervalSince(lastEnd))s before the last call ended")
        #expect(returned.timeIntervalSince(t0) < 13)

        // No accepted call cut: the worker's own counters, and its output.
        let snapshot = try #require(watcher.last)
        #expect(snapshot.callsCut == 0)
        #expect(snapshot.callsCompleted == snapshot.callsStarted, "\(snapshot)")
        #expect(snapshot.callsStarted == onOld.count, "\(snapshot) vs \(onOld.count) accepted")
        let log = try project.callLog(2)
        #expect(log.generations.count == 1)
        #expect(log.generations.first?.started.count == onOld.count)
        #expect(log.dropped == 0, "\(log.generations.map(\.dropped))")
        #expect(log.generations.first?.drainedCleanly == true)

        // Stopped, drained, and Docker's `restart: always` did not bring it back.
        Thread.sleep(forTimeInterval: 2)
        let after = try project.state(id2)
        #expect(!after.running)
        #expect(after.restartCount == 0)
        #expect(after.startedAt == before.startedAt)
        #expect(supervise.unit("worker-2", is: "drained"))
        #expect(try lastDrain(supervise, "worker-2")["calls_cut"] as? Int == 0)
        #expect(supervise.records(unit: "worker-2", event: "drain-done").count == 1)
        #expect(try project.containers().count == 3)

        // Back in service.
        calls.stop()
        let undrain = try supervise.cli(["undrain", "worker-2"])
        #expect(undrain.code == 0 && undrain.output.contains("back in service"), "\(undrain.output)")
        var fresh = after
        let back = try poll(timeout: 15) {
            fresh = try project.state(id2)
            return fresh.running && fresh.startedAt != before.startedAt && supervise.unit("worker-2", is: "running", pid: fresh.pid)
        }
        #expect(back, "\(fresh)\n\(supervise.log)")
        #expect(poll(timeout: 5) { ContainerWorkerSnapshot.fetch(pid: fresh.pid) != nil })
        #expect(calls.place(on: 2, duration: 0.2).accepted)
    }

    // MARK: - 2

    @Test func rollingRestartUnderLoadDropsNoCall() throws {
        let project = try project("roll")
        defer { project.down() }
        let supervise = try start(project)
        defer { supervise.stop() }
        let ids = try (1...3).map { try project.container($0) }
        let before = try ids.map { try project.state($0) }

        let calls = CallGenerator<Int>(project: project)
        defer { calls.stop() }
        calls.startSteadyLoad(on: [1, 2, 3], durations: 1...4, every: 0.2)
        Thread.sleep(forTimeInterval: 2)

        let t0 = Date()
        let result = try supervise.cli(["restart", "worker", "--rolling"])
        #expect(result.code == 0, "\(result.output)")
        #expect(result.output.contains("rolling restart of worker: worker-1, worker-2, worker-3, one at a time"), "\(result.output)")
        // One at a time: never two containers down at once (sampled).
        var mostDown = 0
        let done = try poll(timeout: 60) {
            mostDown = max(mostDown, try ids.filter { !(try project.state($0).running) }.count)
            return !supervise.records(unit: nil, event: "rolling-done").isEmpty
        }
        let took = Date().timeIntervalSince(t0)
        #expect(done, "\(supervise.log)")
        #expect(mostDown <= 1)
        Thread.sleep(forTimeInterval: 1)
        calls.stop()
        Thread.sleep(forTimeInterval: 4.5)  // the longest call placed last ends

        // Each replica restarted exactly once (a new StartedAt), in order, each one only after the
        // previous one was back in service.
        let after = try ids.map { try project.state($0) }
        for r in 0..<3 {
            #expect(after[r].running && after[r].startedAt != before[r].startedAt && after[r].pid != before[r].pid)
            #expect(supervise.records(unit: "worker-\(r + 1)", event: "drain-start").count == 1)
            #expect(supervise.records(unit: "worker-\(r + 1)", event: "drain-done").count == 1)
        }
        let order = supervise.records().compactMap { record -> String? in
            guard let event = record["event"], ["drain-start", "rolling-step"].contains(event) else { return nil }
            return "\(event) \(record["unit"] ?? "")"
        }
        #expect(order == ["drain-start worker-1", "rolling-step worker-1", "drain-start worker-2", "rolling-step worker-2",
                          "drain-start worker-3", "rolling-step worker-3"], "\(order)")

        // Zero calls dropped: every accepted call started and ended in its worker.
        #expect(!calls.all.contains { if case .other = $0.outcome { true } else { false } })
        let accepted = calls.accepted
        #expect(accepted.count > 20, "only \(accepted.count) calls accepted")
        for r in 1...3 {
            let log = try project.callLog(r)
            #expect(log.generations.count == 2, "worker-\(r): \(log.generations.count) generations")
            #expect(log.generations.first?.drainedCleanly == true)
            #expect(log.started == calls.accepted(on: r).count, "worker-\(r): \(log.started) started, \(calls.accepted(on: r).count) accepted")
            #expect(log.dropped == 0, "worker-\(r) dropped \(log.generations.map(\.dropped))")
            #expect(log.generations.allSatisfy { !$0.started.isEmpty }, "both generations of worker-\(r) took calls")
        }
        #expect(supervise.records(unit: "worker-1", event: "drain-cut").isEmpty)
        print("rolling restart of 3 containers under load: \(String(format: "%.1f", took))s, \(accepted.count) calls accepted")
    }

    // MARK: - 3

    @Test func drainDeadlineCutsTheLiveCallsAndCountsThem() throws {
        let project = try project("cut")
        defer { project.down() }
        let supervise = try start(project)
        defer { supervise.stop() }
        let id1 = try project.container(1)
        let calls = CallGenerator<Int>(project: project)
        for _ in 0..<2 { #expect(calls.place(on: 1, duration: 20).accepted) }
        #expect(calls.place(on: 1, duration: 0.5).accepted)  // ends before the deadline: not cut
        Thread.sleep(forTimeInterval: 0.7)

        let t0 = Date()
        let drain = try supervise.cli(["drain", "worker-1", "--timeout", "3s", "--wait"])
        let took = Date().timeIntervalSince(t0)
        #expect(drain.code == 1, "\(drain.output)\n\(supervise.log)")
        #expect(drain.output.contains("deadline in 3s"), "\(drain.output)")
        #expect(drain.output.contains("2 live calls"), "\(drain.output)")
        #expect(drain.output.contains("drain ended after") && drain.output.contains("2 live calls cut"), "\(drain.output)")
        #expect(took > 2.8 && took < 9, "--wait returned after \(took)s")

        let log = try project.callLog(1)
        #expect(log.generations.count == 1)
        #expect(log.generations.first?.started.count == 3)
        #expect(log.dropped == 2)
        #expect(!(try project.state(id1).running))
        #expect(supervise.unit("worker-1", is: "drained"))
        let last = try lastDrain(supervise, "worker-1")
        #expect(last["calls_cut"] as? Int == 2, "\(last)")
        #expect(supervise.records(unit: "worker-1", event: "drain-timeout").count == 1)
        #expect(supervise.records(unit: "worker-1", event: "drain-cut").first?["message"]?.contains("2 live calls dropped") == true,
                "\(supervise.records(unit: "worker-1", event: "drain-cut"))")
    }

    // MARK: - 4

    @Test func drainResumesAfterSuperviseIsKilled() throws {
        let project = try project("resume")
        defer { project.down() }
        let first = try start(project)
        defer { first.stop() }
        let id1 = try project.container(1)
        let before = try project.state(id1)
        let calls = CallGenerator<Int>(project: project)
        #expect(calls.place(on: 1, duration: 6).accepted)
        let placed = Date()

        let drain = try first.cli(["drain", "worker-1"])
        #expect(drain.code == 0, "\(drain.output)")
        #expect(poll(timeout: 3) { first.unit("worker-1", is: "draining") })
        #expect(poll(timeout: 3) { ContainerWorkerSnapshot.fetch(pid: before.pid)?.draining == true })
        first.waitForSavedState { SuperviseProcess.savedUnit($0, "worker-1")?["drain"] != nil }
        first.killHard()
        #expect(try project.state(id1).running, "the drain goes on without supervise")

        let second = try SuperviseProcess(config: config(project), reusing: first)
        defer { second.stop() }
        // Container units appear once the new daemon has listed Docker's containers, a moment after it answers.
        var found: [String: Any]?
        _ = try poll(timeout: 10) {
            found = try second.unit("worker-1")
            return found != nil
        }
        let resumed = try #require(found, "\(second.log)")
        #expect(resumed["state"] as? String == "draining", "\(resumed)\n\(second.log)")
        #expect((resumed["pid"] as? Int).map(Int32.init) == before.pid)
        #expect(second.records(unit: "worker-1", event: "drain-resume").count == 1, "\(second.log)")
        let container = try second.status("worker-1")["container"] as? [String: Any]
        #expect((container?["id"] as? String).map { id1.hasPrefix($0) || $0.hasPrefix(id1) } ?? true, "\(String(describing: container))")

        let drained = poll(timeout: 15) { second.unit("worker-1", is: "drained") }
        #expect(drained, "\(second.log)")
        #expect(Date().timeIntervalSince(placed) > 5.7, "drained before its call ended")
        #expect(try lastDrain(second, "worker-1")["calls_cut"] as? Int == 0)
        let log = try project.callLog(1)
        #expect(log.generations.count == 1 && log.dropped == 0 && log.generations.first?.drainedCleanly == true)
        // Not restarted by anyone.
        Thread.sleep(forTimeInterval: 2)
        let after = try project.state(id1)
        #expect(!after.running && after.startedAt == before.startedAt)
        #expect(second.unit("worker-1", is: "drained"))
        #expect(second.records(unit: "worker-1", event: "docker-action").allSatisfy { $0["message"]?.hasPrefix("restart") != true })
        #expect(second.unit("worker-2", is: "running") && second.unit("worker-3", is: "running"))
    }

    @Test func rollingRestartCarriesOnAfterSuperviseIsKilled() throws {
        let project = try project("rollresume")
        defer { project.down() }
        let first = try start(project)
        defer { first.stop() }
        let ids = try (1...3).map { try project.container($0) }
        let before = try ids.map { try project.state($0) }
        let calls = CallGenerator<Int>(project: project)
        #expect(calls.place(on: 1, duration: 4).accepted)

        let roll = try first.cli(["restart", "worker", "--rolling"])
        #expect(roll.code == 0, "\(roll.output)")
        #expect(poll(timeout: 3) { first.unit("worker-1", is: "draining") })
        first.waitForSavedState { (($0["rolling"] as? [[String: Any]])?.first?["current"] as? String) == "worker-1" }
        first.killHard()

        // The new daemon resumes worker-1's drain once Docker answers, then replaces the others in turn.
        let second = try SuperviseProcess(config: config(project), reusing: first)
        defer { second.stop() }
        #expect(second.records(unit: nil, event: "rolling-resume").count == 1, "\(second.log)")
        let done = poll(timeout: 60) { !second.records(unit: nil, event: "rolling-done").isEmpty }
        #expect(done, "\(second.log)")
        let after = try ids.map { try project.state($0) }
        for r in 0..<3 {
            #expect(after[r].running && after[r].startedAt != before[r].startedAt, "worker-\(r + 1) was replaced")
        }
        #expect(second.records(unit: "worker-1", event: "drain-resume").count == 1)
        for r in 2...3 { #expect(second.records(unit: "worker-\(r)", event: "drain-start").count == 1) }
        let log = try project.callLog(1)
        #expect(log.dropped == 0 && log.generations.first?.drainedCleanly == true, "the call on worker-1 ran to its end")
    }

    // MARK: - 5

    @Test func budgetRefusesASecondDrainAndUnknownNamesExitThree() throws {
        let project = try project("budget")
        defer { project.down() }
        let supervise = try start(project)
        defer { supervise.stop() }
        let calls = CallGenerator<Int>(project: project)
        #expect(calls.place(on: 1, duration: 30).accepted)
        let first = try supervise.cli(["drain", "worker-1"])
        #expect(first.code == 0, "\(first.output)")
        #expect(poll(timeout: 3) { supervise.unit("worker-1", is: "draining") })

        let refused = try supervise.cli(["drain", "worker-2"])
        #expect(refused.code == 1, "\(refused.output)")
        #expect(refused.output.contains("max_unavailable 1"), "\(refused.output)")
        #expect(refused.output.contains("already out: worker-1"), "\(refused.output)")
        #expect(supervise.unit("worker-2", is: "running"))
        let id2 = try project.container(2)
        #expect(try project.state(id2).running)
        #expect(ContainerWorkerSnapshot.fetch(pid: try project.state(id2).pid)?.draining == false)
        #expect(calls.place(on: 2, duration: 0.1).accepted)

        // A rolling restart waits for the drained one rather than taking a second unit out.
        let again = try supervise.cli(["drain", "worker-1"])
        #expect(again.code == 0 && again.output.contains("already draining"), "\(again.output)")

        for arguments in [["drain", "worker-9"], ["drain", "nope"], ["undrain", "nope"], ["restart", "nope", "--rolling"]] {
            let result = try supervise.cli(arguments)
            #expect(result.code == 3, "\(arguments): \(result.code) \(result.output)")
        }
        let unknown = try supervise.cli(["drain", "nope"])
        #expect(unknown.output.contains("worker-1, worker-2, worker-3"), "\(unknown.output)")
    }
}

/// Polls one worker's `GET /worker` every 100 ms on a thread, keeping the last answer.
final class SnapshotWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: ContainerWorkerSnapshot?
    private var running = true

    init(pid: Int32) {
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                if let s = ContainerWorkerSnapshot.fetch(pid: pid) { lock.withLock { latest = s } }
                usleep(100_000)
            }
        }
        thread.start()
    }

    var last: ContainerWorkerSnapshot? { lock.withLock { latest } }
    func stop() { lock.withLock { running = false } }
}
