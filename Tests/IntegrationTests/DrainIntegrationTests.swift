import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// Drains end to end: a real daemon supervising agent-sim workers `worker-1..3` (service
/// `worker`, default drain contract: one SIGTERM, wait for the exit), driven through the
/// `supervise` CLI, with calls placed on the workers over loopback HTTP.
@Suite(.serialized) struct DrainIntegrationTests {
    /// Three workers on loopback ports, and everything needed to stop them on every path.
    final class Workers: @unchecked Sendable {
        let ports: [Int]
        let daemon: DaemonHarness

        /// `httpDrain`: drains start with `POST /drain` and are watched at `/worker` (else one SIGTERM).
        /// `protobufJSON`: `/worker` leaves out zero values, as LiveKit's does.
        init(linger: Double = 0, readiness: Bool = false, httpDrain: Bool = false, protobufJSON: Bool = false) throws {
            ports = loopbackPortBlock(3)
            var lines = ["units:"]
            for (i, port) in ports.enumerated() {
                let name = "worker-\(i + 1)"
                lines += [
                    "  \(name):",
                    "    command: [\(Binaries.agentSim), --port, \"\(port)\", --name, \(name), --drain-linger, \"\(linger)\""
                        + (protobufJSON ? ", --protobuf-json]" : "]"),
                    "    stop_timeout: 3s",
                ]
                if httpDrain {
                    lines.append("    drain: {http: \"http://127.0.0.1:\(port)/drain\", progress: \"http://127.0.0.1:\(port)/worker\"}")
                }
                if readiness {
                    lines += [
                        "    readiness:",
                        "      http: {url: \"http://127.0.0.1:\(port)/\"}",
                        "      interval: 200ms",
                        "      failure_threshold: 1",
                    ]
                }
            }
            let yaml = lines.joined(separator: "\n") + "\n"
            daemon = try DaemonHarness(config: yaml)
        }

        func name(_ i: Int) -> String { "worker-\(i)" }
        func port(_ name: String) -> Int { ports[Int(name.split(separator: "-").last!)! - 1] }
        func target(_ name: String) -> LoopbackWorker { .init(name: name, port: port(name)) }
        var targets: [LoopbackWorker] { (1...3).map { target(name($0)) } }

        /// Waits until every worker runs and answers `/worker`; returns their pids.
        func waitUntilServing(timeout: Double = 15) throws -> [Int32] {
            try (1...3).map { i in
                let pid = try #require(daemon.waitForRunning(name(i), timeout: timeout))
                #expect(eventually(timeout: timeout) { WorkerSnapshot.fetch(port: ports[i - 1])?.pid == pid })
                return pid
            }
        }

        func cli(_ arguments: [String]) throws -> (code: Int32, output: String) { try daemon.cli(arguments) }

        /// SIGKILLs the daemon once its state file shows what `saved` looks for (writes are batched
        /// off the loop); its units keep running.
        func killDaemon(once saved: (PersistedState) -> Bool) throws {
            daemon.waitForSavedState(saved)
            let process = try #require(daemon.process)
            process.signal(SIGKILL)
            #expect(process.waitForExit(timeout: 5) != nil)
        }

        func state(_ name: String) -> String? { (try? daemon.unit(name))?.state }

        /// `supervise status NAME --json`, as JSON.
        func statusJSON(_ name: String) throws -> [String: Any] {
            let result = try cli(["status", name, "--json"])
            #expect(result.code == 0, "\(result.output)")
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            return try #require(object)
        }

        /// Live agent-sim processes listening (by command line) on `port`.
        func agentSims(port: Int) -> [Int32] {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
            return entries.compactMap(Int32.init).filter { pid in
                guard processAlive(pid), let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let args = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                guard args.first?.hasSuffix("agent-sim") == true, let i = args.firstIndex(of: "--port"), i + 1 < args.count else { return false }
                return args[i + 1] == String(port)
            }
        }

