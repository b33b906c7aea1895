import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// Reloads that race a stop: one entry and one process per unit name, and the unit stays controllable.
@Suite(.serialized) struct ReloadRaceTests {
    /// Deaf to SIGTERM, as in the reproduction; MARKER ends up in its command line.
    static let slowUnit = """
          slow:
            command: [bash, -c, 'trap "" TERM; while true; do sleep 1; done', MARKER]
            stop_timeout: 6s
        """

    @Test func aUnitRemovedAndAddedBackWhileStoppingHasOneEntryAndOneProcess() throws {
        let marker = "slow-\(UUID().uuidString.prefix(8))"
        let slow = Self.slowUnit.replacingOccurrences(of: "MARKER", with: marker)
        let withSlow = "units:\n\(slow)\n  other: {command: [sleep, \"1000\"]}\n"
        let without = "units:\n  other: {command: [sleep, \"1000\"]}\n"
        let daemon = try DaemonHarness(config: withSlow)
        defer { daemon.stop() }
        let old = try #require(daemon.waitForRunning("slow"))
        #expect(eventually(timeout: 5) { pids(matching: marker).count == 1 })

        try daemon.writeConfig(without)
        daemon.process?.signal(SIGHUP)
        #expect(eventually(timeout: 5) { (try? daemon.unit("slow"))?.state == "stopping" })
        try daemon.writeConfig(withSlow)
        daemon.process?.signal(SIGHUP)
        #expect(eventually(timeout: 5) { daemon.output.contains("configuration reloaded: 1 added") })

        // One entry, still the old process, and no second one while it lives.
        let entries = try daemon.units().filter { $0.name == "slow" }
        #expect(entries.count == 1)
        #expect(entries.first?.pid == old)
        #expect(pids(matching: marker).count == 1)
        // It ignores SIGTERM: SIGKILL after 6 s, then the new instance starts.
        let new = try #require(daemon.waitForRunning("slow", notPid: old, timeout: 15))
        #expect(!processAlive(old))
        #expect(eventually(timeout: 5) { pids(matching: marker) == [new] || pids(matching: marker).count == 1 })
        #expect(try daemon.units().filter { $0.name == "slow" }.count == 1)
        #expect(daemon.output.contains("slow: did not stop within 6"))

        // Controllable: stop ends it (SIGKILL after its stop timeout), and the daemon's own
        // SIGTERM then finishes.
        let stop = try daemon.cli(["stop", "slow"])
        #expect(stop.code == 0, "\(stop.output)")
        #expect(eventually(timeout: 12) { (try? daemon.unit("slow"))?.state == "inactive" && !processAlive(new) })
        daemon.process?.signal(SIGTERM)
        #expect(daemon.process?.waitForExit(timeout: 15) == 0)
        #expect(pids(matching: marker).isEmpty)
    }

    @Test func aDrainingWorkerRemovedAndAddedBackIsNotSpawnedTwice() throws {
        let port = freeLoopbackPort()
        let worker = """
            units:
              worker-1:
                command: [\(Binaries.agentSim), --port, "\(port)"]
                drain: {progress: {url: "http://127.0.0.1:\(port)/worker"}, timeout: 60s}
            """
        let daemon = try DaemonHarness(config: worker)
        defer { daemon.stop() }
        let old = try #require(daemon.waitForRunning("worker-1"))
        #expect(eventually(timeout: 10) { httpRequest("GET", port: port, path: "/")?.status == 200 })
        // A call holds the worker in its drain.
        #expect(httpRequest("POST", port: port, path: "/calls?duration=3")?.status == 201)
        try daemon.writeConfig("units: {}\n")
        daemon.process?.signal(SIGHUP)
        #expect(eventually(timeout: 5) { (try? daemon.unit("worker-1"))?.state == "draining" })
        try daemon.writeConfig(worker)
        daemon.process?.signal(SIGHUP)
        #expect(eventually(timeout: 5) { daemon.output.contains("added back by reload while draining") })
        #expect(try daemon.units().filter { $0.name == "worker-1" }.count == 1)
        #expect(try daemon.unit("worker-1")?.pid == old)
        // Once its call has ended it exits, and one fresh instance takes the port.
        let new = try #require(daemon.waitForRunning("worker-1", notPid: old, timeout: 20))
        #expect(eventually(timeout: 10) { httpRequest("GET", port: port, path: "/")?.status == 200 })
        #expect(!daemon.output.contains("Address already in use"))
        #expect(try daemon.unit("worker-1")?.pid == new)
        #expect(try daemon.unit("worker-1")?.lastDrain?.callsCut == 0)
    }
}
