import AgentSimClient
import Foundation
import Testing

/// Scaling and rolling out a Compose service end to end: a real `supervise run` on a private dockerd, `worker`
/// replicas of agent-sim (`network_mode: none`) made by Compose v1, calls placed through each container's network
/// namespace, `supervise scale` and `supervise rollout` from the CLI. Replicas supervise adds are copies of a running
/// one made through the Engine API; those it removes are drained first.
@Suite(.serialized, .privateDockerd)
struct ComposeScaleTests {
    let daemon: TestDockerDaemon
    let suiteID = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    init() throws {
        daemon = try #require(TestDockerDaemon.current)
        try #require(FileManager.default.isExecutableFile(atPath: BuiltProducts.agentSim), "build agent-sim first")
        try #require(getuid() == 0, "root needed: calls and probes join containers' network namespaces")
    }

    /// `count` workers made by Compose, running.
    private func project(_ test: String, workers count: Int) throws -> ComposeProject {
        let project = try ComposeProject(daemon: daemon, name: "svsc\(suiteID)\(test)", healthcheckInterval: "300s",
                                         restart: "unless-stopped")
        do {
            try project.scaleWorkers(count)
            let up = try poll(timeout: 30) {
                let ids = try project.containers()
                return try ids.count == count && ids.values.allSatisfy { try project.state($0).running }
            }
            try #require(up, "workers did not come up")
        } catch {
            project.down()
            throw error
        }
        return project
    }

    private func config(_ project: ComposeProject, extra: String = "") -> String {
        """
        docker:
          socket: \(daemon.socket)
          project: \(project.name)
        containers:
          worker:
            compose: worker
            stop_timeout: 5s
            readiness: {http: "http://127.0.0.1:8081/", interval: 500ms, network: container}
            drain: {progress: "http://127.0.0.1:8081/worker", network: container, timeout: 60s}
        \(extra)
        """
    }

    /// The replica numbers supervise shows running and ready.
    private func ready(_ supervise: SuperviseProcess) throws -> [Int] {
        try supervise.units().compactMap { u -> Int? in
            guard let name = u["name"] as? String, name.hasPrefix("worker-"), u["state"] as? String == "running",
                  u["ready"] as? Bool == true else { return nil }
            return Int(name.dropFirst("worker-".count))
        }.sorted()
    }

    private func start(_ project: ComposeProject, workers: [Int], extra: String = "") throws -> SuperviseProcess {
        let supervise = try SuperviseProcess(config: config(project, extra: extra))
        if !(try poll(timeout: 20) { try ready(supervise) == workers }) {
            let detail = "\(String(describing: try? supervise.units()))\n\(supervise.log)"
            supervise.stop()
            throw TestFailure("workers \(workers) not running and ready in supervise: \(detail)")
        }
        return supervise
    }

    /// `supervise-agent-root:next`: the test image with one more label, so a new image id.
    private func nextImage() throws -> String {
        let tag = "supervise-agent-root:next"
        let base = try daemon.agentRootImage()
        let result = try Shell.run("/bin/bash", ["-c", "printf 'FROM \(base)\\nLABEL supervise.test=next\\n' | "
                                                 + "docker -H unix://\(daemon.socket) build -q -t \(tag) -"])
        try #require(result.status == 0, "docker build: \(result.output)")
        return tag
    }

    /// Every call a worker accepted started and ended in it (its output), and none was dropped.
    private func expectNoCallDropped(_ project: ComposeProject, _ calls: CallGenerator<Int>, replicas: [Int],
                                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(!calls.all.contains { if case .other = $0.outcome { true } else { false } }, sourceLocation: sourceLocation)
        for r in replicas {
            guard let log = try? project.callLog(r) else { continue }
            #expect(log.dropped == 0, "worker-\(r) dropped \(log.generations.map(\.dropped))", sourceLocation: sourceLocation)
        }
    }

