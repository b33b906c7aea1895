import Foundation
import Testing

/// The drop-ins in units/dropins/ under a real systemd, with Debian's PostgreSQL, Redis and nginx
/// supervised by the shipped unit, and the unit's delegated cgroup on cgroup v2. Part of
/// `RealSystemdTests`, so they run one at a time with its other tests.
extension RealSystemdTests {
    /// The base image plus the three daemons; the services their packages enable are masked, as an
    /// operator disables them before handing the daemons to supervise.
    static let daemonsImage = SystemdTestbed.Image(
        tag: "supervise-testbed:bookworm-daemons",
        packages: ["postgresql", "redis-server", "nginx-light"],
        masked: ["postgresql.service", "redis-server.service", "nginx.service"])
    static let dropIns = SystemdUnitTests.repository.appendingPathComponent("units/dropins")

    /// Each daemon as the drop-ins' comments configure it, on its stock paths. `redis-journal` is a
    /// second Redis that logs to stdout (so it starts without the drop-in, and shows MISCONF); it
    /// cannot write its last snapshot on SIGTERM without the drop-in and then refuses to exit, so its
    /// stop_timeout is short. PostgreSQL's dynamic shared memory is POSIX (/dev/shm), as initdb
    /// picks on a host (the image's cluster, made in debootstrap's chroot, has System V; the server
    /// still takes a System V segment of its own). nginx listens on 127.0.0.1:80 (below 1024, as root).
    static let daemonsConfig = """
        state_dir: /var/lib/supervise
        units:
          postgresql:
            command: [/usr/lib/postgresql/15/bin/postgres, -D, /var/lib/postgresql/15/main,
                      -c, config_file=/etc/postgresql/15/main/postgresql.conf, -c, dynamic_shared_memory_type=posix]
            user: postgres
            stop_signal: SIGINT
            stop_timeout: 60s
          redis:
            command: [/usr/bin/redis-server, /etc/redis/redis.conf, --daemonize, "no"]
            user: redis
            stop_timeout: 60s
          redis-journal:
            command: [/usr/bin/redis-server, /etc/redis/redis.conf, --daemonize, "no", --logfile, "",
                      --port, "6380", --dbfilename, dump-6380.rdb, --pidfile, /run/redis/redis-6380.pid]
            user: redis
            stop_timeout: 2s
          nginx:
            command: [/usr/sbin/nginx, -g, "daemon off;"]
            stop_signal: SIGQUIT
            stop_timeout: 30s

        """

