import Foundation
import SuperviseCore
import Testing

/// A process that is stopped (SIGSTOP) when the daemon stops it: the stop signal is followed by
/// SIGCONT, so it acts on the signal at once instead of sitting out its stop_timeout until SIGKILL.
@Suite(.serialized) struct StoppedProcessTests {
    @Test func aStoppedProcessEndsOnTheStopSignalNotOnSIGKILL() throws {
        let daemon = try DaemonHarness(config: """
            units:
              frozen:
                command: [sleep, "1000"]
                stop_timeout: 10s
            """)
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("frozen"))
        defer { if processAlive(pid) { kill(pid, SIGKILL) } }
        kill(pid, SIGSTOP)
        #expect(eventually(timeout: 5) { processState(pid) == "T" }, "the unit's process never stopped")

        let start = Date()
        #expect(try daemon.command("stop", "frozen").status == 200)
        let stopped = eventually(timeout: 15) { (try? daemon.unit("frozen"))?.state == "inactive" }
        let elapsed = Date().timeIntervalSince(start)
        #expect(stopped)
        #expect(elapsed < 3, "took \(elapsed)s: the stop_timeout is 10s")
        #expect(try daemon.unit("frozen")?.lastExit == "SIGTERM")
        #expect(!processAlive(pid))
    }

    /// A process a killed daemon left behind, of a unit no longer configured, is stopped by the next
    /// daemon before it starts: with SIGTERM and SIGCONT, so a stopped one does not hold the start up.
    @Test func aStoppedLeftoverOfARemovedUnitEndsOnSIGTERM() throws {
        let marker = "frozen-leftover-\(UUID().uuidString.prefix(8))"
        let daemon = try DaemonHarness(config: """
            units:
              gone:
                command: [bash, -c, "exec -a \(marker) sleep 1000"]
            """)
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("gone"))
        defer { if processAlive(pid) { kill(pid, SIGKILL) } }
        let stateFile = URL(fileURLWithPath: daemon.stateDirectory + "/state.json")
        #expect(eventually(timeout: 5) {
            (try? JSONDecoder().decode(PersistedState.self, from: Data(contentsOf: stateFile)))?.units["gone"]?.pid == pid
        })
        let first = try #require(daemon.process)
        first.signal(SIGKILL)
        #expect(first.waitForExit(timeout: 5) != nil)
        kill(pid, SIGSTOP)
        #expect(eventually(timeout: 5) { processState(pid) == "T" })

        // The unit is gone from the file; the remaining one allows 10 s to stop.
        try daemon.writeConfig("""
            units:
              other:
                command: [sleep, "1000"]
                stop_timeout: 10s
            """)
        let start = Date()
        try daemon.start()
        #expect(eventually(timeout: 15) { !processAlive(pid) })
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 5, "the leftover took \(elapsed)s to stop")
        #expect(daemon.output.contains("gone: stopping process group \(pid) left by the previous daemon (SIGTERM)"), "\(daemon.output)")
        #expect(!daemon.output.contains("did not stop within"), "\(daemon.output)")
    }
}

/// The state letter of `pid` in `/proc/PID/stat` (`S`, `R`, `T` stopped, `Z`), nil when it is gone.
func processState(_ pid: Int32) -> Character? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    return stat[stat.index(close, offsetBy: 2)]
}