        /// Stops the daemon and every worker it ever started, by pid: SIGTERM to the daemon, then
        /// SIGINT to the workers (agent-sim exits at once, cutting calls) so no drain holds the
        /// shutdown up, SIGKILL for anything left.
        func stop() {
            daemon.process?.signal(SIGTERM)
            usleep(200_000)
            var workers = Set(ports.flatMap(agentSims))
            for pid in workers { kill(pid, SIGINT) }
            _ = daemon.process?.waitForExit(timeout: 10)
            workers.formUnion(ports.flatMap(agentSims))
            for pid in workers where processAlive(pid) { kill(pid, SIGKILL) }
            daemon.stop()
        }
    }

    // MARK: - 1

    @Test func drainCompletesOnlyAfterTheLastCallEnds() throws {
        let w = try Workers()
        defer { w.stop() }
        let pids = try w.waitUntilServing()
        let calls = LoopbackCalls()
        let worker1 = w.target("worker-1")
        let t0 = Date()
        for duration in [2.0, 4.0, 6.0] { #expect(calls.place(on: worker1, duration: duration).accepted) }

        let drain = try w.cli(["drain", "worker-1"])
        #expect(drain.code == 0, "\(drain.output)")
        #expect(drain.output.contains("draining worker-1: one SIGTERM, deadline in 1h, then stop"), "\(drain.output)")

        // While calls are live: draining, same pid, new calls refused.
        #expect(eventually(timeout: 2) { WorkerSnapshot.fetch(port: worker1.port)?.draining == true })
        #expect(w.state("worker-1") == "draining")
        #expect(calls.place(on: worker1, duration: 1).outcome == .refused)
        var drainedAt: Date?
        var wasDrainingWhileLive = true
        _ = eventually(timeout: 12) {
            let state = w.state("worker-1")
            if state == "drained" { drainedAt = Date(); return true }
            if let snapshot = WorkerSnapshot.fetch(port: worker1.port), snapshot.activeJobs > 0, state != "draining" {
                wasDrainingWhileLive = false
            }
            return false
        }
        let elapsed = try #require(drainedAt).timeIntervalSince(t0)
        #expect(wasDrainingWhileLive)
        #expect(elapsed > 5.8 && elapsed < 9, "drained \(elapsed)s after the calls were placed")
        #expect(!processAlive(pids[0]))

        // Every accepted call ran to its end in the worker, none was cut.
        let log = WorkerCallLog(daemonOutput: w.daemon.output)
        let accepted = Set(calls.accepted.compactMap { call -> Int? in if case .accepted(let id) = call.outcome { id } else { nil } })
        #expect(accepted.count == 3)
        #expect(Set(log.ended(unit: "worker-1").filter { $0.pid == pids[0] }.map(\.id)) == accepted)
        #expect(w.daemon.output.contains("agent-sim[worker-1] drained, exiting 0"))
        let status = try w.statusJSON("worker-1")
        #expect(status["state"] as? String == "drained")
        let lastDrain = try #require(status["last_drain"] as? [String: Any])
        #expect((lastDrain["calls_cut"] as? NSNumber)?.intValue == 0)
        #expect(((lastDrain["duration_seconds"] as? NSNumber)?.doubleValue ?? 0) > 5.5)

        // Back in service.
        let undrain = try w.cli(["undrain", "worker-1"])
        #expect(undrain.code == 0 && undrain.output.contains("back in service"), "\(undrain.output)")
        let fresh = try #require(w.daemon.waitForRunning("worker-1", notPid: pids[0]))
        #expect(eventually(timeout: 5) { WorkerSnapshot.fetch(port: worker1.port)?.pid == fresh })
        #expect(calls.place(on: worker1, duration: 0.2).accepted)
    }

    // MARK: - 2

    @Test func drainThenRestartWaitsWithProgressAndStartsAFreshProcess() throws {
        let w = try Workers()
        defer { w.stop() }
        let pids = try w.waitUntilServing()
        let calls = LoopbackCalls()
        #expect(calls.place(on: w.target("worker-1"), duration: 2.5).accepted)
        let start = Date()
        let result = try w.cli(["drain", "worker-1", "--then", "restart", "--wait"])
        let took = Date().timeIntervalSince(start)
        #expect(result.code == 0, "\(result.output)")
        #expect(result.output.contains("draining worker-1: one SIGTERM, deadline in 1h, then restart"), "\(result.output)")
        #expect(result.output.contains("worker-1: draining, live calls unknown, "), "\(result.output)")
        #expect(result.output.contains("worker-1: drain ended after "), "\(result.output)")
        #expect(result.output.contains("no call cut"), "\(result.output)")
        #expect(took > 2.2 && took < 8, "--wait returned after \(took)s")
        let fresh = try #require(w.daemon.waitForRunning("worker-1", notPid: pids[0]))
        #expect(fresh != pids[0] && !processAlive(pids[0]))
        #expect(eventually(timeout: 5) { WorkerSnapshot.fetch(port: w.port("worker-1"))?.pid == fresh })
        #expect(calls.place(on: w.target("worker-1"), duration: 0.2).accepted)
        let status = try #require(try w.daemon.unit("worker-1"))
        #expect(status.lastDrain?.callsCut == 0)
        #expect(WorkerCallLog(daemonOutput: w.daemon.output).ended(unit: "worker-1").contains { $0.pid == pids[0] && $0.id == 1 })
    }

    // MARK: - 3

    @Test func drainDeadlineCutsTheCalls() throws {
        let w = try Workers()
        defer { w.stop() }
        let pids = try w.waitUntilServing()
        let calls = LoopbackCalls()
        for _ in 0..<2 { #expect(calls.place(on: w.target("worker-1"), duration: 30).accepted) }
        let start = Date()
        let result = try w.cli(["drain", "worker-1", "--timeout", "2s", "--wait"])
        let took = Date().timeIntervalSince(start)
        #expect(result.code == 1, "\(result.output)")
        #expect(result.output.contains("deadline in 2s"), "\(result.output)")
        #expect(result.output.contains("an unknown number of live calls cut"), "\(result.output)")
        #expect(took > 1.8 && took < 7, "--wait returned after \(took)s")
        #expect(!processAlive(pids[0]))
        let out = w.daemon.output
        #expect(out.contains("worker-1: drain deadline reached after 2.0s: killing it, live calls unknown (no progress URL)"), "\(out)")
        #expect(out.contains("worker-1: drain cut at its deadline: live calls unknown, killed by SIGKILL"), "\(out)")
        // The calls were cut: the worker never logged their end.
        #expect(WorkerCallLog(daemonOutput: out).ended(unit: "worker-1").isEmpty)
        // Without a progress URL nobody counted the live calls: calls_cut is unknown (null in JSON).
        let status = try w.statusJSON("worker-1")
        #expect(status["state"] as? String == "drained")
        let lastDrain = try #require(status["last_drain"] as? [String: Any])
        #expect(lastDrain["calls_cut"] is NSNull)
        #expect(lastDrain["exit"] as? String == "killed by SIGKILL")
        // Drained means out of service: no automatic restart.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(w.state("worker-1") == "drained" && w.agentSims(port: w.port("worker-1")).isEmpty)
    }

    // MARK: - 4

    @Test func availabilityBudgetRefusesASecondDrainUnlessForced() throws {
        let w = try Workers()
        defer { w.stop() }
        let pids = try w.waitUntilServing()
        let calls = LoopbackCalls()
        #expect(calls.place(on: w.target("worker-1"), duration: 25).accepted)
        let first = try w.cli(["drain", "worker-1"])
        #expect(first.code == 0, "\(first.output)")
        #expect(eventually(timeout: 2) { w.state("worker-1") == "draining" })

        let refused = try w.cli(["drain", "worker-2"])
        #expect(refused.code == 1, "\(refused.output)")
        #expect(refused.output.contains("max_unavailable 1"), "\(refused.output)")
        #expect(refused.output.contains("already out: worker-1"), "\(refused.output)")
        #expect(refused.output.contains("--force"), "\(refused.output)")
        #expect(w.state("worker-2") == "running" && processAlive(pids[1]))
        #expect(calls.place(on: w.target("worker-2"), duration: 0.1).accepted)

        let forced = try w.cli(["drain", "worker-2", "--force"])
        #expect(forced.code == 0, "\(forced.output)")
        #expect(forced.output.contains("draining worker-2"), "\(forced.output)")
        #expect(eventually(timeout: 5) { w.state("worker-2") == "drained" })
        #expect(w.daemon.output.contains("draining (operator (forced))"), "\(w.daemon.output)")
        #expect(w.state("worker-1") == "draining")
        #expect(w.state("worker-3") == "running")
    }

    // MARK: - 5

    @Test func unknownUnitExitsThreeListingTheUnits() throws {
        let w = try Workers()
        defer { w.stop() }
        _ = try w.waitUntilServing()
        let result = try w.cli(["drain", "nope"])
        #expect(result.code == 3, "\(result.output)")
        #expect(result.output.contains("no unit named \"nope\"; units: worker-1, worker-2, worker-3"), "\(result.output)")
        let undrain = try w.cli(["undrain", "nope"])
        #expect(undrain.code == 3 && undrain.output.contains("no unit named \"nope\""), "\(undrain.output)")
        let rolling = try w.cli(["restart", "nope", "--rolling"])
        #expect(rolling.code == 3 && rolling.output.contains("worker"), "\(rolling.output)")
    }

    // MARK: - 6

    @Test func rollingRestartUnderSteadyLoadDropsNoCall() throws {
        let w = try Workers(readiness: true)
        defer { w.stop() }
        let old = try w.waitUntilServing()
        #expect(eventually(timeout: 5) { (try? w.daemon.units())?.allSatisfy { $0.ready == true } == true })
        let calls = LoopbackCalls()
        defer { calls.stop() }
        calls.startSteadyLoad(on: w.targets, durations: 1...3, every: 0.1)
        Thread.sleep(forTimeInterval: 1.5)

        let start = Date()
        let result = try w.cli(["restart", "worker", "--rolling"])
        #expect(result.code == 0, "\(result.output)")
        #expect(result.output.contains("rolling restart of worker: worker-1, worker-2, worker-3, one at a time"), "\(result.output)")
        var fresh: [Int32] = []
        let replaced = eventually(timeout: 25) {
            guard let units = try? w.daemon.units() else { return false }
            fresh = (1...3).compactMap { i in units.first { $0.name == "worker-\(i)" && $0.state == "running" }?.pid }
            return fresh.count == 3 && zip(fresh, old).allSatisfy { $0 != $1 }
                && w.daemon.output.contains("rolling restart of worker done")
        }
        let took = Date().timeIntervalSince(start)
        #expect(replaced, "pids \(old) -> \(fresh)\n\(w.daemon.output)")
        // Keep the load on the new workers a little longer, then let their calls end.
        Thread.sleep(forTimeInterval: 1.5)
        calls.stop()
        // Let the calls on the new workers end.
        Thread.sleep(forTimeInterval: 3.3)

        let log = WorkerCallLog(daemonOutput: w.daemon.output)
        let accepted = calls.accepted
        #expect(accepted.count > 20, "only \(accepted.count) calls accepted")
        #expect(!calls.all.contains { if case .other = $0.outcome { true } else { false } })
        for i in 1...3 {
            let name = "worker-\(i)"
            let placed = accepted.filter { $0.target.name == name }.count
            #expect(log.started(unit: name).count == placed, "\(name): \(placed) accepted, \(log.started(unit: name).count) started")
            let dropped = log.started(unit: name).subtracting(log.ended(unit: name))
            #expect(dropped.isEmpty, "dropped: \(dropped.sorted { $0.description < $1.description })")
            // Both generations of the worker took calls.
            #expect(log.started(unit: name).contains { $0.pid == old[i - 1] })
            #expect(log.started(unit: name).contains { $0.pid == fresh[i - 1] })
        }
        #expect(!w.daemon.output.contains("drain cut"))
        #expect(w.daemon.output.components(separatedBy: "drained, exiting 0").count - 1 == 3)
        print("rolling restart under load: \(String(format: "%.1f", took))s, \(accepted.count) calls accepted, \(calls.refused.count) refused")
    }

    // MARK: - 7

    @Test func drainSurvivesADaemonKilledWithSIGKILL() throws {
        let w = try Workers(linger: 1)
        defer { w.stop() }
        let old = try w.waitUntilServing()
        let calls = LoopbackCalls()
        let worker1 = w.target("worker-1")
        #expect(calls.place(on: worker1, duration: 6).accepted)
        let drain = try w.cli(["drain", "worker-1"])
        #expect(drain.code == 0, "\(drain.output)")
        #expect(eventually(timeout: 2) { w.state("worker-1") == "draining" })
        try w.killDaemon { $0.units["worker-1"]?.drain != nil }
        #expect(processAlive(old[0]) && processAlive(old[1]) && processAlive(old[2]))

        try w.daemon.start()
        let adopted = try #require(try w.daemon.unit("worker-1"))
        #expect(adopted.state == "draining")
        #expect(adopted.pid == old[0])
        // Written before the daemon answered, but read from its pipe on a queue that busy test suites can hold up.
        #expect(eventually(timeout: 5) { w.daemon.output.contains("still draining from before the restart (pid \(old[0]))") },
                "\(w.daemon.output)")
        // The other units' processes were adopted too: same pids, their calls untouched, not started twice.
        let w2 = try #require(try w.daemon.unit("worker-2")?.pid)
        let w3 = try #require(try w.daemon.unit("worker-3")?.pid)
        #expect(w2 == old[1] && w3 == old[2])
        #expect(try w.daemon.unit("worker-2")?.state == "running")
        #expect(processAlive(old[1]) && processAlive(old[2]))

        // The call finishes in the adopted worker; never a second worker-1.
        var sawCompletion = false
        var maxWorker1 = 0
        let drained = eventually(timeout: 15) {
            maxWorker1 = max(maxWorker1, w.agentSims(port: worker1.port).count)
            if let s = WorkerSnapshot.fetch(port: worker1.port), s.pid == old[0], s.callsCompleted == 1, s.activeJobs == 0, s.callsCut == 0 {
                sawCompletion = true
            }
            return w.state("worker-1") == "drained"
        }
        #expect(drained, "\(w.daemon.output)")
        #expect(sawCompletion)
        #expect(maxWorker1 <= 1)
        #expect(!processAlive(old[0]))
        let status = try #require(try w.daemon.unit("worker-1"))
        #expect(status.lastDrain?.callsCut == 0)
        #expect(status.pid == nil)

        Thread.sleep(forTimeInterval: 0.5)
        #expect(w.agentSims(port: w.port("worker-1")).isEmpty)
        #expect(w.agentSims(port: w.port("worker-2")) == [w2])
        #expect(w.agentSims(port: w.port("worker-3")) == [w3])
    }

    // MARK: - 8

    @Test func rollingRestartCarriesOnAfterTheDaemonIsKilled() throws {
        let w = try Workers(linger: 1)
        defer { w.stop() }
        let old = try w.waitUntilServing()
        let calls = LoopbackCalls()
        let worker1 = w.target("worker-1")
        #expect(calls.place(on: worker1, duration: 5).accepted)
        let roll = try w.cli(["restart", "worker", "--rolling"])
        #expect(roll.code == 0, "\(roll.output)")
        #expect(eventually(timeout: 2) { w.state("worker-1") == "draining" })
        try w.killDaemon { $0.rolling?.first?.current == "worker-1" && $0.units["worker-1"]?.drain != nil }
        try w.daemon.start()
        #expect(w.daemon.output.contains("rolling restart of worker resumed after a daemon restart: worker-1 being replaced, worker-2, worker-3 still to go"),
                "\(w.daemon.output)")
        #expect(try w.daemon.unit("worker-1")?.pid == old[0])

        // The call on worker-1 ends in full, then each worker is replaced in turn, one at a time.
        var fresh: [Int32] = []
        var mostAtOnce = 0
        var sawCompletion = false
        let replaced = eventually(timeout: 25) {
            mostAtOnce = max(mostAtOnce, (1...3).map { w.agentSims(port: w.port("worker-\($0)")).count }.max() ?? 0)
            if let s = WorkerSnapshot.fetch(port: worker1.port), s.pid == old[0], s.callsCompleted == 1, s.activeJobs == 0, s.callsCut == 0 {
                sawCompletion = true
            }
            guard let units = try? w.daemon.units() else { return false }
            fresh = (1...3).compactMap { i in units.first { $0.name == "worker-\(i)" && $0.state == "running" }?.pid }
            return fresh.count == 3 && zip(fresh, old).allSatisfy { $0 != $1 }
                && w.daemon.output.contains("rolling restart of worker done: worker-1, worker-2, worker-3")
        }
        #expect(replaced, "pids \(old) -> \(fresh)\n\(w.daemon.output)")
        #expect(mostAtOnce <= 1, "never two workers on one port")
        #expect(sawCompletion, "the call on the adopted worker-1 ended in full")
        #expect(!w.daemon.output.contains("drain cut"))
    }

