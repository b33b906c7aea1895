import Foundation
import Testing

extension RealDaemonTests {
    @Suite struct Priority {
        /// The daemon spawns from a Dispatch queue (`.userInitiated`) whose thread runs at nice −2 here,
        /// while the daemon runs at 0; a unit must not inherit the thread's: it runs at nice 0, also when
        /// it is started again later.
        @Test(arguments: ContainmentMode.allCases)
        func unitsRunAtNiceZero(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let daemon = try run.startDaemon(config: """
                units:
                  plain:
                    command: [sleep, "1000"]
                """)
            let first = try #require(daemon.waitForRunning("plain"), "\(report(run, "plain"))")
            run.tracker.note(first)
            let daemonNice = ProcFS.nice(daemon.pid).map(String.init) ?? "?"
            print("priority (\(mode.testDescription)): daemon at nice \(daemonNice), the unit at \(ProcFS.nice(first).map(String.init) ?? "?")")
            #expect(ProcFS.nice(first) == 0, "the unit runs at nice \(ProcFS.nice(first).map(String.init) ?? "?") (daemon: \(daemonNice))")
            run.expectInUnitCgroup("plain", [first])

            #expect(try daemon.command("restart", "plain").status == 200)
            let second = try #require(daemon.waitForRunning("plain", notPid: first), "\(report(run, "plain"))")
            run.tracker.note(second)
            #expect(ProcFS.nice(second) == 0, "after a restart the unit runs at nice \(ProcFS.nice(second).map(String.init) ?? "?")")
        }

        /// `nice: 5` runs the unit at nice 5; a unit without the key beside it stays at 0.
        @Test(arguments: ContainmentMode.allCases)
        func theNiceKeySetsAUnitsNiceLevel(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let daemon = try run.startDaemon(config: """
                units:
                  polite:
                    command: [sleep, "1000"]
                    nice: 5
                  plain:
                    command: [sleep, "1000"]
                """)
            let polite = try #require(daemon.waitForRunning("polite"), "\(report(run, "polite"))\n\(daemon.output.suffix(600))")
            let plain = try #require(daemon.waitForRunning("plain"), "\(report(run, "plain"))")
            run.tracker.note([polite, plain])
            #expect(ProcFS.nice(polite) == 5, "nice: 5 runs at \(ProcFS.nice(polite).map(String.init) ?? "?")")
            #expect(ProcFS.nice(plain) == 0, "no nice key runs at \(ProcFS.nice(plain).map(String.init) ?? "?")")
            run.expectInUnitCgroup("polite", [polite])
            run.expectInUnitCgroup("plain", [plain])
        }
    }
}
