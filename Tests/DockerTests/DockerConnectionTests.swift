import Foundation
import Testing
@testable import SuperviseDocker

/// Connecting to sockets where no daemon (or a daemon that goes away) answers.
@Suite(.serialized)
struct DockerConnectionTests {
    @Test func missingSocketIsNotReachable() async throws {
        let path = "/tmp/sv-dk-missing-\(UInt32.random(in: 0...UInt32.max))/docker.sock"
        let client = DockerClient(socketPath: path)
        await #expect {
            try await client.ping()
        } throws: { error in
            guard case DockerError.daemonNotReachable(path, let reason) = error else { return false }
            return reason.contains("no such socket")
                && (error as? DockerError)?.description.hasPrefix("Docker daemon not reachable at \(path): ") == true
        }
        // Every call negotiates first, so it fails the same way; event streams too.
        await #expect(throws: DockerError.self) { try await client.inspect("abc") }
        await #expect(throws: DockerError.self) { _ = try await client.events() }
    }

    @Test func socketNobodyListensOnIsConnectionRefused() async throws {
        let directory = try Shell.makeTemporaryDirectory(prefix: "/tmp/sv-dk-")
        defer { _ = try? Shell.run("/bin/rm", ["-rf", directory]) }
        let path = directory + "/docker.sock"
        // Bound but never listening: connect(2) gets ECONNREFUSED.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)

        let client = DockerClient(socketPath: path)
        await #expect(throws: DockerError.daemonNotReachable(socket: path, reason: "connection refused (is dockerd running?)")) {
            try await client.ping()
        }
    }

    /// Stopping the daemon while an event stream is open ends the stream with an error, so the
    /// caller knows to reconnect. Its own daemon, since it stops it.
    @Test func stoppingTheDaemonEndsTheEventStream() async throws {
        let daemon = try TestDockerDaemon.start()
        defer { daemon.stop() }
        let client = DockerClient(socketPath: daemon.socket)
        let recorder = EventRecorder(try await client.events(filters: DockerFilters().type("container")))
        defer { recorder.cancel() }
        let id = try daemon.runContainer()
        #expect(await recorder.first(timeout: 10) { $0.action == .start && $0.containerID == id } != nil)
        daemon.remove(id)

        daemon.stop()

        let end = await recorder.end(timeout: 30)
        #expect(end.ended)
        let error = try #require(end.error as? DockerError)
        guard case .eventStreamEnded = error else {
            Issue.record("expected eventStreamEnded, got \(error)")
            return
        }
        // Afterwards the daemon is simply not reachable.
        await #expect {
            try await client.ping()
        } throws: { error in
            if case DockerError.daemonNotReachable = error { return true }
            return false
        }
    }
}
