import Foundation
import Testing
@testable import SuperviseDocker

/// The create request for a new replica, built from inspect answers without a daemon: what is copied, what is left
/// to the image, what belongs to the old container alone.
@Suite(.serialized)
struct ReplicaBlueprintTests {
    private let id = "0123456789ab" + String(repeating: "f", count: 52)

    /// A Compose v2 replica (`shop-worker-1`) on two networks, with a static address, a link, image defaults merged in.
    private func container() throws -> [UInt8] {
        let inspect: [String: Any] = [
            "Id": id,
            "Name": "/shop-worker-1",
            "Image": "sha256:old",
            "Config": [
                "Hostname": "0123456789ab",
                "Env": ["PATH=/usr/bin", "APP_VERSION=1", "WORKER_ROLE=calls"],
                "Cmd": ["python", "-m", "worker"],
                "Entrypoint": NSNull(),
                "Image": "shop/worker:1",
                "WorkingDir": "/app",
                "User": "",
                "MacAddress": "02:42:ac:11:00:03",
                "Volumes": ["/cache": [String: Any](), "/data": [String: Any]()],
                "ExposedPorts": ["8081/tcp": [String: Any]()],
                "StopTimeout": 3600,
                "Labels": [
                    "com.docker.compose.project": "shop", "com.docker.compose.service": "worker",
                    "com.docker.compose.container-number": "1", "com.docker.compose.oneoff": "False",
                    "com.docker.compose.config-hash": "abc", "com.docker.compose.image": "sha256:old",
                    "com.docker.compose.replace": "shop-worker-1-old", "org.opencontainers.image.version": "1",
                ],
                "Healthcheck": ["Test": ["CMD", "true"], "Interval": 1_000_000_000],
            ],
            "HostConfig": [
                "NetworkMode": "shop_calls",
                "Binds": ["shop_data:/data:rw"],
                "Links": ["/shop-db-1:/shop-worker-1/db"],
                "Memory": 268_435_456,
                "RestartPolicy": ["Name": "always", "MaximumRetryCount": 0],
                "ContainerIDFile": "/tmp/cid",
            ],
            "NetworkSettings": ["Networks": [
                "shop_calls": [
                    "Aliases": ["shop-worker-1", "worker", "agents", "0123456789ab"],
                    "IPAMConfig": ["IPv4Address": "10.9.0.5", "LinkLocalIPs": ["169.254.1.1"]],
                    "IPAddress": "10.9.0.5", "NetworkID": "n1", "EndpointID": "e1", "MacAddress": "02:42:0a:09:00:05",
                ],
                "shop_metrics": ["Aliases": ["worker"], "DriverOpts": ["mtu": "1400"], "IPAddress": "10.8.0.2"],
            ]],
        ]
        return Array(try JSONSerialization.data(withJSONObject: inspect))
    }

    private func image() throws -> [UInt8] {
        let inspect: [String: Any] = [
            "Id": "sha256:old",
            "Config": [
                "Env": ["PATH=/usr/bin", "APP_VERSION=1"],
                "Cmd": ["python", "-m", "worker"],
                "Entrypoint": NSNull(),
                "WorkingDir": "/app",
                "Volumes": ["/cache": [String: Any]()],
                "ExposedPorts": ["8081/tcp": [String: Any]()],
                "Labels": ["org.opencontainers.image.version": "1"],
            ],
        ]
        return Array(try JSONSerialization.data(withJSONObject: inspect))
    }

