import Foundation
import Testing

/// Which Docker socket `supervise run` watches: `docker.socket` whenever the file names one, even the default path;
/// otherwise `DOCKER_HOST`'s unix socket. Any other `DOCKER_HOST` refuses the start (or the reload) that would read
/// it, instead of being passed over for the default socket. No Docker engine is needed: the daemon logs the socket it
/// watches whether or not anything answers there.
@Suite(.serialized)
struct DockerSocketChoiceTests {
    static let containers = "containers:\n  worker:\n    compose: worker\n"

    static func environment(dockerHost: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_HOST"] = dockerHost
        return environment
    }

    static func watches(_ daemon: DaemonHarness, _ socket: String) -> Bool {
        daemon.process?.waitForOutput(timeout: 10) { $0.contains("watching Docker at \(socket)") } == true
    }

    @Test("docker.socket wins over DOCKER_HOST, also when it names the default path; without it, DOCKER_HOST's socket")
    func explicitSocketWins() throws {
        let elsewhere = "/tmp/supervise-test-\(UUID().uuidString.prefix(8))/docker.sock"
        let environment = Self.environment(dockerHost: "unix://\(elsewhere)")

        let named = try DaemonHarness(config: "docker: {socket: /var/run/docker.sock}\n" + Self.containers, environment: environment)
        defer { named.stop() }
        #expect(Self.watches(named, "/var/run/docker.sock"), "\(named.output.suffix(1000))")
        named.stop()

        let unnamed = try DaemonHarness(config: Self.containers, environment: environment)
        defer { unnamed.stop() }
        #expect(Self.watches(unnamed, elsewhere), "\(unnamed.output.suffix(1000))")
    }

    @Test("an unsupported DOCKER_HOST: supervise run exits 78 naming it, unless docker.socket is set; a reload that would read it is refused")
    func unsupportedDockerHostIsRefused() throws {
        let tcp = Self.environment(dockerHost: "tcp://127.0.0.1:2375")
        let refusal = "DOCKER_HOST=tcp://127.0.0.1:2375 is not supported: supervise talks to Docker only over a unix socket "
            + "(unix:///path/docker.sock); or name the socket with docker.socket in the configuration, which wins over DOCKER_HOST"

        let refused = try DaemonHarness(config: Self.containers, start: false)
        defer { refused.stop() }
        try refused.launch(environment: tcp)
        let process = try #require(refused.process)
        #expect(process.waitForExit(timeout: 20) == 78, "\(process.output)")
        #expect(process.output.contains("supervise: cannot use Docker: \(refusal)"), "\(process.output)")
        #expect(!FileManager.default.fileExists(atPath: refused.socketPath), "it never listened")

        // docker.socket named: DOCKER_HOST is not read.
        let named = try DaemonHarness(config: "docker: {socket: /var/run/docker.sock}\n" + Self.containers, environment: tcp)
        defer { named.stop() }
        #expect(Self.watches(named, "/var/run/docker.sock"), "\(named.output.suffix(1000))")
        named.stop()

        // No container entries: DOCKER_HOST is not read either, until a reload adds some, which is refused.
        let daemon = try DaemonHarness(config: "units: {}\n", environment: tcp)
        defer { daemon.stop() }
        let log = try EventSocket(daemon.socketPath, query: "?since=1h")
        defer { log.close() }
        log.startReading()
        try daemon.writeConfig(Self.containers)
        daemon.process?.signal(SIGHUP)
        #expect(eventually(timeout: 10) { log.events.contains { $0.event == "reload-failed" } }, "\(daemon.output.suffix(1000))")
        let failed = try #require(log.events.first { $0.event == "reload-failed" })
        #expect(failed.message.contains(refusal), "\(failed.message)")
        #expect(!daemon.output.contains("watching Docker"))
    }
}
