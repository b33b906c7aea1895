import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// The platform's own daemons from Debian's packages (nginx, PostgreSQL 15, Redis) and process
/// trees of a shell as supervise process units on loopback, with private data directories (issue 12):
/// a unit is its whole process tree, not its main process. Each containment test runs twice: with
/// each unit in a cgroup v2 cgroup of its own (under a hierarchy the test mounts itself) and without
/// cgroups (`--no-cgroups`).
///
/// Everything is serialized: they time recoveries, and several daemons at once on two cores would
/// only measure each other.
@Suite(.serialized) enum RealDaemonTests {}

/// Seconds with two decimals, for the printed measurements.
func seconds(_ t: Double) -> String { String(format: "%.2f s", t) }

// MARK: - nginx

extension RealDaemonTests {
    @Suite struct Nginx {
        /// `kill -9` of the master: its workers still hold the port. The restart must wait until they
        /// are gone, so the new master binds at once, instead of failing `bind() … (98: Address already
        /// in use)` over and over while the orphaned workers answer the probe.
        @Test(arguments: ContainmentMode.allCases)
        func killedMasterTakesItsWorkersAlong(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let nginx = try NginxFixture(in: run)
            let daemon = try run.startDaemon(config: "units:\n" + nginx.unit())

            let master = try #require(daemon.waitForRunning("nginx", timeout: 15), "\(report(run, "nginx"))")
            run.tracker.note(master)
            let serving = eventually(timeout: 10) { nginx.servingWorker() != nil && NginxFixture.workers(of: master).count == 2 }
            try #require(serving, "nginx never served on 127.0.0.1:\(nginx.port) with 2 workers: \(ProcFS.describe(NginxFixture.workers(of: master)))\n\(report(run, "nginx"))")
            let workers = NginxFixture.workers(of: master).compactMap(ProcessRecord.init)
            run.tracker.note(workers.map(\.pid))
            #expect(eventually(timeout: 10) { (try? daemon.unit("nginx"))?.health == "healthy" }, "\(report(run, "nginx"))")
            run.expectInUnitCgroup("nginx", [master] + workers.map(\.pid))
            let restartsBefore = try #require(try daemon.unit("nginx")).restarts
            // Accounting: the master and its two workers; CPU time from the cgroup's cpu.stat. This
            // host's cgroup2 mount has no memory controller (they are bound to v1): no memory figures.
            // Without cgroups the count comes from a look at /proc up to 250 ms old.
            #expect(eventually(timeout: 3) { (try? daemon.unit("nginx"))?.resources?.processes == 3 },
                    "resources: \(String(describing: (try? daemon.unit("nginx"))??.resources))")
            let resources = try #require(try daemon.unit("nginx")).resources
            if mode == .cgroup {
                #expect(resources?.cpuSeconds != nil && resources?.memoryBytes == nil, "resources: \(String(describing: resources))")
                let detail = try daemon.cli(["status", "nginx"]).output
                #expect(detail.contains("processes: 3, CPU ") && detail.contains("memory not accounted"), "\(detail)")
                let table = try daemon.cli(["status"]).output
                #expect(table.contains("containment: cgroup v2, one cgroup per unit under"), "\(table)")
            } else {
                #expect(resources?.cpuSeconds == nil)
                let table = try daemon.cli(["status"]).output
                #expect(table.contains("containment: process groups and the subreaper (no cgroup: turned off (--no-cgroups))"), "\(table)")
            }

            kill(master, SIGKILL)
            var newMaster: Int32?
            var lastAnswer = "nothing"
            var oldWorkersAliveAtRecovery: [ProcessRecord] = []
            let watch = run.watch("nginx", timeout: 12) { u in
                guard let u, u.state == "running", let pid = u.pid, pid != master else { return false }
                newMaster = pid
                run.tracker.note(pid)
                guard let worker = nginx.servingWorker(timeout: 0.5) else { lastAnswer = "no answer"; return false }
                lastAnswer = "worker \(worker) (parent \(ProcFS.stat(worker)?.ppid ?? 0))"
                // Served by a worker of the new master, not by an orphan of the old one.
                guard ProcFS.stat(worker)?.ppid == pid else { return false }
                oldWorkersAliveAtRecovery = workers.filter(\.isAlive)
                return true
            }
            run.tracker.note(workers.filter(\.isAlive).map(\.pid))
            let survivors = workers.filter(\.isAlive)
            if watch.met { print("nginx (\(mode.testDescription)): recovered in \(seconds(watch.elapsed)) after kill -9 of the master") }

