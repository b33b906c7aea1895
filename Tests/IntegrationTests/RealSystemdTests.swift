import Foundation
import Testing

/// The shipped unit under a real systemd (PID 1 in a container of a private dockerd; see
/// scripts/systemd-testbed): readiness, STATUS=, reload, the watchdog, stop, and journal fields.
/// Needs root (dockerd). The image is built once (~35 s) and cached in /var/cache/supervise-testbed.
@Suite(.serialized) struct RealSystemdTests {
    @Test(.enabled(if: getuid() == 0, "needs root to run a private dockerd"), .timeLimit(.minutes(10)))
    func shippedUnitUnderRealSystemd() throws {
        let bed = try SystemdTestbed()
        defer { bed.tearDown() }
        let timings = TimingLog()

        // Install: the shipped unit as is, a drop-in with a short watchdog for this test, two workers.
        try bed.copy(SystemdUnitTests.unitFile.path, to: "/etc/systemd/system/supervise.service")
        try bed.write("/etc/systemd/system/supervise.service.d/test.conf", "[Service]\nWatchdogSec=3s\n")
        try bed.write("/etc/supervise/supervise.yaml", Self.config(workers: 2))
        try bed.ok("systemctl", "daemon-reload")

        // Start returns only after READY=1: active at once.
        var t = Date()
        try bed.ok("systemctl", "start", "supervise")
        timings.add("systemctl start", t)
        #expect(try bed.run("systemctl", "is-active", "supervise").output.trimmed == "active")
        let allRunning = { (n: Int) in "\(n) running, 0 backing off, 0 failed" }
        #expect(bed.eventually(timeout: 30) { try bed.property("StatusText") == allRunning(2) },
                "STATUS=: \((try? bed.property("StatusText")) ?? "?")")
        let status = try bed.run("systemctl", "status", "--no-pager", "supervise").output
        #expect(status.contains("Status: \"\(allRunning(2))\""), "\(status)")

        // A worker crash and its restart are in the journal with SUPERVISE_* fields.
        let crashed = try #require(try bed.workerPid(port: 18081))
        try bed.ok("kill", "-9", "\(crashed)")
        #expect(bed.eventually(timeout: 30) { try bed.workerPid(port: 18081).map { $0 != crashed } ?? false })
        #expect(bed.eventually(timeout: 30) {
            let entries = try bed.journal(unit: "worker-1")
            let exit = entries.firstIndex { $0["SUPERVISE_EVENT"] == "exit" && $0["SUPERVISE_SIGNAL"] == "SIGKILL" && $0["PRIORITY"] == "4" }
            let restart = entries.lastIndex { $0["SUPERVISE_EVENT"] == "restart" || $0["SUPERVISE_EVENT"] == "backoff" }
            let start = entries.lastIndex { $0["SUPERVISE_EVENT"] == "start" }
            return exit != nil && restart != nil && start != nil && exit! < restart! && restart! < start!
        }, "journal: \(((try? bed.journal(unit: "worker-1")) ?? []).map { "\($0["SUPERVISE_EVENT"] ?? "-") \($0["MESSAGE"] ?? "")" })")
        let output = try bed.journal(unit: "worker-1").first { $0["SUPERVISE_EVENT"] == "output" }
        #expect(output?["MESSAGE"]?.hasPrefix("worker-1[") == true && output?["SUPERVISE_PID"] != nil
                && output?["SYSLOG_IDENTIFIER"] == "supervise", "\(String(describing: output))")

        // Reload applies a changed configuration; unchanged workers are not touched.
        let before = (try bed.workerPid(port: 18081), try bed.workerPid(port: 18082))
        try bed.write("/etc/supervise/supervise.yaml", Self.config(workers: 3))
        t = Date()
        try bed.ok("systemctl", "reload", "supervise")
        #expect(bed.eventually(timeout: 30) { try bed.run("supervise", "status").output.contains(allRunning(3)) },
                "\((try? bed.run("supervise", "status").output) ?? "")")
        timings.add("reload → 3 running", t)
        #expect(try bed.workerPid(port: 18081) == before.0 && bed.workerPid(port: 18082) == before.1)
        #expect(try bed.property("ActiveState") == "active")

        // SIGSTOP freezes the daemon: systemd's watchdog aborts and restarts it; each worker keeps
        // running (KillMode=process: its calls go on), is adopted by the new daemon, and runs exactly once.
        let workersBefore = try [18081, 18082, 18083].map { try bed.workerPid(port: $0) }
        let frozen = try bed.property("MainPID")
        try bed.ok("kill", "-STOP", frozen)
        t = Date()
        #expect(bed.eventually(timeout: 60) {
            let pid = try bed.property("MainPID")
            let state = try bed.property("ActiveState")
            return pid != frozen && pid != "0" && state == "active"
        }, "daemon not restarted: \((try? bed.run("journalctl", "--no-pager", "-n", "30", "-u", "supervise").output) ?? "")")
        timings.add("SIGSTOP → restarted by watchdog", t)
        let journal = try bed.run("journalctl", "--no-pager", "-u", "supervise").output
        #expect(journal.contains("Watchdog timeout"), "\(journal.suffix(3000))")
        #expect(try bed.property("NRestarts") == "1")
        #expect(bed.eventually(timeout: 30) { try bed.run("supervise", "status").output.contains(allRunning(3)) })
        for port in [18081, 18082, 18083] {
            #expect(try bed.count("^/usr/local/bin/agent-sim --port \(port) ") == 1, "agent-sim instances on port \(port)")
        }
        #expect(try bed.count("agent-sim") == 3)
        #expect(try [18081, 18082, 18083].map { try bed.workerPid(port: $0) } == workersBefore, "workers adopted, not restarted")
        #expect(try bed.run("journalctl", "--no-pager", "-u", "supervise").output.contains("adopted, not restarted"))

        // Stop: units stopped in order, the daemon exits 0 long before TimeoutStopSec, workers gone.
        t = Date()
        try bed.ok("systemctl", "stop", "supervise")
        let stopSeconds = Date().timeIntervalSince(t)
        timings.add("systemctl stop", t)
        #expect(stopSeconds < 60, "stop took \(stopSeconds) s")
        #expect(try bed.property("ActiveState") == "inactive")
        #expect(try bed.property("Result") == "success")
        #expect(try bed.count("agent-sim") == 0)
        let last = try bed.run("journalctl", "--no-pager", "-u", "supervise", "SUPERVISE_EVENT=daemon-exit").output
        #expect(last.contains("all units stopped; exiting"), "\(last)")
        print("RealSystemdTests timings: \(timings.summary)")
    }

    static func config(workers: Int) -> String {
        var text = "state_dir: /var/lib/supervise\nunits:\n"
        for i in 1...workers {
            text += "  worker-\(i):\n    command: [/usr/local/bin/agent-sim, --port, \"\(18080 + i)\", --name, worker-\(i)]\n"
            if i == 2 { text += "    user: nobody\n    group: nogroup\n" }
        }
        return text
    }
}

