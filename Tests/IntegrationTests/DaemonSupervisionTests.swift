import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// The daemon against real processes and real signals.
@Suite(.serialized) struct DaemonSupervisionTests {
    @Test func crashedProcessIsRestartedWithANewPid() throws {
        let daemon = try DaemonHarness(config: """
            units:
              sleeper:
                command: [sleep, "1000"]
                restart: always
            """)
        defer { daemon.stop() }
        let first = try #require(daemon.waitForRunning("sleeper"))
        kill(first, SIGKILL)
        let second = try #require(daemon.waitForRunning("sleeper", notPid: first))
        #expect(second != first)
        let status = try #require(try daemon.unit("sleeper"))
        #expect(status.restarts == 1)
        #expect(status.lastExit == "SIGKILL")
        #expect(daemon.output.contains("sleeper: exited: killed by SIGKILL"))
        #expect(!processAlive(first))
    }

    @Test func backoffAndStartLimitHoldInWallTime() throws {
        // initial 200 ms doubling: restarts at ~0, 200, 400, 800 ms after each exit; burst 4 in 30 s.
        let daemon = try DaemonHarness(config: """
            units:
              crasher:
                command: [sh, -c, "echo started $$; exit 7"]
                restart:
                  policy: on-failure
                  backoff: {initial: 200ms, max: 10s, multiplier: 2, jitter: 0, reset_after: 30s}
                  start_limit: {burst: 4, interval: 30s}
            """)
        defer { daemon.stop() }
        let failed = eventually(timeout: 15) { (try? daemon.unit("crasher"))?.state == "failed" }
        #expect(failed)
        let status = try #require(try daemon.unit("crasher"))
        #expect(status.restarts == 3)
        #expect(status.reason?.hasPrefix("start limit hit: 4 starts within 30s (burst 4); last: exit code 7") == true)
        // Read the start times the daemon logged and check the gaps.
        let times = startTimes(in: daemon.output, unit: "crasher")
        #expect(times.count == 4)
        if times.count == 4 {
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
            #expect(gaps[0] < 0.15, "first restart is immediate: \(gaps)")
            #expect(gaps[1] > 0.19 && gaps[1] < 0.40, "second waits 200 ms: \(gaps)")
            #expect(gaps[2] > 0.39 && gaps[2] < 0.65, "third waits 400 ms: \(gaps)")
        }
        // It stays down.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try daemon.unit("crasher")?.state == "failed")
        #expect(startTimes(in: daemon.output, unit: "crasher").count == 4)
        // Until an operator restarts it.
        let answer = try daemon.command("restart", "crasher")
        #expect(answer.status == 200)
        #expect(eventually(timeout: 5) { startTimes(in: daemon.output, unit: "crasher").count >= 5 })
    }

