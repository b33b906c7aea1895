import Foundation
import Testing
@testable import SuperviseDocker

/// The client against a real, private dockerd (one for the whole suite; see ``TestDockerDaemon``).
/// Containers are busybox, `--network none`, removed by each test.
@Suite(.serialized, .privateDockerd)
struct DockerEngineTests {
    let daemon: TestDockerDaemon
    let client: DockerClient

    init() throws {
        daemon = try #require(TestDockerDaemon.current)
        client = DockerClient(socketPath: daemon.socket)
    }

    /// A fresh Compose-style project label, so each test's events and lists are its own.
    private func project(_ name: String) -> String { "svtest-\(name)-\(UInt32.random(in: 0...UInt32.max))" }

    private func composeLabels(_ project: String, service: String = "worker", number: Int = 1) -> [String] {
        ["--label", "com.docker.compose.project=\(project)", "--label", "com.docker.compose.service=\(service)",
         "--label", "com.docker.compose.container-number=\(number)"]
    }

    @Test func pingNegotiatesASupportedVersion() async throws {
        let ping = try await client.ping()
        #expect(ping.negotiated >= DockerAPIVersion.minimum)
        #expect(ping.negotiated <= DockerAPIVersion.newestKnown)
        #expect(DockerAPIVersion(ping.serverAPIVersion) != nil)
        #expect(client.apiVersion == ping.negotiated)
        #expect(ping.osType == "linux")
    }

    @Test func listAndInspectAContainer() async throws {
        let project = project("list")
        let id = try daemon.runContainer(composeLabels(project) + ["--name", "\(project)-worker-1",
                                                                   "--stop-timeout", "7"])
        defer { daemon.remove(id) }
        let other = try daemon.runContainer(composeLabels(project + "-other"))
        defer { daemon.remove(other) }

        let listed = try await client.listContainers(filters: .composeProject(project))
        #expect(listed.map(\.id) == [id])
        #expect(listed.first?.names == ["\(project)-worker-1"])
        #expect(listed.first?.state == "running")
        #expect(listed.first?.labels["com.docker.compose.service"] == "worker")

        let container = try await client.inspect(id)
        #expect(container.id == id)
        #expect(container.name == "\(project)-worker-1")
        #expect(container.image == "supervise-busybox:test")
        #expect(container.imageID.hasPrefix("sha256:"))
        #expect(container.state.status == "running")
        #expect(container.state.running)
        #expect(container.state.pid > 0)
        #expect(container.state.exitCode == 0)
        #expect(!container.state.oomKilled)
        #expect(container.state.startedDate.map { abs($0.timeIntervalSinceNow) < 120 } == true)
        #expect(container.state.finishedDate == nil)
        #expect(container.state.health == nil)
        #expect(container.labels["com.docker.compose.project"] == project)
        #expect(container.labels["com.docker.compose.container-number"] == "1")
        #expect(container.restartPolicy.name == "no")
        #expect(container.stopTimeout == 7)
        #expect(container.networkMode == "none")

        // A short id works as well.
        #expect(try await client.inspect(String(id.prefix(12))).id == id)
    }

    @Test func restartChangesStartedAt() async throws {
        let id = try daemon.runContainer()
        defer { daemon.remove(id) }
        let before = try await client.inspect(id)
        try await client.restart(id, timeoutSeconds: 0)
        let after = try await client.inspect(id)
        #expect(after.state.running)
        #expect(after.state.startedAt != before.state.startedAt)
        #expect(after.state.pid != before.state.pid)
        #expect((after.state.startedDate ?? .distantPast) > (before.state.startedDate ?? .distantFuture))
    }

    @Test func stopThenStart() async throws {
        let id = try daemon.runContainer()
        defer { daemon.remove(id) }
        try await client.stop(id, timeoutSeconds: 0)
        let stopped = try await client.inspect(id)
        #expect(stopped.state.status == "exited")
        #expect(!stopped.state.running)
        #expect(stopped.state.exitCode == 137)
        #expect(stopped.state.finishedDate != nil)
        try await client.stop(id, timeoutSeconds: 0) // already stopped: 304, not an error

        try await client.start(id)
        let started = try await client.inspect(id)
        #expect(started.state.running)
        try await client.start(id) // already running: 304, not an error
    }