/// Durations of the steps, printed at the end.
final class TimingLog: @unchecked Sendable {
    private var items: [String] = []
    func add(_ what: String, _ since: Date) { items.append(String(format: "%@ %.2f s", what, Date().timeIntervalSince(since))) }
    var summary: String { items.joined(separator: "; ") }
}

/// A private dockerd with systemd as PID 1 in one container; everything is stopped by `tearDown`.
final class SystemdTestbed: @unchecked Sendable {
    static let scripts = SystemdUnitTests.repository.appendingPathComponent("scripts/systemd-testbed").path
    static let image = "supervise-testbed:bookworm"
    static let swiftRuntime = "/opt/swift/usr/lib/swift/linux"
    let directory: String
    let socket: String
    let name = "sv-systemd-test-\(getpid())"
    private var containerStarted = false

    /// The image the testbed runs: its tag, the Debian packages added to the base image's, and the
    /// units masked in it (services those packages enable at boot).
    struct Image: Sendable {
        var tag = SystemdTestbed.image
        var packages: [String] = []
        var masked: [String] = []
        /// Only systemd, systemd-sysv and dbus besides debootstrap's minbase: no procps, no libhiredis
        /// (build-image.sh's SUPERVISE_TESTBED_PLAIN).
        var plain = false
        /// Packages whose .debs, with every dependency the image lacks, form the image's only apt
        /// source, a local one (build-image.sh's SUPERVISE_TESTBED_LOCAL_DEBS).
        var localDebs: [String] = []
    }

    /// Whether the host has the cgroup v2 hierarchy that `cgroupV2: true` needs (unified or hybrid).
    static var hostHasCgroupV2: Bool {
        ["/sys/fs/cgroup/cgroup.controllers", "/sys/fs/cgroup/unified/cgroup.controllers"]
            .contains { FileManager.default.fileExists(atPath: $0) }
    }

