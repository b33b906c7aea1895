import Foundation
import Synchronization
import Testing

/// A private dockerd for tests, started with `scripts/systemd-testbed/start-dockerd.sh DIR` in a
/// fresh short directory (`/tmp/sv-dk-XXXXXX`) and stopped by the pid in its pidfile with
/// `stop-dockerd.sh DIR`. It never touches a system-wide daemon: the docker CLI is always called
/// with `-H unix://DIR/docker.sock`.
///
/// Use it for a whole suite with the ``Trait/privateDockerd`` trait (one daemon, started before
/// the suite's first test and stopped after its last, also when tests fail), and reach it from a
/// test as ``TestDockerDaemon/current``. Or start one yourself: `let d = try TestDockerDaemon.start()`
/// and `defer { d.stop() }`.
final class TestDockerDaemon: Sendable {
    /// The daemon of the suite being run (set by the ``Trait/privateDockerd`` trait).
    @TaskLocal static var current: TestDockerDaemon?

    let directory: String
    let socket: String
    /// Extra dockerd flags (`DOCKERD_EXTRA_ARGS` of start-dockerd.sh), e.g. `--live-restore`.
    let extraArguments: [String]
    private let stopped = Mutex(false)

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let testbed = repository + "/scripts/systemd-testbed"

    private init(directory: String, socket: String, extraArguments: [String]) {
        self.directory = directory
        self.socket = socket
        self.extraArguments = extraArguments
    }

    /// Starts a daemon (a few seconds; installs docker.io first if dockerd is missing).
    static func start(extraArguments: [String] = []) throws -> TestDockerDaemon {
        let directory = try Shell.makeTemporaryDirectory(prefix: "/tmp/sv-dk-")
        let daemon = TestDockerDaemon(directory: directory, socket: directory + "/docker.sock", extraArguments: extraArguments)
        do {
            try daemon.startEngine()
        } catch {
            daemon.stop()
            throw error
        }
        return daemon
    }

    /// Starts dockerd on this directory (again, after ``stopEngine()``: same data root).
    func startEngine() throws {
        let started = try Shell.run(Self.testbed + "/start-dockerd.sh", [directory],
                                    environment: ["DOCKERD_EXTRA_ARGS": extraArguments.joined(separator: " ")])
        guard started.status == 0 else { throw TestFailure("start-dockerd.sh failed (\(started.status)): \(started.output)") }
    }

    /// Stops only the dockerd process (SIGTERM by the pid in its pidfile, waiting up to `timeout`
    /// seconds), leaving its directory, mounts and, with `--live-restore`, its containers alone.
    func stopEngine(timeout: Double = 20) throws {
        let pidText = try String(contentsOfFile: directory + "/dockerd.pid", encoding: .utf8)
        guard let pid = pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("no pid in \(directory)/dockerd.pid: \(pidText)")
        }
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard comm == "dockerd" else { throw TestFailure("pid \(pid) is \(comm ?? "gone"), not dockerd") }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while kill(pid, 0) == 0, Date() < deadline { usleep(50_000) }
        guard kill(pid, 0) != 0 else { throw TestFailure("dockerd \(pid) still running \(timeout)s after SIGTERM") }
    }

    /// Removes every container, stops the daemon and deletes its directory. Idempotent.
    func stop() {
        guard stopped.withLock({ done in defer { done = true }; return !done }) else { return }
        // A test that stopped the engine (containers kept by --live-restore) and failed before
        // starting it again: start it, so that its containers can be removed.
        if (try? docker(["info", "--format", "{{.ID}}"])) == nil { try? startEngine() }
        if let ids = try? docker(["ps", "-aq"]).split(whereSeparator: \.isWhitespace), !ids.isEmpty {
            _ = try? docker(["rm", "-f"] + ids.map(String.init))
        }
        _ = try? Shell.run(Self.testbed + "/stop-dockerd.sh", [directory])
        _ = try? Shell.run("/bin/rm", ["-rf", "--one-file-system", directory])
    }

    /// Runs the docker CLI against this daemon; returns its trimmed stdout or throws with its output.
    @discardableResult
    func docker(_ arguments: [String]) throws -> String {
        let result = try Shell.run("/usr/bin/env", ["docker", "-H", "unix://" + socket] + arguments, separateStderr: true)
        guard result.status == 0 else {
            throw TestFailure("docker \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output) \(result.error)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The busybox test image (`supervise-busybox:test`), imported on first use from a rootfs
    /// holding only the static busybox and its applet links.
    func busyboxImage() throws -> String {
        let tag = "supervise-busybox:test"
        if (try? docker(["image", "inspect", tag])) != nil { return tag }
        var busybox = "/bin/busybox"
        if !FileManager.default.isExecutableFile(atPath: busybox) {
            let install = try Shell.run("/usr/bin/env", ["apt-get", "install", "-y", "-qq", "busybox-static"],
                                        environment: ["DEBIAN_FRONTEND": "noninteractive"])
            guard install.status == 0 else { throw TestFailure("apt-get install busybox-static: \(install.output)") }
            busybox = "/bin/busybox"
        }
        let script = """
            set -e
            root=$(mktemp -d /tmp/sv-dk-rootfs-XXXXXX)
            trap 'rm -rf "$root"' EXIT
            mkdir -p "$root/bin" "$root/etc" "$root/tmp"
            cp "\(busybox)" "$root/bin/busybox"
            for applet in $("$root/bin/busybox" --list); do
              [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
            done
            tar -C "$root" -c . | docker -H "unix://\(socket)" import --change 'CMD ["/bin/sh"]' - \(tag) >/dev/null
            """
        let result = try Shell.run("/bin/bash", ["-c", script])
        guard result.status == 0 else { throw TestFailure("importing the busybox image failed: \(result.output)") }
        return tag
    }

    /// `docker run -d --network none [arguments] IMAGE command...`; returns the container id.
    func runContainer(_ arguments: [String] = [], command: [String] = ["sleep", "1000"]) throws -> String {
        let image = try busyboxImage()
        return try docker(["run", "-d", "--network", "none"] + arguments + [image] + command)
    }

    /// `docker rm -f ID`, ignoring failures (for cleanup paths).
    func remove(_ id: String) { _ = try? docker(["rm", "-f", id]) }
}

/// One dockerd for a whole suite: started before its first test, stopped after its last.
struct PrivateDockerdTrait: SuiteTrait, TestScoping {
    var extraArguments: [String] = []

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let daemon = try TestDockerDaemon.start(extraArguments: extraArguments)
        defer { daemon.stop() }
        try await TestDockerDaemon.$current.withValue(daemon) { try await function() }
    }
}

extension Trait where Self == PrivateDockerdTrait {
    /// Runs the suite against a private dockerd (``TestDockerDaemon/current``).
    static var privateDockerd: Self { PrivateDockerdTrait() }

    /// Runs the suite against a private dockerd started with these extra flags (`--live-restore`).
    static func privateDockerd(_ extraArguments: [String]) -> Self { PrivateDockerdTrait(extraArguments: extraArguments) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