    // MARK: - 9

    @Test func anHTTPDrainPostsToTheWorkerThenStopsItAtZeroCalls() throws {
        let w = try Workers(httpDrain: true)
        defer { w.stop() }
        let pids = try w.waitUntilServing()
        let calls = LoopbackCalls()
        let worker1 = w.target("worker-1")
        let call = calls.place(on: worker1, duration: 3)
        #expect(call.accepted)
        let drain = try w.cli(["drain", "worker-1"])
        #expect(drain.code == 0, "\(drain.output)")
        #expect(drain.output.contains("POST http://127.0.0.1:\(worker1.port)/drain"), "\(drain.output)")
        // The POST reached the worker: it refuses new calls, and gets no signal while its call is live.
        #expect(eventually(timeout: 3) { WorkerSnapshot.fetch(port: worker1.port)?.draining == true })
        #expect(calls.place(on: worker1, duration: 1).outcome == .refused)
        #expect(processAlive(pids[0]))
        #expect(w.state("worker-1") == "draining")

        #expect(eventually(timeout: 10) { w.state("worker-1") == "drained" }, "\(w.daemon.output)")
        #expect(!processAlive(pids[0]))
        #expect(!w.daemon.output.contains("drain request failed"), "\(w.daemon.output)")
        let log = WorkerCallLog(daemonOutput: w.daemon.output)
        guard case .accepted(let id) = call.outcome else { return }
        #expect(log.ended(unit: "worker-1").contains { $0.id == id && $0.pid == pids[0] }, "the call ran to its end")
        let status = try w.statusJSON("worker-1")
        let lastDrain = try #require(status["last_drain"] as? [String: Any])
        #expect((lastDrain["calls_cut"] as? NSNumber)?.intValue == 0)
    }