    @Test func stopLeavesNoGrandchildBehind() throws {
        let marker = "grandchild-\(UUID().uuidString.prefix(8))"
        let daemon = try DaemonHarness(config: """
            units:
              forker:
                command: [sh, -c, "bash -c 'exec -a \(marker) sleep 1000' & sleep 1000 & wait"]
                stop_timeout: 2s
            """)
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("forker"))
        #expect(eventually(timeout: 5) { !pids(matching: marker).isEmpty })
        let grandchildren = pids(matching: marker)
        let result = try daemon.command("stop", "forker")
        #expect(result.status == 200)
        #expect(eventually(timeout: 5) { (try? daemon.unit("forker"))?.state == "inactive" })
        #expect(eventually(timeout: 3) { grandchildren.allSatisfy { !processAlive($0) } })
        #expect(!processAlive(pid))
        // Nothing left as a zombie under the daemon either.
        #expect(eventually(timeout: 3) { children(of: daemon.pid).allSatisfy { $0.state != "Z" } })
    }

    @Test func sigkillAfterStopTimeoutForAProcessThatIgnoresTheStopSignal() throws {
        let daemon = try DaemonHarness(config: """
            units:
              stubborn:
                command: [sh, -c, "trap '' TERM; echo ready; while true; do sleep 0.1; done"]
                stop_timeout: 700ms
            """)
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("stubborn"))
        _ = try daemon.command("stop", "stubborn")
        let start = Date()
        #expect(eventually(timeout: 5) { (try? daemon.unit("stubborn"))?.state == "inactive" })
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed > 0.6 && elapsed < 3, "took \(elapsed)s")
        #expect(try daemon.unit("stubborn")?.lastExit == "SIGKILL")
        #expect(!processAlive(pid))
    }

    @Test func sigtermStopsEverythingInReverseDependencyOrderAndExitsZero() throws {
        let daemon = try DaemonHarness(config: """
            units:
              worker:
                command: [sleep, "1000"]
                depends_on: [api]
              api:
                command: [sleep, "1000"]
                depends_on: [db]
              db:
                command: [sleep, "1000"]
            """)
        defer { daemon.stop() }
        let pids = try ["db", "api", "worker"].map { try #require(daemon.waitForRunning($0)) }
        let process = try #require(daemon.process)
        process.signal(SIGTERM)
        let code = process.waitForExit(timeout: 20)
        #expect(code == 0)
        for pid in pids { #expect(!processAlive(pid)) }
        let out = daemon.output
        let order = ["worker", "api", "db"].compactMap { out.range(of: "\($0): stopping (shutdown)")?.lowerBound }
        #expect(order.count == 3 && order == order.sorted(), "stop order wrong:\n\(out)")
        let starts = ["db", "api", "worker"].compactMap { out.range(of: "\($0): started")?.lowerBound }
        #expect(starts.count == 3 && starts == starts.sorted(), "start order wrong:\n\(out)")
    }

    @Test func reloadAppliesExactlyTheDiff() throws {
        let daemon = try DaemonHarness(config: """
            units:
              keep: {command: [sleep, "1000"]}
              change: {command: [sleep, "1000"]}
              remove: {command: [sleep, "1000"]}
            """)
        defer { daemon.stop() }
        let keep = try #require(daemon.waitForRunning("keep"))
        let change = try #require(daemon.waitForRunning("change"))
        let remove = try #require(daemon.waitForRunning("remove"))
        try daemon.writeConfig("""
            units:
              keep: {command: [sleep, "1000"]}
              change: {command: [sleep, "2000"]}
              add: {command: [sleep, "1000"]}
            """)
        daemon.process?.signal(SIGHUP)
        let added = daemon.waitForRunning("add")
        #expect(added != nil)
        let changed = daemon.waitForRunning("change", notPid: change)
        #expect(changed != nil)
        #expect(eventually(timeout: 5) { (try? daemon.unit("remove")) == nil && !processAlive(remove) })
        #expect(try daemon.unit("keep")?.pid == keep)
        #expect(try daemon.units().map(\.name) == ["keep", "change", "add"])
        #expect(try daemon.unit("change")?.command == ["sleep", "2000"])
        #expect(daemon.output.contains("configuration reloaded: 1 added, 1 removed, 1 changed, 1 unchanged"))

        // A bad config is refused and the running one stays.
        try daemon.writeConfig("units:\n  keep: {command: [sleep, \"1000\"], stop_timeout: soon}\n")
        daemon.process?.signal(SIGHUP)
        #expect(eventually(timeout: 5) { daemon.output.contains("reload refused") })
        #expect(daemon.output.contains("units.keep.stop_timeout"))
        #expect(try daemon.units().map(\.name) == ["keep", "change", "add"])
        #expect(try daemon.unit("keep")?.pid == keep)
    }

    @Test func childrenGetACleanEnvironmentAndTheirOutputIsLogged() throws {
        let daemon = try DaemonHarness(config: """
            units:
              printer:
                command: [sh, -c, "env | sort; echo to-stderr >&2; sleep 1000"]
                env: {GREETING: hello}
            """, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                               "NOTIFY_SOCKET": "/nonexistent/notify", "WATCHDOG_USEC": "0", "LISTEN_FDS": "3",
                               "SECRET_FROM_DAEMON": "x"])
        defer { daemon.stop() }
        let pid = try #require(daemon.waitForRunning("printer"))
        #expect(eventually(timeout: 5) { daemon.output.contains("printer[\(pid)]: to-stderr") })
        let out = daemon.output
        #expect(out.contains("printer[\(pid)]: GREETING=hello"))
        #expect(out.contains("printer[\(pid)]: SUPERVISE_UNIT=printer"))
        #expect(out.contains("printer[\(pid)]: SUPERVISE_INSTANCE=\(daemon.stateDirectory)"))
        for leaked in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "LISTEN_FDS", "SECRET_FROM_DAEMON"] {
            #expect(!out.contains("printer[\(pid)]: \(leaked)="), "\(leaked) leaked into the child")
        }
    }

    @Test func unknownCommandSpawnFailureGivesUpWithTheReason() throws {
        let daemon = try DaemonHarness(config: """
            units:
              missing:
                command: [no-such-binary-here]
                restart: {policy: always, start_limit: {burst: 2, interval: 10s}}
            """)
        defer { daemon.stop() }
        #expect(eventually(timeout: 10) { (try? daemon.unit("missing"))?.state == "failed" })
        let reason = try daemon.unit("missing")?.reason ?? ""
        #expect(reason.contains("command not found: \"no-such-binary-here\""), "reason: \(reason)")
    }
}

