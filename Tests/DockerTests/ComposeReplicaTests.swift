import Foundation
import SuperviseDocker
import Testing

/// A Compose v1 project for the replica tests: service `worker` (agent-sim listening on 0.0.0.0:8081, `scale: 2`)
/// with what a replica must copy — a healthcheck, environment, a named volume and binds, an internal network with
/// an alias (`agents`), resource limits, a restart policy, a stop grace period. The network is `internal`: only the
/// containers talk on it, never the host. `down()` removes everything, the temporary directory with it.
private final class ReplicaProject: Sendable {
    let daemon: TestDockerDaemon
    let name: String
    let directory: String
    var file: String { directory + "/docker-compose.yml" }
    var network: String { name + "_calls" }

    init(daemon: TestDockerDaemon, name: String) throws {
        self.daemon = daemon
        self.name = name
        directory = try Shell.makeTemporaryDirectory(prefix: "/tmp/sv-rp-")
        try write(image: try daemon.agentRootImage())
    }

    /// (Re)writes the Compose file with `image` for the workers: a new image changes the service's config hash.
    func write(image: String) throws {
        let bin = BuiltProducts.directory
        let yaml = """
            version: "2.4"
            services:
              worker:
                image: \(image)
                command: ["\(bin)/agent-sim", "--port", "8081", "--host", "0.0.0.0", "--name", "worker"]
                scale: 2
                environment:
                  WORKER_ROLE: calls
                  LOG_LEVEL: debug
                volumes:
                  - /usr:/usr:ro
                  - /opt/swift:/opt/swift:ro
                  - \(bin):\(bin):ro
                  - recordings:/recordings
                networks:
                  calls:
                    aliases: [agents]
                mem_limit: 256m
                cpus: 0.5
                pids_limit: 200
                restart: unless-stopped
                stop_grace_period: 7s
                healthcheck:
                  test: ["CMD", "/usr/bin/curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/"]
                  interval: 1s
                  timeout: 1s
                  retries: 3
            volumes:
              recordings: {}
            networks:
              calls:
                internal: true

            """
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// `docker-compose -p NAME -f FILE arguments...`: its output (stderr too), or a throw with it.
    @discardableResult
    func compose(_ arguments: [String]) throws -> String {
        let result = try Shell.run("/usr/bin/env", ["docker-compose", "--ansi", "never", "-p", name, "-f", file] + arguments,
                                   environment: ["DOCKER_HOST": "unix://" + daemon.socket, "COMPOSE_INTERACTIVE_NO_CLI": "1"])
        guard result.status == 0 else {
            throw TestFailure("docker-compose \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result.output
    }

    /// The `docker-compose ps` rows: container name → state column (`Up (healthy)`, `Exit 0`, …).
    func composePS() throws -> [String: String] {
        var rows: [String: String] = [:]
        for line in try compose(["ps"]).split(separator: "\n") where line.hasPrefix(name + "_") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let state = ["Up", "Exit", "Restarting", "Created", "Paused"].first { word in columns.contains { $0 == word } }
            rows[columns[0]] = state ?? "?"
        }
        return rows
    }

    /// `docker inspect ID` as JSON.
    func inspect(_ id: String) throws -> [String: Any] {
        let text = try daemon.docker(["inspect", id])
        let list = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        return try #require(list?.first)
    }

    func health(_ id: String) throws -> String {
        try daemon.docker(["inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", id])
    }

    /// The container's address on the project's network (read from inspect, never connected to from the host).
    func address(_ id: String) throws -> String {
        try daemon.docker(["inspect", "-f", "{{(index .NetworkSettings.Networks \"\(network)\").IPAddress}}", id])
    }

    /// Removes every container of the project, its volume and network (even when docker-compose cannot) and the
    /// directory.
    func down() {
        _ = try? compose(["down", "-v", "-t", "0", "--remove-orphans"])
        if let ids = try? daemon.docker(["ps", "-aq", "--filter", "label=com.docker.compose.project=\(name)"]), !ids.isEmpty {
            _ = try? daemon.docker(["rm", "-f", "-v"] + ids.split(whereSeparator: \.isWhitespace).map(String.init))
        }
        _ = try? daemon.docker(["network", "rm", network])
        _ = try? daemon.docker(["volume", "rm", name + "_recordings"])
        _ = try? Shell.run("/bin/rm", ["-rf", "--one-file-system", directory])
    }
}

/// Replicas of a Compose service made through the Engine API (``DockerClient/createComposeReplica(from:image:number:)``)
/// on a private dockerd, checked with Compose v1 (`docker-compose` 1.29) itself: it lists them as its own, they copy
/// the service's configuration field by field, the service's alias reaches them from the other replicas, and removal
/// works. Then what `docker-compose up -d` does with a replica added this way, as docs/replicas.md records it.
@Suite(.serialized, .privateDockerd)
struct ComposeReplicaTests {
    let daemon: TestDockerDaemon
    let client: DockerClient
    let suiteID = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    init() throws {
        daemon = try #require(TestDockerDaemon.current)
        try #require(FileManager.default.isExecutableFile(atPath: BuiltProducts.agentSim), "build agent-sim first")
        client = DockerClient(socketPath: daemon.socket)
    }

    /// The project with replicas 1 and 2 up and healthy.
    private func project(_ test: String) throws -> ReplicaProject {
        let project = try ReplicaProject(daemon: daemon, name: "svrp\(suiteID)\(test)")
        do {
            try project.compose(["up", "-d"])
            let healthy = try waitHealthy(project, count: 2)
            try #require(healthy, "replicas 1 and 2 did not become healthy: \(String(describing: try? project.composePS()))")
        } catch {
            project.down()
            throw error
        }
        return project
    }

    private func waitHealthy(_ project: ReplicaProject, count: Int, timeout: Double = 30) throws -> Bool {
        try poll(timeout: timeout) {
            let replicas = try project.composePS()
            guard replicas.count == count else { return false }
            return try replicas.keys.allSatisfy { try project.health($0) == "healthy" }
        }
    }

    @Test func aReplicaMadeThroughTheAPIIsOneOfComposesOwn() async throws {
        let project = try project("own")
        defer { project.down() }

        let before = try await client.composeReplicas(project: project.name, service: "worker")
        #expect(before.map(\.number) == [1, 2])
        #expect(before.map(\.name) == ["\(project.name)_worker_1", "\(project.name)_worker_2"])

        let made = try await client.createComposeReplica(from: before[0].id)
        #expect(made.number == 3)
        #expect(made.name == "\(project.name)_worker_3")
        #expect(made.state == "running")
        #expect(made.labels["com.docker.compose.oneoff"] == "False")
        #expect(made.labels["com.docker.compose.config-hash"] == before[0].labels["com.docker.compose.config-hash"])
        #expect(try await client.composeReplicas(project: project.name, service: "worker").map(\.number) == [1, 2, 3])

        // Compose lists it as its own, and Docker runs its healthcheck: agent-sim (hiredis and all) runs in it.
        #expect(try project.composePS()["\(project.name)_worker_3"] == "Up")
        #expect(try poll(timeout: 30) { try project.health(made.id) == "healthy" }, "replica 3 never became healthy")
        let listed = try project.compose(["ps", "-q", "worker"]).split(separator: "\n").map(String.init)
        #expect(Set(listed) == Set(before.map(\.id) + [made.id]), "docker-compose ps -q worker: \(listed)")

        // Field by field, replica 3 is replica 1 but for what is its own.
        let one = try project.inspect(before[0].id), three = try project.inspect(made.id)
        var config1 = try #require(one["Config"] as? [String: Any]), config3 = try #require(three["Config"] as? [String: Any])
        #expect(config3["Hostname"] as? String == String(made.id.prefix(12)))
        for key in ["Hostname"] { config1[key] = nil; config3[key] = nil }
        var labels1 = try #require(config1["Labels"] as? [String: String]), labels3 = try #require(config3["Labels"] as? [String: String])
        #expect(labels3["com.docker.compose.container-number"] == "3")
        labels1["com.docker.compose.container-number"] = nil
        labels3["com.docker.compose.container-number"] = nil
        #expect(labels1 == labels3)
        config1["Labels"] = nil
        config3["Labels"] = nil
        #expect(try json(config1) == json(config3), "Config differs")
        #expect(try json(one["HostConfig"] as Any) == json(three["HostConfig"] as Any), "HostConfig differs")
        #expect(try json(mounts(one)) == json(mounts(three)), "mounts differ")
        #expect(try aliases(one, on: project.network, without: before[0].id) == ["agents", "worker"])
        #expect(try aliases(three, on: project.network, without: made.id) == ["agents", "worker"])
        // The fields a replica must carry, spelled out.
        let env = try #require(config3["Env"] as? [String])
        #expect(env.contains("WORKER_ROLE=calls") && env.contains("LOG_LEVEL=debug"))
        let host3 = try #require(three["HostConfig"] as? [String: Any])
        #expect(host3["Memory"] as? Int == 256 << 20)
        #expect(host3["NanoCpus"] as? Int == 500_000_000)
        #expect(host3["PidsLimit"] as? Int == 200)
        #expect((host3["RestartPolicy"] as? [String: Any])?["Name"] as? String == "unless-stopped")
        #expect(config3["StopTimeout"] as? Int == 7)
        #expect((config3["Healthcheck"] as? [String: Any])?["Interval"] as? Int == 1_000_000_000)

        // The named volume is the service's: what replica 1 writes, replica 3 reads.
        try daemon.docker(["exec", before[0].id, "/bin/sh", "-c", "echo from-1 > /recordings/shared"])
        #expect(try daemon.docker(["exec", made.id, "/bin/cat", "/recordings/shared"]) == "from-1")

        // Container to container on the project's internal network: the service's name and its alias resolve to
        // replica 3 too, and it answers there.
        let address3 = try project.address(made.id)
        for name in ["worker", "agents"] {
            let resolved = try daemon.docker(["exec", before[1].id, "/usr/bin/getent", "ahostsv4", name])
            #expect(resolved.contains(address3), "\(name) does not resolve to replica 3 (\(address3)): \(resolved)")
        }
        let answer = try daemon.docker(["exec", before[1].id, "/usr/bin/curl", "-fsS", "-m", "5", "http://\(address3):8081/worker"])
        #expect(answer.contains("\"name\":\"worker\""))

        // Removal: stopped (SIGTERM: agent-sim without calls exits 0 at once), deleted, gone from Compose's list.
        try await client.removeComposeReplica(made.id, stopTimeoutSeconds: 5)
        #expect(try project.composePS()["\(project.name)_worker_3"] == nil)
        await #expect(throws: DockerError.noSuchContainer(made.id)) { _ = try await client.inspect(made.id) }
        #expect(try await client.composeReplicas(project: project.name, service: "worker").map(\.number) == [1, 2])
        try await client.removeComposeReplica(made.id, stopTimeoutSeconds: 5)  // already gone: no error
    }

    @Test func aReplicaWithAnotherImageTakesThatImagesDefaults() async throws {
        let project = try project("image")
        defer { project.down() }
        let image = try versionedAgentImage("2")
        let before = try await client.composeReplicas(project: project.name, service: "worker")

        let made = try await client.createComposeReplica(from: before[1].id, image: image, number: 5)
        #expect(made.number == 5 && made.name == "\(project.name)_worker_5")
        #expect(made.image == image)
        #expect(try poll(timeout: 30) { try project.health(made.id) == "healthy" })
        let config = try #require(try project.inspect(made.id)["Config"] as? [String: Any])
        let env = try #require(config["Env"] as? [String])
        #expect(env.contains("AGENT_VERSION=2"), "the new image's own environment")
        #expect(env.contains("WORKER_ROLE=calls"), "the service's environment")
        #expect((config["Labels"] as? [String: String])?["org.example.version"] == "2")
        #expect(try await client.composeReplicas(project: project.name, service: "worker").map(\.number) == [1, 2, 5])
        try await client.removeComposeReplica(made.id, stopTimeoutSeconds: 5)
    }

    /// What Compose v1 (1.29) does with a replica made through the API, at the next `docker-compose up -d`: recorded
    /// in docs/replicas.md. The replica is indistinguishable from one Compose made itself, so Compose treats it as
    /// one: it converges the service to its `scale` (2 here), removing the highest numbers first.
    @Test func composeUpConvergesTheServiceWithTheAddedReplica() async throws {
        let project = try project("up")
        defer { project.down() }
        let first = try await client.composeReplicas(project: project.name, service: "worker")

        // `up -d` (scale 2 from the file) removes replica 3: the highest number above the scale.
        let three = try await client.createComposeReplica(from: first[0].id)
        let up = try project.compose(["up", "-d"])
        #expect(up.contains("Stopping and removing \(project.name)_worker_3"), "up -d said: \(up)")
        #expect(try await client.composeReplicas(project: project.name, service: "worker").map(\.id) == first.map(\.id),
                "replica 3 (\(three.id)) should be gone")

        // `--scale worker=3` counts it and leaves all three alone (same config hash: nothing to recreate).
        let again = try await client.createComposeReplica(from: first[0].id)
        let scaled = try project.compose(["up", "-d", "--scale", "worker=3"])
        #expect(!scaled.contains("Recreating") && !scaled.contains("Creating \(project.name)_worker"), "up --scale 3 said: \(scaled)")
        #expect(try await client.composeReplicas(project: project.name, service: "worker").map(\.id)
            == first.map(\.id) + [again.id])

        // `--scale worker=2` removes it again, as `up -d` did.
        let down = try project.compose(["up", "-d", "--scale", "worker=2"])
        #expect(down.contains("Stopping and removing \(project.name)_worker_3"), "up --scale 2 said: \(down)")
        #expect(try await client.composeReplicas(project: project.name, service: "worker").count == 2)

        // A replica with another image keeps the service's config hash, so Compose takes it as up to date...
        let image = try versionedAgentImage("2")
        let other = try await client.createComposeReplica(from: first[0].id, image: image)
        let kept = try project.compose(["up", "-d", "--scale", "worker=3"])
        #expect(!kept.contains("Recreating"), "up --scale 3 said: \(kept)")
        #expect(try project.inspect(other.id)["Config"].flatMap { ($0 as? [String: Any])?["Image"] as? String } == image)

        // ...until the file changes (here to that image): `--no-recreate` still leaves every replica alone...
        try project.write(image: image)
        let untouched = try project.compose(["up", "-d", "--no-recreate", "--scale", "worker=3"])
        #expect(!untouched.contains("Recreating") && !untouched.contains("Stopping"), "up --no-recreate said: \(untouched)")
        #expect(try await client.composeReplicas(project: project.name, service: "worker").map(\.id) == first.map(\.id) + [other.id])

        // ...and without it every replica is recreated, ours too, all at once.
        let recreated = try project.compose(["up", "-d", "--scale", "worker=3"])
        #expect((1...3).allSatisfy { recreated.contains("Recreating \(project.name)_worker_\($0)") }, "up said: \(recreated)")
        let after = try await client.composeReplicas(project: project.name, service: "worker")
        #expect(after.map(\.number) == [1, 2, 3])
        #expect(after.allSatisfy { !first.map(\.id).contains($0.id) && $0.id != other.id && $0.image == image })

        // `down` takes a replica made through the API with the rest.
        let four = try await client.createComposeReplica(from: after[0].id)
        #expect(four.number == 4)
        try project.compose(["down", "-t", "1"])
        #expect(try await client.composeReplicas(project: project.name, service: "worker").isEmpty)
    }