    @Test func scaleUpCopiesAReplicaAndScaleDownDrainsBeforeDeleting() throws {
        let project = try project("updown", workers: 2)
        defer { project.down() }
        let supervise = try start(project, workers: [1, 2])
        defer { supervise.stop() }
        let calls = CallGenerator<Int>(project: project)
        defer { calls.stop() }

        // Up: replicas 3 and 4 copied from a running one, named and labelled as Compose would.
        var t0 = Date()
        let up = try supervise.cli(["scale", "worker", "4"])
        #expect(up.code == 0, "\(up.output)")
        #expect(try poll(timeout: 30) { try ready(supervise) == [1, 2, 3, 4] }, "\(supervise.log)")
        print("scale 2 → 4 Compose replicas in service: \(String(format: "%.2f", Date().timeIntervalSince(t0))) s")
        let ps = try project.compose(["ps"])
        #expect(ps.contains("\(project.name)_worker_3") && ps.contains("\(project.name)_worker_4"), "\(ps)")
        let labels = try daemon.docker(["inspect", "-f", "{{index .Config.Labels \"com.docker.compose.container-number\"}} "
                                        + "{{.HostConfig.NetworkMode}} {{.HostConfig.RestartPolicy.Name}}", try project.container(4)])
        #expect(labels.trimmingCharacters(in: .whitespacesAndNewlines) == "4 none unless-stopped", "\(labels)")
        #expect(calls.place(on: 4, duration: 0.2).accepted)

        // Down under load: the two with the fewest live calls drain (their calls end), then their containers go.
        calls.startSteadyLoad(on: [1, 2, 3, 4], durations: 1...3, every: 0.1)
        Thread.sleep(forTimeInterval: 1.5)
        t0 = Date()
        let down = try supervise.cli(["scale", "worker", "2"])
        #expect(down.code == 0 && down.output.contains("draining 2 replicas"), "\(down.output)")
        #expect(try poll(timeout: 30) { try project.containers().count == 2 }, "\(supervise.log)")
        print("scale 4 → 2 under load, drained and deleted: \(String(format: "%.2f", Date().timeIntervalSince(t0))) s")
        calls.stop()
        Thread.sleep(forTimeInterval: 3.5)
        let left = try project.containers().keys.sorted()
        #expect(left.count == 2)
        #expect(supervise.records(event: "drain-cut").isEmpty, "\(supervise.log)")
        #expect(supervise.records(event: "drain-done").count == 2)
        try expectNoCallDropped(project, calls, replicas: left)
        let status = try supervise.cli(["status"])
        #expect(status.output.contains("service worker: 2 desired, 2 running, 2 in service"), "\(status.output)")
        #expect(try ready(supervise) == left)
    }

    @Test func aRolloutToANewImageReplacesEveryReplicaUnderLoadAndDropsNoCall() throws {
        let image = try nextImage()
        let project = try project("roll", workers: 2)
        defer { project.down() }
        let supervise = try start(project, workers: [1, 2])
        defer { supervise.stop() }
        let calls = CallGenerator<Int>(project: project)
        defer { calls.stop() }
        calls.startSteadyLoad(on: [1, 2, 3, 4], durations: 1...3, every: 0.1)
        Thread.sleep(forTimeInterval: 1.5)

        let t0 = Date()
        let rollout = try supervise.cli(["rollout", "worker", "--image", image])
        let took = Date().timeIntervalSince(t0)
        #expect(rollout.code == 0, "\(rollout.output)\n\(supervise.log)")
        #expect(rollout.output.contains("rollout done; 2 of 2 in service"), "\(rollout.output)")
        print("rollout of 2 Compose replicas to a new image under load: \(String(format: "%.2f", took)) s")
        calls.stop()
        Thread.sleep(forTimeInterval: 3.5)

        let now = try project.containers()
        #expect(now.keys.sorted() == [3, 4], "\(now)")
        for id in now.values {
            #expect(try daemon.docker(["inspect", "-f", "{{.Config.Image}}", id]).trimmingCharacters(in: .whitespacesAndNewlines) == image)
        }
        // Capacity never below the count: new replicas in service before an old one drained.
        let order = supervise.records().compactMap { r -> String? in
            guard let e = r["event"], ["replica-adding", "drain-start"].contains(e) else { return nil }
            return "\(e) \(r["unit"] ?? "")"
        }
        #expect(order.first == "replica-adding worker-3", "\(order)")
        #expect(supervise.records(event: "drain-cut").isEmpty)
        try expectNoCallDropped(project, calls, replicas: [3, 4])
        #expect(calls.accepted(on: 3).count + calls.accepted(on: 4).count > 0, "the new replicas took calls")
    }

    @Test func aRolloutToAnImageThatDoesNotExistIsCalledOffAndTheOldReplicasServe() throws {
        let project = try project("bad", workers: 2)
        defer { project.down() }
        let supervise = try start(project, workers: [1, 2])
        defer { supervise.stop() }
        let before = try project.containers()

        let rollout = try supervise.cli(["rollout", "worker", "--image", "supervise-agent-root:missing"])
        #expect(rollout.code == 1, "\(rollout.output)")
        #expect(rollout.output.contains("rollout aborted: new replica worker-3 could not be made"), "\(rollout.output)")
        #expect(rollout.output.contains("supervise-agent-root:missing"), "\(rollout.output)")
        #expect(try project.containers() == before)
        #expect(try ready(supervise) == [1, 2])
    }
}