    /// Without a drop-in each daemon fails on the read-only file system; each drop-in, added one at
    /// a time, makes its daemon work (and only its own), as an operator would: copy, daemon-reload,
    /// restart supervise, start the units that gave up.
    @Test(.enabled(if: getuid() == 0, "needs root to run a private dockerd"), .timeLimit(.minutes(20)))
    func dropInsOpenTheSandboxForPostgresqlRedisAndNginx() throws {
        let bed = try SystemdTestbed(image: Self.daemonsImage)
        defer { bed.tearDown() }
        let timings = TimingLog()
        try bed.copy(SystemdUnitTests.unitFile.path, to: "/etc/systemd/system/supervise.service")
        try bed.write("/etc/supervise/supervise.yaml", Self.daemonsConfig)
        try bed.write("/etc/nginx/sites-enabled/default", """
            server {
                listen 127.0.0.1:80 default_server;
                root /var/www/html;
                index index.nginx-debian.html;
            }

            """)
        try bed.ok("systemctl", "daemon-reload")
        let errors = [
            "postgresql": "could not create lock file \"postmaster.pid\": Read-only file system",
            "redis": "Can't open the log file: Read-only file system",
            "nginx": "Read-only file system",
        ]
        /// The unit gave up after failing again with its error since `before` (occurrences so far).
        func failsAgain(_ unit: String, after before: Int) -> Bool {
            bed.eventually(timeout: 30) {
                try bed.outputCount(unit: unit, containing: errors[unit]!) > before && bed.unitState(unit) == "failed"
            }
        }

        // No drop-in: PostgreSQL, Redis (stock log file) and nginx exit at once and give up; the
        // Redis logging to stdout runs, but its snapshot fails and then every write is refused.
        var t = Date()
        try bed.ok("systemctl", "start", "supervise")
        for unit in ["postgresql", "redis", "nginx"] {
            #expect(failsAgain(unit, after: 0), "\(unit): \(bed.outputs(unit: unit).suffix(1500))")
        }
        #expect(bed.eventually(timeout: 30) { try bed.unitState("redis-journal") == "running" })
        #expect(try bed.redis(6380, "set", "k", "v") == "OK")
        #expect(try bed.redis(6380, "bgsave").contains("Background saving started"))
        #expect(bed.eventually(timeout: 30) {
            let info = try bed.redis(6380, "info", "persistence")
            return info.contains("rdb_bgsave_in_progress:0") && info.contains("rdb_last_bgsave_status:err")
        }, "\((try? bed.redis(6380, "info", "persistence")) ?? "")")
        #expect(try bed.redis(6380, "set", "k", "w").hasPrefix("MISCONF"))
        #expect(bed.outputs(unit: "redis-journal").contains("Failed opening the temp RDB file temp-"))
        #expect(try bed.httpGet().hasPrefix("HTTP/") == false)
        timings.add("without drop-ins", t)

        // postgresql.conf: PostgreSQL accepts connections and writes; Redis and nginx still fail.
        var failures = ["redis": 0, "nginx": 0]
        for unit in failures.keys { failures[unit] = try bed.outputCount(unit: unit, containing: errors[unit]!) }
        t = Date()
        try bed.addDropIn("postgresql.conf")
        #expect(bed.eventually(timeout: 60) { try bed.unitState("postgresql") == "running" })
        #expect(bed.eventually(timeout: 30) {
            try bed.run("pg_isready", "-h", "/run/postgresql", "-p", "5432", "-U", "postgres").output.contains("accepting connections")
        }, "\(bed.outputs(unit: "postgresql").suffix(1500))")
        let sum = try bed.run("runuser", "-u", "postgres", "--", "psql", "-h", "/run/postgresql", "-Atc",
                              "create table t (x int); insert into t values (41), (1); select sum(x) from t")
        #expect(sum.code == 0 && sum.output.trimmed.hasSuffix("42"), "\(sum.output)")
        #expect(try bed.run("ls", "/dev/shm").output.contains("PostgreSQL."), "POSIX shared memory segment")
        for unit in ["redis", "nginx"] {
            #expect(failsAgain(unit, after: failures[unit]!), "\(unit): \(bed.outputs(unit: unit).suffix(1500))")
        }
        timings.add("+ postgresql.conf", t)

        // redis.conf: both Redis snapshot to /var/lib/redis, the stock one logs to /var/log/redis and
        // writes its pid file to /run/redis; writes are accepted again. nginx still fails.
        failures["nginx"] = try bed.outputCount(unit: "nginx", containing: errors["nginx"]!)
        t = Date()
        try bed.addDropIn("redis.conf")
        for (unit, port) in [("redis", 6379), ("redis-journal", 6380)] {
            #expect(bed.eventually(timeout: 60) { try bed.unitState(unit) == "running" && bed.redis(port, "ping") == "PONG" },
                    "\(unit): \(bed.outputs(unit: unit).suffix(1500))")
            #expect(try bed.redis(port, "set", "k", "v") == "OK")
            #expect(try bed.redis(port, "bgsave").contains("Background saving started"))
            #expect(bed.eventually(timeout: 30) {
                let info = try bed.redis(port, "info", "persistence")
                return info.contains("rdb_bgsave_in_progress:0") && info.contains("rdb_last_bgsave_status:ok")
            }, "\(unit): \((try? bed.redis(port, "info", "persistence")) ?? "")")
        }
        #expect(try bed.run("test", "-s", "/var/lib/redis/dump.rdb").code == 0)
        #expect(try bed.run("test", "-s", "/var/lib/redis/dump-6380.rdb").code == 0)
        #expect(try bed.run("cat", "/var/log/redis/redis-server.log").output.contains("Ready to accept connections"))
        #expect(try bed.run("cat", "/run/redis/redis-server.pid").output.trimmed == bed.unitPid("redis").map(String.init))
        #expect(failsAgain("nginx", after: failures["nginx"]!), "\(bed.outputs(unit: "nginx").suffix(1500))")
        timings.add("+ redis.conf", t)

        // nginx.conf: nginx serves on 127.0.0.1:80, logs the request, and its pid file holds the master.
        t = Date()
        try bed.addDropIn("nginx.conf")
        #expect(bed.eventually(timeout: 60) { try bed.unitState("nginx") == "running" && bed.httpGet().hasPrefix("HTTP/1.1 200") },
                "\(bed.outputs(unit: "nginx").suffix(1500))")
        #expect(try bed.httpGet().contains("Welcome to nginx!"))
        #expect(bed.eventually(timeout: 10) {
            try bed.run("cat", "/var/log/nginx/access.log").output.contains("\"GET / HTTP/1.0\" 200")
        })
        #expect(try bed.run("cat", "/run/nginx.pid").output.trimmed == bed.unitPid("nginx").map(String.init))
        #expect(try bed.run("supervise", "status").output.contains("4 running, 0 backing off, 0 failed"))
        timings.add("+ nginx.conf", t)

        // Stop: every daemon shuts down cleanly (PostgreSQL removes its lock file, Redis saves).
        t = Date()
        try bed.ok("systemctl", "stop", "supervise")
        timings.add("systemctl stop", t)
        #expect(try bed.property("Result") == "success")
        #expect(try bed.count("postgres|redis-server|nginx") == 0)
        #expect(try bed.run("test", "-e", "/var/lib/postgresql/15/main/postmaster.pid").code != 0)
        #expect(bed.outputs(unit: "redis-journal").contains("DB saved on disk"))
        print("RealSystemdTests drop-in timings: \(timings.summary)")
    }

    /// The shipped unit's Delegate=yes on a cgroup v2 hierarchy: the daemon runs in cgroup mode, in
    /// `supervise.service/daemon`, each unit in `supervise.service/units/NAME`; from inside the
    /// service's sandbox (a root unit shares the daemon's mount namespace) the delegated cgroup can be
    /// written (make a child, move a process into it, write cgroup.subtree_control) while the rest of
    /// the cgroup tree stays read-only (ProtectControlGroups=yes). The host here mounts cgroup v1, so the container's
    /// systemd gets a cgroup2 hierarchy of its own (run-systemd.sh, SYSTEMD_CGROUP=unified).
    @Test(.enabled(if: getuid() == 0, "needs root to run a private dockerd"),
          .enabled(if: SystemdTestbed.hostHasCgroupV2, "needs a cgroup v2 hierarchy (unified or hybrid host)"),
          .timeLimit(.minutes(10)))
    func shippedUnitGetsAWritableDelegatedCgroupOnCgroupV2() throws {
        let bed = try SystemdTestbed(cgroupV2: true)
        defer { bed.tearDown() }
        #expect(try bed.run("stat", "-fc", "%T", "/sys/fs/cgroup").output.trimmed == "cgroup2fs")
        try bed.copy(SystemdUnitTests.unitFile.path, to: "/etc/systemd/system/supervise.service")
        // What the daemon will do with its cgroup, done by a root unit: each step prints its result.
        let probe = #"""
            cg=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
            echo "cgroup $cg"
            mkdir "$cg/probe" && echo mkdir-ok
            echo $$ > "$cg/probe/cgroup.procs" && echo move-ok
            echo "now $(sed -n 's/^0:://p' /proc/self/cgroup)"
            echo > "$cg/cgroup.subtree_control" && echo subtree-control-ok
            echo $$ > "$cg/cgroup.procs" && rmdir "$cg/probe" && echo back-ok
            mkdir /sys/fs/cgroup/system.slice/elsewhere 2>&1 || echo elsewhere-refused
            exec sleep 1000
            """#
        try bed.write("/usr/local/bin/cgroup-probe", probe)
        try bed.write("/etc/supervise/supervise.yaml", """
            state_dir: /var/lib/supervise
            units:
              cgroup-probe:
                command: [/bin/sh, /usr/local/bin/cgroup-probe]

            """)
        try bed.ok("systemctl", "daemon-reload")
        try bed.ok("systemctl", "start", "supervise")
        let service = "/sys/fs/cgroup/system.slice/supervise.service"
        #expect(try bed.property("ControlGroup") == "/system.slice/supervise.service")
        #expect(try bed.property("Delegate") == "yes")
        #expect(try bed.run("stat", "-c", "%U %F", service).output.trimmed == "root directory")
        let steps = ["cgroup \(service)/units/cgroup-probe", "mkdir-ok", "move-ok",
                     "now /system.slice/supervise.service/units/cgroup-probe/probe",
                     "subtree-control-ok", "back-ok", "Read-only file system", "elsewhere-refused"]
        #expect(bed.eventually(timeout: 30) { let out = bed.outputs(unit: "cgroup-probe"); return steps.allSatisfy { out.contains($0) } },
                "\(bed.outputs(unit: "cgroup-probe"))")
        // The daemon took cgroup containment, moved itself into its leaf, and says so.
        let mainPid = try bed.property("MainPID")
        #expect(try bed.run("cat", "/proc/\(mainPid)/cgroup").output.contains("0::/system.slice/supervise.service/daemon"))
        let status = try bed.run("supervise", "status").output
        #expect(status.contains("containment: cgroup v2, one cgroup per unit under \(service)/units"), "\(status)")
        // systemd runs ExecReload= in a `.control` child of the delegated cgroup (the unit says so).
        try bed.ok("systemctl", "reload", "supervise")
        #expect(try bed.run("test", "-d", "\(service)/.control").code == 0)
        // Stopped, the subtree is gone.
        try bed.ok("systemctl", "stop", "supervise")
        #expect(try bed.property("Result") == "success")
        #expect(bed.eventually(timeout: 10) { try bed.run("test", "-e", service).code != 0 })
    }
}

extension SystemdTestbed {
    /// Copies units/dropins/NAME into supervise.service.d, restarts the service (a reload does not
    /// change its sandbox) and starts the units that gave up, which stay failed across a restart.
    func addDropIn(_ name: String) throws {
        try copy(RealSystemdTests.dropIns.appendingPathComponent(name).path,
                 to: "/etc/systemd/system/supervise.service.d/\(name)")
        try ok("systemctl", "daemon-reload")
        try ok("systemctl", "restart", "supervise")
        for unit in try run("supervise", "status").output.split(separator: "\n")
            where unit.split(separator: " ").dropFirst(2).first == "failed" {
            try ok("supervise", "start", String(unit.split(separator: " ")[0]))
        }
    }

    /// The unit's state from `supervise status NAME --json`.
    func unitState(_ unit: String) throws -> String? {
        try unitRecord(unit)?["state"] as? String
    }

    func unitPid(_ unit: String) throws -> Int? {
        (try unitRecord(unit)?["pid"] as? NSNumber)?.intValue
    }

    /// `supervise status NAME --json`: the control API's record of one unit.
    private func unitRecord(_ unit: String) throws -> [String: Any]? {
        let out = try run("supervise", "status", unit, "--json").output
        return try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
    }

    /// The unit's own output in the journal (SUPERVISE_EVENT=output), one message a line.
    func outputs(unit: String) -> String {
        ((try? journal(unit: unit)) ?? []).filter { $0["SUPERVISE_EVENT"] == "output" }
            .compactMap { $0["MESSAGE"] }.joined(separator: "\n")
    }

    /// Lines of the unit's output that contain `text`.
    func outputCount(unit: String, containing text: String) throws -> Int {
        try journal(unit: unit).filter { $0["SUPERVISE_EVENT"] == "output" && $0["MESSAGE"]?.contains(text) == true }.count
    }

    /// One redis-cli command against 127.0.0.1:PORT; its reply, trimmed.
    func redis(_ port: Int, _ arguments: String...) throws -> String {
        try docker(["exec", name, "redis-cli", "-h", "127.0.0.1", "-p", "\(port)"] + arguments).output.trimmed
    }

    /// GET / from 127.0.0.1:80 inside the container (bash's /dev/tcp: no curl in the image); the
    /// raw response, or bash's error.
    func httpGet() throws -> String {
        try run("bash", "-c", #"exec 3<>/dev/tcp/127.0.0.1/80 && printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && cat <&3"#,
                timeout: 20).output
    }
}