    // MARK: - 10

    /// LiveKit's `/worker` is protobuf JSON: an idle worker's answer has no `active_jobs`. That
    /// means 0 live calls, so an HTTP drain ends (the worker is stopped) once the last call is
    /// over, not at the drain deadline.
    @Test func aWorkerThatLeavesActiveJobsOutWhenIdleIsStoppedAtZeroCalls() throws {
        let w = try Workers(linger: 60, httpDrain: true, protobufJSON: true)
        defer { w.stop() }
        let pids = try w.waitUntilServing()
        let worker1 = w.target("worker-1")
        let idle = try #require(httpRequest("GET", port: worker1.port, path: "/worker"))
        #expect(!idle.body.contains("active_jobs"), "\(idle.body)")
        let calls = LoopbackCalls()
        let call = calls.place(on: worker1, duration: 2)
        #expect(call.accepted)
        #expect(httpRequest("GET", port: worker1.port, path: "/worker")?.body.contains("\"active_jobs\":1") == true)

        let start = Date()
        let drain = try w.cli(["drain", "worker-1"])
        #expect(drain.code == 0, "\(drain.output)")
        // Counted while the call is live; stopped once the worker reports no count at all.
        #expect(eventually(timeout: 3) { (try? w.daemon.unit("worker-1"))?.drain?.activeCalls == 1 })
        #expect(eventually(timeout: 10) { w.state("worker-1") == "drained" }, "\(w.daemon.output)")
        let took = Date().timeIntervalSince(start)
        #expect(took > 1.5 && took < 6, "drained after \(took)s; the worker lingers 60s")
        #expect(!processAlive(pids[0]))
        #expect(w.daemon.output.contains("worker-1: no live calls left; stopping"), "\(w.daemon.output)")
        let log = WorkerCallLog(daemonOutput: w.daemon.output)
        guard case .accepted(let id) = call.outcome else { return }
        #expect(log.ended(unit: "worker-1").contains { $0.id == id && $0.pid == pids[0] }, "the call ran to its end")
        #expect(try w.daemon.unit("worker-1")?.lastDrain?.callsCut == 0)
    }