            #expect(watch.met, """
                nginx was not served by a worker of a new master within 12 s after kill -9 of master \(master) (last answer: \(lastAnswer)); \
                old workers alive: \(survivors)
                \(report(run, "nginx", watch))
                """)
            #expect(oldWorkersAliveAtRecovery.isEmpty, "the new master served while old workers were still alive: \(oldWorkersAliveAtRecovery)")
            #expect(eventually(timeout: 3) { workers.allSatisfy { !$0.isAlive } },
                    "the killed master's workers survive: \(ProcFS.describe(workers.filter(\.isAlive).map(\.pid)))")
            #expect(!watch.sawState("failed"), "states seen: \(watch.states.joined(separator: " → "))")
            let bindFailures = run.logCount("Address already in use")
            #expect(bindFailures == 0, """
                \(bindFailures) lines of 'Address already in use': new masters failed to bind the port the old workers hold
                \(run.log(["Address already in use", "nginx: exited", "nginx: started"], last: 12))
                """)

            // Settled: one restart, running, the new master's two workers in the unit.
            Thread.sleep(forTimeInterval: 1)
            let after = try #require(try daemon.unit("nginx"))
            #expect(after.restarts == restartsBefore + 1, "\(run.status("nginx")); states seen: \(watch.states.joined(separator: " → "))")
            #expect(after.state == "running", "\(run.status("nginx"))")
            if let newMaster, after.pid == newMaster {
                let newWorkers = NginxFixture.workers(of: newMaster)
                run.tracker.note(newWorkers)
                #expect(newWorkers.count == 2, "new master \(newMaster) has workers: \(ProcFS.describe(newWorkers))")
                run.expectInUnitCgroup("nginx", [newMaster] + newWorkers)
            }
        }
    }
}

// MARK: - PostgreSQL

extension RealDaemonTests {
    @Suite struct Postgres {
        /// A CPU-bound query that runs for hours and never waits on a latch, so its backend does not
        /// notice the postmaster's death (a backend in `pg_sleep`, a lock wait or an idle one does, and
        /// exits by itself within milliseconds).
        static let reportQuery = "select count(*) from (select generate_series(1, 1000000000000)) as report"

        /// `kill -9` of the postmaster while one backend runs `select pg_sleep(600)` and another a long
        /// CPU-bound query. PostgreSQL starts again only once no process of the old server is attached
        /// to its shared memory. The daemon must end the old server's processes and wait for them, so
        /// the next postmaster does not exit with `pre-existing shared memory block … is still in use`
        /// until the start limit gives up.
        @Test(arguments: ContainmentMode.allCases)
        func killedPostmasterLeavesNoBackendBehind(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let pg = try PostgresFixture(in: run)
            run.afterDaemonStopped { pg.removeLeftoverSharedMemory() }
            let daemon = try run.startDaemon(config: "units:\n" + pg.unit())

            let postmaster = try #require(daemon.waitForRunning("postgres", timeout: 20), "\(report(run, "postgres"))")
            run.tracker.note(postmaster)
            try #require(eventually(timeout: 20) { pg.isReady() }, "PostgreSQL never accepted connections\n\(report(run, "postgres"))")
            pg.noteSharedMemory()
            #expect(eventually(timeout: 10) { (try? daemon.unit("postgres"))?.health == "healthy" }, "\(report(run, "postgres"))")

            let sleeper = try pg.backgroundClient("select pg_sleep(600)")
            run.onFinish { sleeper.stop(grace: 1) }
            let reporter = try pg.backgroundClient(Self.reportQuery)
            run.onFinish { reporter.stop(grace: 1) }
            let busy = eventually(timeout: 10) {
                !pg.backends(runningQueryStartingWith: "select pg_sleep(600)").isEmpty
                    && !pg.backends(runningQueryStartingWith: Self.reportQuery).isEmpty
            }
            try #require(busy, "the two queries did not start; psql said: \(sleeper.output) \(reporter.output)")
            let sleeping = pg.backends(runningQueryStartingWith: "select pg_sleep(600)")
            let reporting = pg.backends(runningQueryStartingWith: Self.reportQuery)
            let oldServer = ProcFS.liveDescendants(of: postmaster).compactMap(ProcessRecord.init)
            run.tracker.note(oldServer.map(\.pid))
            print("postgres (\(mode.testDescription)): postmaster \(postmaster); its processes, each in a session of its own:\(ProcFS.describe(oldServer.map(\.pid)))")
            run.expectInUnitCgroup("postgres", [postmaster] + oldServer.map(\.pid))
            let restartsBefore = try #require(try daemon.unit("postgres")).restarts

            kill(postmaster, SIGKILL)
            var ready = false
            var oldAliveAtRecovery: [ProcessRecord] = []
            let watch = run.watch("postgres", timeout: 15) { u in
                guard let u else { return false }
                if u.state == "failed" { return true }
                guard u.state == "running", let pid = u.pid, pid != postmaster else { return false }
                run.tracker.note(pid)
                guard pg.isReady() else { return false }
                ready = true
                oldAliveAtRecovery = oldServer.filter(\.isAlive)
                return true
            }
            pg.noteSharedMemory()
            let oldAlive = oldServer.filter(\.isAlive)
            if ready { print("postgres (\(mode.testDescription)): accepted connections again \(seconds(watch.elapsed)) after kill -9 of the postmaster") }
            print("postgres (\(mode.testDescription)): the pg_sleep backend \(sleeping) \(sleeping.allSatisfy { !processAlive($0) } ? "is gone" : "lives"), "
                  + "the report backend \(reporting) \(reporting.allSatisfy { !processAlive($0) } ? "is gone" : "lives")")

            #expect(ready, """
                PostgreSQL did not accept connections within 15 s after kill -9 of postmaster \(postmaster); \
                old server processes alive: \(ProcFS.describe(oldAlive.map(\.pid)))
                \(report(run, "postgres", watch))
                """)
            #expect(oldAliveAtRecovery.isEmpty, "a new postmaster ran beside the old server's processes: \(oldAliveAtRecovery)")
            #expect(eventually(timeout: 3) { oldServer.allSatisfy { !$0.isAlive } },
                    "the old server's processes survive: \(ProcFS.describe(oldServer.filter(\.isAlive).map(\.pid)))")
            #expect(!watch.sawState("failed"), "states seen: \(watch.states.joined(separator: " → "))")
            let shmFailures = run.logCount("pre-existing shared memory block")
            #expect(shmFailures == 0, """
                \(shmFailures) postmasters refused to start beside the old server's processes:
                \(run.log(["pre-existing shared memory block", "postgres: exited", "postgres: started", "postgres: gave up", "start limit"], last: 12))
                """)
            guard ready else { return }
            // The old clients got their connections cut; a new one is served.
            #expect(sleeper.waitForExit(timeout: 5) != nil, "psql still waits on its pg_sleep backend")
            #expect(reporter.waitForExit(timeout: 5) != nil, "psql still waits on its report backend")
            let answer = try pg.psql("select 40 + 2")
            #expect(answer.code == 0 && answer.output.trimmingCharacters(in: .whitespacesAndNewlines) == "42", "psql: \(answer.output)")

            Thread.sleep(forTimeInterval: 0.5)
            let after = try #require(try daemon.unit("postgres"))
            #expect(after.restarts == restartsBefore + 1, "\(run.status("postgres")); states seen: \(watch.states.joined(separator: " → "))")
            if let pid = after.pid { run.expectInUnitCgroup("postgres", [pid] + ProcFS.liveDescendants(of: pid)) }
        }
    }
}

// MARK: - Redis

extension RealDaemonTests {
    @Suite struct Redis {
        /// A Redis whose snapshot failed refuses every write with `MISCONF` (and answers `PING` the same
        /// way, while `redis-cli` still exits 0, so neither `redis-cli ping` nor a tcp probe notices).
        /// The write probe does: the unit turns unhealthy and is restarted by its policy.
        @Test(arguments: ContainmentMode.allCases)
        func aFailedSnapshotIsUnhealthy(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let redis = try RedisFixture(in: run)
            run.onFinish { redis.makeDirectoryWritable() }
            let daemon = try run.startDaemon(config: "units:\n" + redis.unit())

            let first = try #require(daemon.waitForRunning("redis", timeout: 15), "\(report(run, "redis"))")
            run.tracker.note(first)
            try #require(eventually(timeout: 10) { (try? daemon.unit("redis"))?.health == "healthy" }, "\(report(run, "redis"))")
            #expect(redis.cli(["set", "greeting", "hello"]).output == "OK")
            run.expectInUnitCgroup("redis", [first])
            let restartsBefore = try #require(try daemon.unit("redis")).restarts

            // The next snapshot cannot be written.
            redis.makeDirectoryReadOnly()
            let failedAt = Date()
            #expect(redis.cli(["bgsave"]).output.contains("Background saving started"))
            try #require(eventually(timeout: 5) { redis.persistenceInfo("rdb_last_bgsave_status") == "err" },
                         "the snapshot did not fail: rdb_last_bgsave_status \(redis.persistenceInfo("rdb_last_bgsave_status") ?? "?")")
            let ping = redis.cli(["ping"])
            let write = redis.cli(["set", "greeting", "again"])
            print("redis (\(mode.testDescription)): after the failed snapshot, `redis-cli ping` exits \(ping.code) with \"\(ping.output.prefix(60))…\"; SET answers \"\(write.output.prefix(60))…\"")
            #expect(ping.code == 0, "redis-cli ping exits \(ping.code): a bare ping probe would notice after all")
            // The probe (every 250 ms, two failures) may have had the first server replaced already.
            if (try? daemon.unit("redis"))?.pid == first {
                #expect(write.output.hasPrefix("MISCONF") || !processAlive(first), "SET answered \(write.output)")
            }

            // Unhealthy by the write probe, stopped (its final snapshot fails too, so Redis ignores
            // SIGTERM and goes at SIGKILL after stop_timeout), started again.
            var unhealthyAfter: Double?
            let watch = run.watch("redis", timeout: 15) { u in
                if unhealthyAfter == nil, u?.reason?.hasPrefix("unhealthy") == true { unhealthyAfter = Date().timeIntervalSince(failedAt) }
                guard let u, let pid = u.pid, pid != first, u.state == "running" else { return false }
                run.tracker.note(pid)
                return true
            }
            redis.makeDirectoryWritable()
            #expect(watch.met, "redis was not restarted within 15 s of the failed snapshot\n\(report(run, "redis", watch))")
            let unhealthyLines = daemon.output.split(separator: "\n").filter { $0.contains("redis") && $0.contains("unhealthy") && $0.contains("MISCONF") }
            #expect(watch.states.contains { $0.contains("unhealthy: exit code 1: MISCONF") } || !unhealthyLines.isEmpty,
                    "the unit was not stopped as unhealthy with Redis's MISCONF answer: \(watch.states)\n\(run.log(["redis:"]))")
            #expect(!watch.sawState("failed"), "states seen: \(watch.states.joined(separator: " → "))")
            #expect(eventually(timeout: 5) { !processAlive(first) }, "the unhealthy redis \(first) is still alive")
            try #require(eventually(timeout: 10) { (try? daemon.unit("redis"))?.health == "healthy" },
                         "the new redis is not healthy\n\(report(run, "redis", watch))")
            let after = try #require(try daemon.unit("redis"))
            print("redis (\(mode.testDescription)): unhealthy \(unhealthyAfter.map(seconds) ?? "?") after the failed snapshot, healthy again after \(seconds(Date().timeIntervalSince(failedAt))); the unhealthy one ended by \(after.lastExit ?? "?")")
            #expect(after.restarts == restartsBefore + 1, "\(run.status("redis")); states seen: \(watch.states.joined(separator: " → "))")
            #expect(redis.cli(["set", "greeting", "again"]).output == "OK")
            if let pid = after.pid { run.expectInUnitCgroup("redis", [pid]) }
        }

        /// `kill -9` of redis-server: restarted, healthy, and its last snapshot loaded.
        @Test(arguments: ContainmentMode.allCases)
        func killedRedisRecoversWithItsData(mode: ContainmentMode) throws {
            let run = try RealDaemonRun(mode)
            defer { run.finish() }
            let redis = try RedisFixture(in: run)
            let daemon = try run.startDaemon(config: "units:\n" + redis.unit())

            let first = try #require(daemon.waitForRunning("redis", timeout: 15), "\(report(run, "redis"))")
            run.tracker.note(first)
            try #require(eventually(timeout: 10) { (try? daemon.unit("redis"))?.health == "healthy" }, "\(report(run, "redis"))")
            let value = "kept-\(UUID().uuidString.prefix(8))"
            #expect(redis.cli(["set", "survivor", value]).output == "OK")
            #expect(redis.cli(["save"]).output == "OK")
            let restartsBefore = try #require(try daemon.unit("redis")).restarts

            kill(first, SIGKILL)
            let watch = run.watch("redis", timeout: 15) { u in
                guard let u, let pid = u.pid, pid != first, u.state == "running" else { return false }
                run.tracker.note(pid)
                return redis.cli(["get", "survivor"]).output == value
            }
            if watch.met { print("redis (\(mode.testDescription)): served its data again \(seconds(watch.elapsed)) after kill -9") }
            #expect(watch.met, "redis did not come back with its data within 15 s\n\(report(run, "redis", watch))")
            #expect(!watch.sawState("failed"), "states seen: \(watch.states.joined(separator: " → "))")
            #expect(eventually(timeout: 10) { (try? daemon.unit("redis"))?.health == "healthy" }, "\(report(run, "redis", watch))")
            let after = try #require(try daemon.unit("redis"))
            #expect(after.restarts == restartsBefore + 1, "\(run.status("redis")); states seen: \(watch.states.joined(separator: " → "))")
            #expect(after.lastExit == "SIGKILL", "\(run.status("redis"))")
            if let pid = after.pid { run.expectInUnitCgroup("redis", [pid]) }
        }
    }
}