    @Test func killProducesDieWithExitCodeAndLabelsOnTheEventStream() async throws {
        let project = project("kill")
        let filters = DockerFilters().type("container").label("com.docker.compose.project", project)
        let recorder = EventRecorder(try await client.events(filters: filters))
        defer { recorder.cancel() }
        let id = try daemon.runContainer(composeLabels(project, number: 2))
        defer { daemon.remove(id) }
        #expect(await recorder.first(timeout: 10) { $0.action == .start && $0.containerID == id } != nil)

        try await client.kill(id, signal: 9)

        let kill = try #require(await recorder.first(timeout: 10) { $0.action == .kill })
        #expect(kill.signal == "9")
        let die = try #require(await recorder.first(timeout: 10) { $0.action == .die })
        #expect(die.containerID == id)
        #expect(die.exitCode == 137)
        #expect(die.labels["com.docker.compose.project"] == project)
        #expect(die.labels["com.docker.compose.container-number"] == "2")
        #expect(die.labels["exitCode"] == nil)
        #expect(die.name != nil)
        #expect(die.timeNano / 1_000_000_000 == die.time)
        // Only this project's container events arrived.
        #expect(recorder.events.allSatisfy { $0.type == "container" && $0.attributes["com.docker.compose.project"] == project })

        // Killing a stopped container is Docker's 409, with its message.
        await #expect {
            try await client.kill(id, signal: 9)
        } throws: { error in
            guard case DockerError.http(409, let message, _) = error else { return false }
            return message.contains("is not running")
        }
    }

    @Test func failingHealthcheckProducesUnhealthyEvent() async throws {
        let project = project("health")
        let recorder = EventRecorder(try await client.events(filters: .composeProject(project)))
        defer { recorder.cancel() }
        let id = try daemon.runContainer(composeLabels(project) + [
            "--health-cmd", "false", "--health-interval", "1s", "--health-retries", "1", "--health-timeout", "1s"])
        defer { daemon.remove(id) }

        let event = try #require(await recorder.first(timeout: 20) { $0.action == .healthStatus("unhealthy") })
        #expect(event.containerID == id)
        #expect(event.rawAction == "health_status: unhealthy")
        let container = try await client.inspect(id)
        #expect(container.state.health?.status == "unhealthy")
        #expect((container.state.health?.failingStreak ?? 0) >= 1)
    }

    /// A restart that waits 30 s for a container ignoring SIGTERM (sleep as PID 1) is in flight
    /// while an inspect and a kill complete at once: requests do not wait for each other.
    @Test func longRestartDoesNotDelayOtherCalls() async throws {
        let id = try daemon.runContainer()
        defer { daemon.remove(id) }
        let before = try await client.inspect(id)
        let clock = ContinuousClock()
        let restartStart = clock.now
        let restart = Task { [client] in
            try await client.restart(id, timeoutSeconds: 30)
            return clock.now
        }
        try await Task.sleep(for: .milliseconds(500))

        let inspectStart = clock.now
        let during = try await client.inspect(id)
        let inspectTook = clock.now - inspectStart
        #expect(inspectTook < .seconds(1), "inspect took \(inspectTook) while a restart was in flight")
        #expect(during.state.running)
        #expect(during.state.pid == before.state.pid) // still waiting for the old process to stop

        // SIGKILL ends the wait; the restart then finishes well before its 30 s.
        try await client.kill(id, signal: 9)
        let restartDone = try await restart.value
        #expect(restartDone - restartStart < .seconds(15))
        let after = try await client.inspect(id)
        #expect(after.state.running)
        #expect(after.state.pid != before.state.pid)
    }

    @Test func removedContainerIsNoSuchContainer() async throws {
        let id = try daemon.runContainer()
        daemon.remove(id)
        await #expect(throws: DockerError.noSuchContainer(id)) { try await client.inspect(id) }
        await #expect(throws: DockerError.noSuchContainer(id)) { try await client.restart(id, timeoutSeconds: 1) }
        #expect(DockerError.noSuchContainer(id).description == "no such container \(id)")
    }

    @Test func cancellingACallAbortsItsRequest() async throws {
        let id = try daemon.runContainer()
        defer { daemon.remove(id) }
        let restart = Task { [client] in try await client.restart(id, timeoutSeconds: 30) }
        try await Task.sleep(for: .milliseconds(300))
        restart.cancel()
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: CancellationError.self) { try await restart.value }
        #expect(clock.now - start < .seconds(2))
        // The client still works.
        #expect(try await client.inspect(id).id == id)
    }
}
