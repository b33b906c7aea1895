import Foundation
import SuperviseControl
import SuperviseCore
import Testing

/// How the daemon under test contains a unit's processes (issue 12).
enum ContainmentMode: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// Each unit in its own cgroup v2 cgroup, `ROOT/units/NAME`, below a subtree the test mounted
    /// itself and hands over with `--cgroup-root ROOT`.
    case cgroup
    /// No cgroups (`--no-cgroups`): the unit's process group plus the processes the daemon, a
    /// subreaper, learns about.
    case processGroup

    var testDescription: String { self == .cgroup ? "cgroup v2" : "no cgroups" }

    /// `SUPERVISE_TEST_CONTAINMENT_FLAGS=0` starts the daemon without `--cgroup-root`/`--no-cgroups`,
    /// for a daemon that does not know them yet: the fixtures then still run, and the containment
    /// checks show what such a daemon leaves behind. The cgroup is mounted and checked either way.
    static var passesFlags: Bool { ProcessInfo.processInfo.environment["SUPERVISE_TEST_CONTAINMENT_FLAGS"] != "0" }
}

/// One real-daemon test's world: a private directory for the fixtures' files, in cgroup mode a cgroup2
/// mount of the test's own, the `supervise run` daemon, and a tracker of every process the test saw.
/// `finish()` runs on every path: it stops what the test started, stops the daemon, kills by pid
/// whatever the daemon left alive (and records that as an issue: a stopped daemon leaves nothing),
/// removes the cgroups and the directory.
final class RealDaemonRun: @unchecked Sendable {
    let mode: ContainmentMode
    let directory: URL
    let cgroups: TestCgroupHierarchy?
    let tracker = ProcessTracker()
    private(set) var daemon: DaemonHarness?
    private var cleanups: [() -> Void] = []
    private var afterDaemon: [() -> Void] = []
    private var finished = false

    init(_ mode: ContainmentMode) throws {
        self.mode = mode
        directory = makeTemporaryDirectory("supervise-realdaemon")
        // Daemons that drop root (postgres, redis) must reach their files below it.
        chmod(directory.path, 0o755)
        if mode == .cgroup {
            do { cgroups = try TestCgroupHierarchy() } catch {
                try? FileManager.default.removeItem(at: directory)
                throw error
            }
        } else {
            cgroups = nil
        }
    }

    /// `supervise run`'s options for this mode.
    var daemonArguments: [String] {
        guard ContainmentMode.passesFlags else { return [] }
        switch mode {
        case .cgroup: return ["--cgroup-root", cgroups!.root]
        case .processGroup: return ["--no-cgroups"]
        }
    }

    /// Starts `supervise run` with `config` and waits for its control socket.
    @discardableResult
    func startDaemon(config: String) throws -> DaemonHarness {
        let harness = try DaemonHarness(config: config, arguments: daemonArguments, start: false)
        daemon = harness
        try harness.launch()
        tracker.note(harness.pid)
        // Up when the control socket answers; a daemon that exits (a config it refuses, an option it
        // does not know) ends the test at once with what it said.
        let up = eventually(timeout: 15) {
            harness.process?.process.isRunning != true || (try? harness.client.request("GET", "/v1/units"))?.status == 200
        }
        guard up, let process = harness.process, process.process.isRunning else {
            let exit = harness.process?.waitForExit(timeout: 2).map { "exited \($0)" } ?? "did not answer within 15 s"
            let options = daemonArguments.isEmpty ? "(no containment option)" : daemonArguments.joined(separator: " ")
            throw FixtureFailure(description: "supervise run \(options) \(exit):\n\(harness.output)")
        }
        return harness
    }

    /// Runs `body` first thing in `finish()` (last registered, first run): stops what the test started.
    func onFinish(_ body: @escaping () -> Void) { cleanups.append(body) }

    /// Runs `body` in `finish()` once the daemon is stopped and its leftovers killed, before the
    /// directory is removed.
    func afterDaemonStopped(_ body: @escaping () -> Void) { afterDaemon.append(body) }

