import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// A unit whose shell starts 40 children in the background and 10 more with `setsid` (a session and
/// process group of their own, out of reach of a signal to the unit's group). Each child is
/// `sleep 1000.NNNN` with a marker in its environment, so the test counts them in `/proc` wherever
/// they were reparented, and kills any survivor by pid at the end.
struct BackgroundChildren {
    static let count = 50
    let unit: String
    let marker: String
    /// `NAME=value`, as in `/proc/PID/environ`.
    var entry: String { "SUPERVISE_TEST_MARK=\(marker)" }
    let sleepArgument: String

    init(unit: String = "spawner") {
        self.unit = unit
        marker = "bg-\(UUID().uuidString.prefix(12))"
        sleepArgument = "1000.\(Int.random(in: 1000...9999))"
    }

    /// The shell script: start the 50, then `ending` (`wait`, or `exit 0`). `ignoreTERM` starts them
    /// with SIGTERM ignored (inherited through exec), so only SIGKILL ends them.
    func script(ending: String, ignoreTERM: Bool = false) -> String {
        (ignoreTERM ? "trap '' TERM; " : "")
            + "for i in $(seq 40); do sleep \(sleepArgument) & done; "
            + "for i in $(seq 10); do setsid sleep \(sleepArgument) & done; "
            + "echo started 50; \(ending)"
    }

    func unitEntry(ending: String, ignoreTERM: Bool = false, extra: String = "") -> String {
        """
          \(unit):
            command: \(yamlList(["bash", "-c", script(ending: ending, ignoreTERM: ignoreTERM)]))
            env: {SUPERVISE_TEST_MARK: \(yamlQuoted(marker))}
            stop_timeout: 2s
        \(extra)
        """
    }

    /// The live `sleep` children, found by their marker.
    func alive() -> [Int32] {
        ProcFS.livePids(withEnvironment: entry).filter { ProcFS.stat($0)?.comm == "sleep" && ProcFS.commandLine($0).contains(sleepArgument) }
    }

    /// How many are in a session of their own.
    static func inOwnSession(_ pids: [Int32]) -> Int { pids.filter { ProcFS.stat($0).map { $0.sid == $0.pid } ?? false }.count }

    static func summary(_ pids: [Int32]) -> String {
        "\(pids.count) alive (\(inOwnSession(pids)) of them started with setsid): \(ProcFS.describe(Array(pids.prefix(6))))\(pids.count > 6 ? "\n  …" : "")"
    }
}

extension RealDaemonTests {
    @Suite struct ProcessTrees {
        /// (a) `supervise stop` of a unit whose shell still waits: none of the 50 survives, also not
        /// the 10 in sessions of their own; the unit is `inactive` only once they are gone.
        @Test(arguments: ContainmentMode.allCases)
        func stopEndsEveryBackgroundChild(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let tree = BackgroundChildren()
            run.tracker.noteMarker(tree.entry)
            let daemon = try run.startDaemon(config: "units:\n" + tree.unitEntry(ending: "wait"))
            let main = try #require(daemon.waitForRunning(tree.unit), "\(report(run, tree.unit))")
            try #require(eventually(timeout: 10) { tree.alive().count == BackgroundChildren.count },
                         "the shell did not start its 50 children: \(BackgroundChildren.summary(tree.alive()))")
            let children = tree.alive()
            run.expectInUnitCgroup(tree.unit, [main] + children)

            let started = Date()
            #expect(try daemon.command("stop", tree.unit).status == 200)
            var aliveWhenDown: [Int32]?
            let watch = run.watch(tree.unit, timeout: 10) { u in
                guard u?.state == "inactive" else { return false }
                aliveWhenDown = tree.alive()
                return true
            }
            print("process tree (\(mode.testDescription)): stop took \(seconds(Date().timeIntervalSince(started)))")
            #expect(watch.met, "the unit did not stop within 10 s\n\(report(run, tree.unit, watch))")
            #expect(aliveWhenDown?.isEmpty ?? true, "status said inactive while children lived: \(BackgroundChildren.summary(aliveWhenDown ?? []))")
            #expect(eventually(timeout: 3) { tree.alive().isEmpty }, "after supervise stop: \(BackgroundChildren.summary(tree.alive()))")
            #expect(!processAlive(main))
        }