/// Wall-clock times (seconds) of the `started` lines for `unit` in a plain log.
func startTimes(in log: String, unit: String) -> [Double] {
    log.split(separator: "\n").compactMap { line -> Double? in
        guard line.contains(" \(unit): started, pid") else { return nil }
        // 2026-11-29T00:14:58.662Z
        let stamp = line.prefix(24)
        let timePart = stamp.dropFirst(11).dropLast()  // 00:14:58.662
        let fields = timePart.split(separator: ":")
        guard fields.count == 3, let h = Double(fields[0]), let m = Double(fields[1]), let s = Double(fields[2]) else { return nil }
        return h * 3600 + m * 60 + s
    }
}

/// Pids whose command line contains `marker`.
func pids(matching marker: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry in
        guard let pid = Int32(entry),
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let cmd = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return cmd.contains(marker) && processAlive(pid) ? pid : nil
    }
}

/// A daemon killed with SIGKILL leaves its processes running; the next one must not run them twice.
@Suite(.serialized) struct DaemonRestartTests {
    @Test func aRestartedDaemonAdoptsWhatItsKilledPredecessorLeftAndKeepsGiveUps() throws {
        let marker = "leftover-\(UUID().uuidString.prefix(8))"
        let config = """
            units:
              worker:
                command: [bash, -c, "exec -a \(marker) sleep 1000"]
              broken:
                command: [sh, -c, "exit 1"]
                restart: {policy: always, start_limit: {burst: 2, interval: 30s}}
            """
        let first = try DaemonHarness(config: config)
        defer { first.stop() }
        let oldPid = try #require(first.waitForRunning("worker"))
        #expect(eventually(timeout: 10) { (try? first.unit("broken"))?.state == "failed" })
        // Once the give-up and the worker's pid are on disk, kill the daemon outright.
        first.waitForSavedState { $0.units["broken"]?.failedReason != nil && $0.units["worker"]?.pid == oldPid }
        let uptimeBefore = try #require(try first.unit("worker")?.uptimeSeconds)
        first.process?.signal(SIGKILL)
        _ = first.process?.waitForExit(timeout: 5)
        #expect(processAlive(oldPid), "the unit survives its daemon's SIGKILL")

        try first.start()
        let newPid = try #require(first.waitForRunning("worker"))
        #expect(newPid == oldPid, "adopted, not started again")
        // Its uptime counts from its own start, not from the adoption.
        #expect((try first.unit("worker")?.uptimeSeconds ?? 0) >= uptimeBefore)
        #expect(processAlive(oldPid))
        #expect(pids(matching: marker).count == 1)
        // Written before the daemon answered, but read from its pipe on a queue that busy test suites can hold up.
        #expect(eventually(timeout: 5) { first.output.contains("worker: still running from before the daemon restart (pid \(oldPid)): adopted") },
                "\(first.output)")
        // The adopted process is watched: when it dies, the policy restarts the unit.
        kill(oldPid, SIGKILL)
        #expect(eventually(timeout: 10) { (try? first.unit("worker"))?.pid.map { $0 != oldPid } ?? false })
        #expect(pids(matching: marker).count == 1)
        // The give-up survived the restart: not retried.
        let broken = try #require(try first.unit("broken"))
        #expect(broken.state == "failed")
        #expect(broken.reason?.hasPrefix("start limit hit") == true)
    }

    /// A unit waiting out its restart backoff when the daemon is killed is restarted by the next
    /// daemon when that backoff ends: not at once (a crash loop must not speed up with daemon
    /// restarts), and not never.
    @Test func theNextDaemonWaitsOutABackoffInProgress() throws {
        let config = """
            units:
              flaky:
                command: [sh, -c, "sleep 0.3; exit 3"]
                restart: {policy: always, backoff: {initial: 6s, max: 6s, jitter: 0}}
            """
        let daemon = try DaemonHarness(config: config)
        defer { daemon.stop() }
        // First exit: restarted at once; second exit: a 6 s backoff.
        #expect(eventually(timeout: 10) { (try? daemon.unit("flaky"))?.state == "backoff" })
        let backoffSeen = Date()
        daemon.waitForSavedState { $0.units["flaky"]?.restartAt != nil }
        daemon.process?.signal(SIGKILL)
        _ = daemon.process?.waitForExit(timeout: 5)

        try daemon.start()
        let resumed = try #require(try daemon.unit("flaky"))
        #expect(resumed.state == "backoff", "\(resumed.state): \(resumed.reason ?? "")")
        #expect(resumed.pid == nil)
        #expect(daemon.output.contains("flaky: restarting in"), "\(daemon.output)")
        #expect(daemon.output.contains("a backoff from before the daemon restart"))
        let restarted = eventually(timeout: 10) { (try? daemon.unit("flaky"))?.pid != nil }
        let after = Date().timeIntervalSince(backoffSeen)
        #expect(restarted)
        #expect(after > 5.5 && after < 8, "restarted \(after) s after the backoff began (6 s)")
    }

    /// A corrupt state file is reported, moved aside, and no unit is started twice: the daemon finds
    /// its units' processes by their environment and adopts them.
    @Test func aCorruptStateFileIsReportedAndStartsNothingTwice() throws {
        let marker = "corrupt-\(UUID().uuidString.prefix(8))"
        let config = """
            units:
              worker:
                command: [bash, -c, "exec -a \(marker) sleep 1000"]
            """
        let daemon = try DaemonHarness(config: config)
        defer { daemon.stop() }
        let oldPid = try #require(daemon.waitForRunning("worker"))
        daemon.waitForSavedState { $0.units["worker"]?.pid == oldPid }
        daemon.process?.signal(SIGKILL)
        _ = daemon.process?.waitForExit(timeout: 5)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: daemon.stateDirectory + "/state.json"))

        try daemon.start()
        let pid = try #require(daemon.waitForRunning("worker"))
        #expect(pid == oldPid, "adopted, not started again")
        #expect(pids(matching: marker).count == 1)
        #expect(daemon.output.contains("state.json is corrupt"))
        #expect(daemon.output.contains("found 1 running units of this daemon by their environment: worker; adopting them"))
        let moved = try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory).filter { $0.hasPrefix("state.json.corrupt-") }
        #expect(moved.count == 1)
    }
}