    /// A fresh subdirectory of the run's directory.
    func subdirectory(_ name: String) -> URL {
        let url = directory.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    // MARK: - What the daemon says

    /// One line about `unit`: state, pid, restarts, health, last exit, reason.
    func status(_ unit: String) -> String {
        guard let daemon else { return "no daemon" }
        guard let u = try? daemon.unit(unit) else { return "no status for \(unit) (daemon \(daemon.process?.process.isRunning == true ? "running" : "gone"))" }
        return "\(u.name): \(u.state), pid \(u.pid.map(String.init) ?? "-"), restarts \(u.restarts), health \(u.health ?? "-"), "
            + "ready \(u.ready.map { "\($0)" } ?? "-"), last exit \(u.lastExit ?? "-"), reason \(u.reason ?? "-")"
    }

    /// The last `count` lines of the daemon's output that contain any of `needles`.
    func log(_ needles: [String], last count: Int = 30) -> String {
        let lines = (daemon?.output ?? "").split(separator: "\n").filter { line in needles.contains { line.contains($0) } }
        return lines.suffix(count).joined(separator: "\n")
    }

    /// Lines of the daemon's output containing `needle`.
    func logCount(_ needle: String) -> Int {
        (daemon?.output ?? "").split(separator: "\n").filter { $0.contains(needle) }.count
    }

    /// Polls `unit`'s status every 20 ms until `condition` (given that status, nil when there is none)
    /// holds or `timeout` passes, keeping every state (with its reason) it went through, in order.
    func watch(_ unit: String, timeout: Double, until condition: (UnitStatus?) -> Bool) -> Watch {
        let start = Date()
        var seen: [String] = []
        var met = false
        while true {
            let status = try? daemon?.unit(unit)
            if let u = status {
                let entry = u.reason.map { "\(u.state) (\($0))" } ?? u.state
                if seen.last != entry { seen.append(entry) }
            }
            if condition(status) { met = true; break }
            if Date().timeIntervalSince(start) > timeout { break }
            usleep(20_000)
        }
        return Watch(met: met, elapsed: Date().timeIntervalSince(start), states: seen)
    }

    struct Watch {
        var met: Bool
        var elapsed: Double
        /// Each distinct `state (reason)` seen, in order.
        var states: [String]

        func sawState(_ state: String) -> Bool { states.contains { $0 == state || $0.hasPrefix(state + " (") } }
    }

    // MARK: - Containment checks

    /// In cgroup mode: every pid of `pids` is in `ROOT/units/UNIT`, and the daemon in `ROOT/daemon`.
    func expectInUnitCgroup(_ unit: String, _ pids: [Int32], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let cgroups else { return }
        let path = cgroups.unitPath(unit)
        let wherePids = pids.prefix(6).map { "\n  \($0) in \(TestCgroupHierarchy.cgroupOf($0) ?? "?"): \(ProcFS.commandLine($0))" }.joined()
            + (pids.count > 6 ? "\n  … (\(pids.count) processes)" : "")
        guard let procs = cgroups.procs(path) else {
            Issue.record("no cgroup \(cgroups.relative(path)) for unit \(unit); its processes are in:\(wherePids)",
                         sourceLocation: sourceLocation)
            return
        }
        // A process that ended since it was listed (a short-lived backend, now a zombie or gone) is in no cgroup.
        let missing = pids.filter { pid in !procs.contains(pid) && (ProcFS.stat(pid).map { $0.state != "Z" && $0.state != "X" } ?? false) }
        #expect(missing.isEmpty, "not in \(cgroups.relative(path))/cgroup.procs (\(procs)):\(wherePids)", sourceLocation: sourceLocation)
        if let daemon {
            let expected = cgroups.relative(cgroups.root + "/daemon")
            let actual = TestCgroupHierarchy.cgroupOf(daemon.pid) ?? "?"
            #expect(actual == expected, "the daemon is in \(actual), expected \(expected)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Cleanup

    /// Stops everything; records what the daemon's own shutdown left alive. Safe to call twice.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        guard !finished else { return }
        finished = true
        for body in cleanups.reversed() { body() }
        if let daemon {
            if daemon.pid > 0 { tracker.noteTree(daemon.pid) }
            let output = daemon.output
            daemon.stop()
            let left = tracker.sweep().filter { $0.pid != daemon.pid }
            if !left.isEmpty {
                let lastLines = output.split(separator: "\n").suffix(6).joined(separator: "\n")
                Issue.record("the daemon's shutdown left \(left.count) processes of the test alive (killed now): \(left)\ndaemon output (last lines):\n\(lastLines)",
                             sourceLocation: sourceLocation)
            }
        } else {
            tracker.sweep()
        }
        for body in afterDaemon.reversed() { body() }
        if let cgroups {
            let left = cgroups.remove()
            if !left.isEmpty { print("cleanup: killed what was left in the test's cgroups: \(left)") }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { finish() }
}

/// A YAML double-quoted scalar (for one-line strings).
func yamlQuoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// A YAML flow list of quoted strings.
func yamlList(_ items: [String]) -> String { "[" + items.map(yamlQuoted).joined(separator: ", ") + "]" }

/// The unit's status line and its log lines, for a failure message.
func report(_ run: RealDaemonRun, _ unit: String, _ watch: RealDaemonRun.Watch? = nil) -> String {
    var text = "status: \(run.status(unit))"
    if let watch { text += "\nstates seen: \(watch.states.joined(separator: " → "))" }
    text += "\ndaemon output about \(unit) (last lines):\n\(run.log([" \(unit): ", " \(unit)["], last: 15))"
    return text
}

/// A fixture could not be set up.
struct FixtureFailure: Error, CustomStringConvertible {
    var description: String
}

/// A daemon binary a fixture needs is not installed.
struct FixtureMissing: Error, CustomStringConvertible {
    var what: String
    var package: String
    var description: String { "\(what) is not installed: scripts/setup.sh installs Debian's \(package)" }
}

