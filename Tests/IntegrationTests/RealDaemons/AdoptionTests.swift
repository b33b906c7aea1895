import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// A daemon killed with SIGKILL leaves its units running. The next one finds each unit's
/// processes in its cgroup (by process group and environment without cgroups): it adopts a live
/// main process, and when the main process died meanwhile it stops what is left before the unit
/// starts again (issue 12, item 3).
extension RealDaemonTests {
    @Suite struct Adoption {
        @Test(arguments: ContainmentMode.allCases)
        func aRestartedDaemonAdoptsAndStopsTheWholeUnit(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let nginx = try NginxFixture(in: run)
            let daemon = try run.startDaemon(config: "units:\n" + nginx.unit())
            let master = try #require(daemon.waitForRunning("nginx", timeout: 15), "\(report(run, "nginx"))")
            run.tracker.note(master)
            try #require(eventually(timeout: 10) { NginxFixture.workers(of: master).count == 2 && nginx.servingWorker() != nil })
            let workers = NginxFixture.workers(of: master).compactMap(ProcessRecord.init)
            run.tracker.note(workers.map(\.pid))
            // In cgroup mode the cgroup alone would do; without cgroups the state file names the master.
            if mode == .processGroup { try #require(daemon.waitForSavedState { $0.units["nginx"]?.pid == master }) }

            daemon.process?.signal(SIGKILL)
            _ = daemon.process?.waitForExit(timeout: 5)
            try daemon.start()
            run.tracker.note(daemon.pid)
            let adopted = try #require(try daemon.unit("nginx"))
            let adoptedRight = adopted.state == "running" && adopted.pid == master
            #expect(adoptedRight, "\(run.status("nginx"))\n\(daemon.output)")
            run.expectInUnitCgroup("nginx", [master] + workers.map(\.pid))

            // An adopted unit is stopped whole: its workers are not the daemon's children.
            try daemon.command("stop", "nginx")
            let stopped = eventually(timeout: 10) { (try? daemon.unit("nginx"))?.state == "inactive" }
            #expect(stopped, "\(run.status("nginx"))")
            #expect(workers.allSatisfy { !$0.isAlive }, "workers of the adopted master survive its stop: \(workers.filter(\.isAlive))")
        }

        @Test(arguments: ContainmentMode.allCases)
        func leftoversOfAMainProcessThatDiedWhileNoDaemonRanAreStoppedFirst(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let nginx = try NginxFixture(in: run)
            let daemon = try run.startDaemon(config: "units:\n" + nginx.unit())
            let master = try #require(daemon.waitForRunning("nginx", timeout: 15), "\(report(run, "nginx"))")
            run.tracker.note(master)
            try #require(eventually(timeout: 10) { NginxFixture.workers(of: master).count == 2 && nginx.servingWorker() != nil })
            let workers = NginxFixture.workers(of: master).compactMap(ProcessRecord.init)
            run.tracker.note(workers.map(\.pid))
            try #require(daemon.waitForSavedState { $0.units["nginx"]?.pid == master })

            daemon.process?.signal(SIGKILL)
            _ = daemon.process?.waitForExit(timeout: 5)
            kill(master, SIGKILL)
            #expect(eventually(timeout: 5) { ProcFS.stat(master) == nil || ProcFS.stat(master)?.state == "Z" })
            #expect(workers.allSatisfy { $0.isAlive }, "the workers outlive their master: they hold the port")

            let restarted = Date()
            try daemon.start()
            run.tracker.note(daemon.pid)
            var fresh: Int32?
            let back = eventually(timeout: 12) {
                guard let u = try? daemon.unit("nginx"), u.state == "running", let pid = u.pid, pid != master,
                      let worker = nginx.servingWorker(timeout: 0.5), ProcFS.stat(worker)?.ppid == pid else { return false }
                fresh = pid
                return true
            }
            if back { print("nginx (\(mode.testDescription)): serving again \(seconds(Date().timeIntervalSince(restarted))) after the daemon restart found its leftovers") }
            if let fresh { run.tracker.noteTree(fresh) }
            #expect(back, "nginx not served by a new master after the daemon restart: \(run.status("nginx"))\n\(daemon.output)")
            #expect(workers.allSatisfy { !$0.isAlive }, "the dead master's workers survive the new daemon: \(workers.filter(\.isAlive))")
            #expect(daemon.output.contains("processes of the unit left") || daemon.output.contains("process of the unit left"),
                    "the daemon did not say it found leftovers:\n\(daemon.output)")
            #expect(run.logCount("Address already in use") == 0, "\(run.log(["Address already in use", "nginx:"]))")
        }
    
        /// A unit removed from the configuration while no daemon ran: the next daemon stops all of
        /// it (master and workers; in cgroup mode whatever its cgroup holds) before it is ready, and
        /// removes its cgroup.
        @Test(arguments: ContainmentMode.allCases)
        func aUnitNoLongerConfiguredIsStoppedWhole(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let nginx = try NginxFixture(in: run)
            let daemon = try run.startDaemon(config: "units:\n" + nginx.unit())
            let master = try #require(daemon.waitForRunning("nginx", timeout: 15), "\(report(run, "nginx"))")
            run.tracker.note(master)
            try #require(eventually(timeout: 10) { NginxFixture.workers(of: master).count == 2 })
            let processes = ([master] + NginxFixture.workers(of: master)).compactMap(ProcessRecord.init)
            run.tracker.note(processes.map(\.pid))
            try #require(daemon.waitForSavedState { $0.units["nginx"]?.pid == master })

            daemon.process?.signal(SIGKILL)
            _ = daemon.process?.waitForExit(timeout: 5)
            try daemon.writeConfig("units:\n  other:\n    command: [/bin/sleep, \"1000\"]\n")
            try daemon.start()
            run.tracker.note(daemon.pid)
            #expect(eventually(timeout: 10) { processes.allSatisfy { !$0.isAlive } },
                    "nginx, no longer configured, survives the new daemon: \(processes.filter(\.isAlive))\n\(daemon.output)")
            if let cgroups = run.cgroups {
                #expect(eventually(timeout: 5) { !FileManager.default.fileExists(atPath: cgroups.unitPath("nginx")) },
                        "the cgroup of a unit no longer configured is left behind")
            }
            if let other = daemon.waitForRunning("other", timeout: 10) { run.tracker.note(other) }
        }
    }
}