    /// `supervise-agent-root:vN`: the agent root image with `AGENT_VERSION=N` and a label, as a new release would be.
    private func versionedAgentImage(_ version: String) throws -> String {
        let tag = "supervise-agent-root:v\(version)"
        if (try? daemon.docker(["image", "inspect", "--format", "{{.Id}}", tag])) != nil { return tag }
        let base = try daemon.agentRootImage()
        let script = """
            set -e
            id=$(docker -H "unix://\(daemon.socket)" create \(base) /bin/true)
            docker -H "unix://\(daemon.socket)" export "$id" | docker -H "unix://\(daemon.socket)" import \\
              --change 'ENV AGENT_VERSION=\(version)' --change 'LABEL org.example.version=\(version)' - \(tag) >/dev/null
            docker -H "unix://\(daemon.socket)" rm "$id" >/dev/null
            """
        let result = try Shell.run("/bin/bash", ["-c", script])
        guard result.status == 0 else { throw TestFailure("making \(tag) failed: \(result.output)") }
        return tag
    }

    private func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    private func mounts(_ inspect: [String: Any]) -> [[String: String]] {
        ((inspect["Mounts"] as? [[String: Any]]) ?? []).map { mount in
            ["Type", "Name", "Source", "Destination", "Mode"].reduce(into: [:]) { $0[$1] = mount[$1] as? String ?? "" }
        }.sorted { ($0["Destination"] ?? "") < ($1["Destination"] ?? "") }
    }

    private func aliases(_ inspect: [String: Any], on network: String, without id: String) throws -> [String] {
        let networks = try #require((inspect["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any])
        let endpoint = try #require(networks[network] as? [String: Any])
        return ((endpoint["Aliases"] as? [String]) ?? []).filter { !id.hasPrefix($0) }.sorted()
    }
}