        /// (b) The shell starts the 50 (ignoring SIGTERM) and exits 0 at once. The unit is not down
        /// while they live: `stopping` with the processes left, then SIGKILL after `stop_timeout`,
        /// and only then `exited`.
        @Test(arguments: ContainmentMode.allCases)
        func aUnitIsDownOnlyWhenItsLastProcessIs(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let tree = BackgroundChildren()
            run.tracker.noteMarker(tree.entry)
            let daemon = try run.startDaemon(config: "units:\n"
                + tree.unitEntry(ending: "exit 0", ignoreTERM: true, extra: "    restart: \"no\""))
            var aliveWhenDown: [Int32]?
            let started = Date()
            let watch = run.watch(tree.unit, timeout: 12) { u in
                guard let u, ["exited", "inactive", "failed"].contains(u.state) else { return false }
                aliveWhenDown = tree.alive()
                return true
            }
            print("process tree (\(mode.testDescription)): the unit was down \(seconds(Date().timeIntervalSince(started))) after its start; states: \(watch.states.joined(separator: " → "))")
            #expect(eventually(timeout: 3) { daemon.output.contains("\(tree.unit)[") && daemon.output.contains("]: started 50") },
                    "the shell did not start its 50 children\n\(report(run, tree.unit, watch))")
            #expect(watch.met, "the unit never went down within 12 s\n\(report(run, tree.unit, watch))")
            #expect(aliveWhenDown?.isEmpty ?? true, """
                the unit was reported down (\(watch.states.last ?? "?")) while its children lived: \
                \(BackgroundChildren.summary(aliveWhenDown ?? []))
                """)
            #expect(watch.states.contains { $0.hasPrefix("stopping") && $0.contains("left") },
                    "status never showed the main process gone and processes left: \(watch.states)")
            #expect(eventually(timeout: 5) { tree.alive().isEmpty }, "after the main process exited: \(BackgroundChildren.summary(tree.alive()))")
            #expect(try daemon.unit(tree.unit)?.restarts == 0, "\(report(run, tree.unit, watch))")
        }

        /// (c) The daemon's own shutdown (SIGTERM) leaves none of the 50 alive.
        @Test(arguments: ContainmentMode.allCases)
        func daemonShutdownEndsEveryBackgroundChild(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let tree = BackgroundChildren()
            run.tracker.noteMarker(tree.entry)
            let daemon = try run.startDaemon(config: "units:\n" + tree.unitEntry(ending: "wait"))
            let main = try #require(daemon.waitForRunning(tree.unit), "\(report(run, tree.unit))")
            try #require(eventually(timeout: 10) { tree.alive().count == BackgroundChildren.count },
                         "the shell did not start its 50 children: \(BackgroundChildren.summary(tree.alive()))")
            run.expectInUnitCgroup(tree.unit, [main] + tree.alive())

            let process = try #require(daemon.process)
            let started = Date()
            process.signal(SIGTERM)
            let code = process.waitForExit(timeout: 20)
            print("process tree (\(mode.testDescription)): the daemon's shutdown took \(seconds(Date().timeIntervalSince(started)))")
            #expect(code == 0, "daemon exit: \(code.map(String.init) ?? "still running")\n\(process.output.split(separator: "\n").suffix(10).joined(separator: "\n"))")
            let survivors = tree.alive()
            #expect(survivors.isEmpty, "after the daemon exited: \(BackgroundChildren.summary(survivors))")
            #expect(!processAlive(main))
            // Killed here, so the run's cleanup does not report them a second time.
            for pid in survivors { ProcessRecord(pid)?.kill() }
            _ = eventually(timeout: 3) { tree.alive().isEmpty }
        }
    }
}