    // MARK: - 11

    /// `drain --wait` through a pipe: the daemon's answer first, then the progress, then the end;
    /// all on stdout. `undrain` answers on stdout too.
    @Test func drainWaitPrintsItsHeaderFirstAndUndrainAnswersOnStdout() throws {
        let w = try Workers()
        defer { w.stop() }
        _ = try w.waitUntilServing()
        let calls = LoopbackCalls()
        #expect(calls.place(on: w.target("worker-1"), duration: 2).accepted)
        let drain = try stdoutOf(w, ["drain", "worker-1", "--wait"])
        #expect(drain.code == 0, "\(drain.output)")
        let header = drain.output.range(of: "draining worker-1: one SIGTERM, deadline in 1h, then stop")?.lowerBound
        let progress = drain.output.range(of: "worker-1: draining, ")?.lowerBound
        let end = drain.output.range(of: "worker-1: drain ended after ")?.lowerBound
        #expect(header != nil && progress != nil && end != nil, "\(drain.output)")
        if let header, let progress, let end {
            #expect(header < progress && progress < end, "out of order:\n\(drain.output)")
        }
        #expect(drain.output.hasPrefix("draining worker-1"), "\(drain.output)")

        let undrain = try stdoutOf(w, ["undrain", "worker-1"])
        #expect(undrain.code == 0)
        #expect(undrain.output == "starting worker-1: back in service\n", "\(undrain.output)")
        let again = try stdoutOf(w, ["undrain", "worker-2"])
        #expect(again.code == 0)
        #expect(again.output == "worker-2 is not drained\n", "\(again.output)")
    }

    /// Runs the CLI against the daemon through a pipe, with its standard error discarded.
    private func stdoutOf(_ w: Workers, _ arguments: [String]) throws -> (code: Int32, output: String) {
        try runCommand("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>/dev/null", Binaries.supervise]
                       + arguments + ["--socket", w.daemon.socketPath])
    }
}