    /// `cgroupV2`: systemd in the container runs on a cgroup v2 hierarchy of its own
    /// (run-systemd.sh's SYSTEMD_CGROUP=unified) instead of the host's cgroup mounts.
    /// `hostBinaries`: the host's debug supervise and agent-sim, and the toolchain's Swift runtime
    /// they load, are bind-mounted read-only into the container; without them, it has no Swift at all.
    init(image: Image = Image(), cgroupV2: Bool = false, hostBinaries: Bool = true) throws {
        // Short path: the docker socket must fit in sun_path.
        directory = "/tmp/sv-systemd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socket = directory + "/docker.sock"
        do {
            // dockerd must not inherit Foundation's descriptors: Process on Linux learns that a child
            // ended when every copy of one of them is closed, so a daemon holding one would keep
            // the script "running" forever. Close everything above stderr before the script runs.
            let started = try runCommand("/bin/bash", ["-c", """
                for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
                exec "$0" "$@"
                """, "\(Self.scripts)/start-dockerd.sh", directory], timeout: 300)
            try #require(started.code == 0, "start-dockerd: \(started.output)")
            // A first build runs debootstrap: about a minute for the base image, three with daemons.
            let built = try runCommand("/usr/bin/env", [
                "SUPERVISE_TESTBED_EXTRA_PACKAGES=\(image.packages.joined(separator: ","))",
                "SUPERVISE_TESTBED_MASK_UNITS=\(image.masked.joined(separator: ","))",
                "SUPERVISE_TESTBED_PLAIN=\(image.plain ? "1" : "")",
                "SUPERVISE_TESTBED_LOCAL_DEBS=\(image.localDebs.joined(separator: ","))",
                "/bin/bash", "\(Self.scripts)/build-image.sh", socket, image.tag,
            ], timeout: 1200)
            try #require(built.code == 0, "build-image: \(built.output)")
            var mounts: [String] = []
            if hostBinaries {
                // Snapshots, so a concurrent rebuild cannot change the binaries under the test.
                for binary in [Binaries.supervise, Binaries.agentSim] {
                    let copy = directory + "/" + URL(fileURLWithPath: binary).lastPathComponent
                    try FileManager.default.copyItem(atPath: binary, toPath: copy)
                }
                mounts = ["-v", "\(directory)/supervise:/usr/local/bin/supervise:ro",
                          "-v", "\(directory)/agent-sim:/usr/local/bin/agent-sim:ro",
                          "-v", "\(Self.swiftRuntime):\(Self.swiftRuntime):ro"]
            }
            containerStarted = true
            let run = try runCommand("/usr/bin/env", [
                "SYSTEMD_CGROUP=\(cgroupV2 ? "unified" : "host")",
                "/bin/bash", "\(Self.scripts)/run-systemd.sh", socket, image.tag, name,
            ] + mounts, timeout: 180)
            try #require(run.code == 0, "run-systemd: \(run.output)")
        } catch {
            tearDown()
            throw error
        }
    }

    /// `docker exec` in the container; exit code and combined output.
    @discardableResult
    func run(_ arguments: String..., timeout: Double = 120) throws -> (code: Int32, output: String) {
        try docker(["exec", "-i", name] + arguments, timeout: timeout)
    }

    /// Like `run`, and the command must succeed.
    func ok(_ arguments: String...) throws {
        let result = try docker(["exec", name] + arguments, timeout: 120)
        try #require(result.code == 0, "\(arguments.joined(separator: " ")) exited \(result.code): \(result.output)")
    }

    func docker(_ arguments: [String], timeout: Double = 120) throws -> (code: Int32, output: String) {
        try runCommand("/usr/bin/env", ["docker", "-H", "unix://\(socket)"] + arguments, timeout: timeout)
    }

    /// Writes `text` to `path` in the container (through a host file and `docker cp`).
    func write(_ path: String, _ text: String) throws {
        let local = directory + "/upload"
        try text.write(toFile: local, atomically: true, encoding: .utf8)
        try copy(local, to: path)
    }

    func copy(_ local: String, to path: String) throws {
        try ok("mkdir", "-p", URL(fileURLWithPath: path).deletingLastPathComponent().path)
        let result = try docker(["cp", local, "\(name):\(path)"])
        try #require(result.code == 0, "docker cp: \(result.output)")
    }

    /// `systemctl show -p NAME --value supervise`.
    func property(_ property: String) throws -> String {
        try run("systemctl", "show", "-p", property, "--value", "supervise").output.trimmed
    }

    /// Processes whose command line matches `pattern` (pgrep -f).
    func count(_ pattern: String) throws -> Int {
        Int(try run("pgrep", "-c", "-f", pattern).output.trimmed) ?? -1
    }

    /// The pid of the agent-sim listening on `port`, if exactly one runs.
    func workerPid(port: Int) throws -> Int32? {
        let pids = try run("pgrep", "-f", "^/usr/local/bin/agent-sim --port \(port) ").output
            .split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        return pids.count == 1 ? pids[0] : nil
    }

    /// The supervise unit's journal entries about `unit` (SUPERVISE_UNIT=), oldest first.
    func journal(unit: String) throws -> [[String: String]] {
        let out = try run("journalctl", "--no-pager", "-o", "json", "-u", "supervise", "SUPERVISE_UNIT=\(unit)").output
        return out.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object.compactMapValues { $0 as? String }
        }
    }

    /// Polls `condition` every 250 ms (each poll is a `docker exec`) until it holds or `timeout` passes.
    func eventually(timeout: Double, _ condition: () throws -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return true }
            usleep(250_000)
        }
        return (try? condition()) == true
    }

    /// Removes the container, stops dockerd by its pid file, removes the directory once nothing is mounted under it.
    func tearDown() {
        if containerStarted { _ = try? docker(["rm", "-f", name], timeout: 60) }
        _ = try? runCommand("/bin/bash", ["\(Self.scripts)/stop-dockerd.sh", directory], timeout: 120)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        if !mounts.contains(" \(directory)/") { try? FileManager.default.removeItem(atPath: directory) }
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