    private func decode(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test func theServiceIsCopiedAndTheImageAndOldContainerAreNot() throws {
        let blueprint = try ReplicaBlueprint.make(container: container(), sourceImage: image(),
                                                  image: ("shop/worker:2", "sha256:new"), number: 4, name: "shop-worker-4")
        #expect(blueprint.name == "shop-worker-4")
        #expect(blueprint.image == "shop/worker:2")
        let body = try decode(blueprint.createBody)
        #expect(body["Image"] as? String == "shop/worker:2")
        #expect(body["Env"] as? [String] == ["WORKER_ROLE=calls"], "the image's entries come from the new image")
        #expect(body["Cmd"] == nil && body["Entrypoint"] == nil && body["WorkingDir"] == nil, "the image's defaults")
        #expect(body["Hostname"] == nil && body["MacAddress"] == nil, "the old container's own")
        #expect((body["Volumes"] as? [String: Any]).map { Array($0.keys) } == ["/data"])
        #expect(body["ExposedPorts"] == nil)
        #expect(body["StopTimeout"] as? Int == 3600)
        #expect((body["Healthcheck"] as? [String: Any])?["Interval"] as? Int == 1_000_000_000)
        let labels = try #require(body["Labels"] as? [String: String])
        #expect(labels["com.docker.compose.container-number"] == "4")
        #expect(labels["com.docker.compose.oneoff"] == "False")
        #expect(labels["com.docker.compose.config-hash"] == "abc")
        #expect(labels["com.docker.compose.image"] == "sha256:new")
        #expect(labels["com.docker.compose.replace"] == nil && labels["org.opencontainers.image.version"] == nil)

        let host = try #require(body["HostConfig"] as? [String: Any])
        #expect(host["Binds"] as? [String] == ["shop_data:/data:rw"])
        #expect(host["Links"] as? [String] == ["shop-db-1:db"])
        #expect(host["Memory"] as? Int == 268_435_456)
        #expect(host["ContainerIDFile"] == nil)

        let endpoints = try #require((body["NetworkingConfig"] as? [String: Any])?["EndpointsConfig"] as? [String: Any])
        #expect(Array(endpoints.keys) == ["shop_calls"], "one network at creation (API 1.41)")
        let calls = try #require(endpoints["shop_calls"] as? [String: Any])
        #expect(calls["Aliases"] as? [String] == ["shop-worker-4", "worker", "agents"])
        #expect(calls["IPAMConfig"] as? [String: [String]] == ["LinkLocalIPs": ["169.254.1.1"]], "no static address")
        #expect(calls["IPAddress"] == nil && calls["MacAddress"] == nil && calls["EndpointID"] == nil)

        #expect(blueprint.connections.map(\.network) == ["shop_metrics"])
        let metrics = try #require(try decode(blueprint.connections[0].body)["EndpointConfig"] as? [String: Any])
        #expect(metrics["Aliases"] as? [String] == ["worker"])
        #expect(metrics["DriverOpts"] as? [String: String] == ["mtu": "1400"])
    }

    @Test func withTheSameImageAnEntrypointOfTheContainerKeepsItsCommand() throws {
        var inspect = try #require(try JSONSerialization.jsonObject(with: Data(try container())) as? [String: Any])
        var config = try #require(inspect["Config"] as? [String: Any])
        config["Entrypoint"] = ["/bin/tini", "--"]
        config["Hostname"] = "worker-host"
        inspect["Config"] = config
        var host = try #require(inspect["HostConfig"] as? [String: Any])
        host["NetworkMode"] = "none"
        inspect["HostConfig"] = host
        let blueprint = try ReplicaBlueprint.make(container: Array(try JSONSerialization.data(withJSONObject: inspect)),
                                                  sourceImage: image(), image: nil, number: 2, name: "shop-worker-2")
        let body = try decode(blueprint.createBody)
        #expect(body["Image"] as? String == "shop/worker:1")
        #expect(body["Entrypoint"] as? [String] == ["/bin/tini", "--"])
        #expect(body["Cmd"] as? [String] == ["python", "-m", "worker"], "Docker drops the image's command when the entrypoint is set")
        #expect(body["Hostname"] as? String == "worker-host", "a hostname the service chose is kept")
        #expect((body["Labels"] as? [String: String])?["com.docker.compose.image"] == "sha256:old", "same image, same label")
        #expect(body["NetworkingConfig"] == nil && blueprint.connections.isEmpty, "network_mode none: no networks")
    }

    @Test func namesFollowTheComposeVersionOfTheSource() {
        #expect(ComposeReplica.containerName(project: "voice", service: "worker", number: 3) == "voice_worker_3")
        #expect(ComposeReplica.containerName(project: "voice", service: "worker", number: 3, style: .v2) == "voice-worker-3")
        #expect(ComposeReplica.namingStyle(of: "voice-worker-1", project: "voice", service: "worker", number: 1) == .v2)
        #expect(ComposeReplica.namingStyle(of: "voice_worker_1", project: "voice", service: "worker", number: 1) == .v1)
        #expect(ComposeReplica.namingStyle(of: "custom", project: "voice", service: "worker", number: 1) == .v1)
        #expect(ReplicaBlueprint.createLink("/db_1:/worker_1/db") == "db_1:db")
        #expect(ReplicaBlueprint.createLink("db_1:db") == "db_1:db")

        let summary = DockerContainerSummary(id: "c", names: ["voice_worker_2"], image: "i", state: "running", status: "Up",
                                             labels: ["com.docker.compose.project": "voice", "com.docker.compose.service": "worker",
                                                      "com.docker.compose.container-number": "2",
                                                      "com.docker.compose.oneoff": "False"], created: 0)
        #expect(ComposeReplica(summary)?.number == 2)
        var oneOff = summary
        oneOff.labels["com.docker.compose.oneoff"] = "True"
        #expect(ComposeReplica(oneOff) == nil, "docker-compose run containers are no replicas")
    }
}
