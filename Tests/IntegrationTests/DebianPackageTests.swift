import AgentSimClient
import Foundation
import SuperviseBuildInfo
import SuperviseControl
import SuperviseHTTPClient
import Testing

/// The Debian package (`make deb`) where it will run: a fresh Debian 12 root file system with no
/// Swift in it (debootstrap minbase with systemd, systemd-sysv and dbus, nothing bind-mounted from
/// the host), systemd as PID 1 in a private dockerd (scripts/systemd-testbed). The package's
/// dependencies come from a local apt repository in the image (the host downloads the .debs its
/// Depends and Recommends name when the image is built; the container has no network), so
/// `apt-get install ./supervise_*.deb` resolves them from the package's own fields.
///
/// Needs root, `.build/deb/supervise_*.deb` (`make deb`) and a static agent-sim
/// (`swift build -c release --static-swift-stdlib --product agent-sim`); scripts/test.sh builds both.
/// The first run builds the image (debootstrap, about a minute) and caches its tarball in
/// /var/cache/supervise-testbed, as the other systemd tests do.
@Suite(.serialized) struct DebianPackageTests {
    static let repository = SystemdUnitTests.repository
    static let debDirectory = repository.appendingPathComponent(".build/deb")
    static let agentSimPath = repository.appendingPathComponent(".build/release/agent-sim").path
    static let ports = [18081, 18082]

    @Test(.enabled(if: getuid() == 0, "needs root to run a private dockerd"), .timeLimit(.minutes(20)))
    func installUpgradeAndPurgeOnPlainDebian() throws {
        let timings = TimingLog()
        var t = Date()
        let package = try DebianPackage.built(in: Self.debDirectory)
        #expect(package.version == superviseVersion, "the package's version is VERSION's")
        let agentSim = try #require(Self.staticAgentSim(), "build a static agent-sim first (scripts/test.sh does)")
        // Dependencies by name: the first of each alternative, without version constraints. bash-completion
        // is what an interactive shell loads completions with.
        let local = (try package.field("Depends") + ", " + package.field("Recommends")).packageNames + ["bash-completion"]
        let bed = try SystemdTestbed(image: .init(tag: "supervise-testbed:bookworm-plain", plain: true, localDebs: local),
                                     hostBinaries: false)
        defer { bed.tearDown() }
        timings.add("dockerd, image and boot", t)

        // A host without Swift.
        #expect(try bed.run("sh", "-c", "ls -d /opt/swift /usr/lib/swift /usr/share/swift 2>/dev/null; " +
                            "find / -xdev -name 'libswiftCore*' 2>/dev/null").output.trimmed == "")

        // Install from the file: apt resolves the Depends from the local repository.
        try bed.copy(package.path, to: "/root/\(package.fileName)")
        t = Date()
        try bed.ok("apt-get", "update", "-qq")
        let install = try bed.run("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q",
                                  "/root/\(package.fileName)", timeout: 300)
        try #require(install.code == 0, "apt-get install: \(install.output)")
        timings.add("apt-get install", t)
        #expect(try bed.run("systemctl", "is-active", "supervise").output.trimmed == "active")
        #expect(try bed.run("systemctl", "is-enabled", "supervise").output.trimmed == "enabled")
        let ldd = try bed.run("ldd", "/usr/bin/supervise").output
        #expect(!ldd.contains("not found") && !ldd.contains("libswift") && !ldd.contains("libFoundation"), "\(ldd)")
        let version = try bed.run("supervise", "version").output.trimmed
        #expect(version == "supervise \(superviseVersion) (commit \(BuildInfo.commit))", "\(version)")
        // The package puts it in /usr/lib/systemd/system; Debian 12's merged /usr makes /lib the same directory, and
        // systemd names it by the path it searched first.
        #expect(["/usr/lib/systemd/system/supervise.service", "/lib/systemd/system/supervise.service"]
            .contains(try bed.run("systemctl", "show", "-p", "FragmentPath", "--value", "supervise").output.trimmed))
        #expect(try bed.run("dpkg", "-S", "/usr/lib/systemd/system/supervise.service").code == 0)
        #expect(try bed.run("dpkg-query", "-W", "-f", "${Conffiles}", "supervise").output.contains("/etc/supervise/supervise.yaml"))

        // The operator's configuration: two workers (the static agent-sim copied in, not mounted).
        try bed.copy(agentSim, to: "/usr/local/bin/agent-sim")
        let edited = Self.config
        try bed.write("/etc/supervise/supervise.yaml", edited)
        try bed.ok("systemctl", "reload", "supervise")
        let allRunning = "2 running, 0 backing off, 0 failed"
        #expect(bed.eventually(timeout: 30) { try bed.property("StatusText") == allRunning },
                "STATUS=: \((try? bed.property("StatusText")) ?? "?")")

        // kill -9 of a worker: supervised, restarted.
        let crashed = try #require(try bed.workerPid(port: 18081))
        try bed.ok("kill", "-9", "\(crashed)")
        #expect(bed.eventually(timeout: 30) { try bed.workerPid(port: 18081).map { $0 != crashed } ?? false })
        #expect(bed.eventually(timeout: 30) { try bed.property("StatusText") == allRunning })

        // Man pages render, for the command and each subcommand.
        for page in ["supervise", "supervise-drain"] {
            let man = try bed.run("env", "MANPAGER=cat", "MANWIDTH=100", "man", page)
            #expect(man.code == 0 && man.output.contains("SYNOPSIS") && man.output.contains(page.replacingOccurrences(of: "-", with: " ")),
                    "man \(page): \(man.output.prefix(2000))")
        }
        // A page for supervise and one for each subcommand (help included) its parser describes, nested ones too
        // (supervise-export-kubernetes). Into a file, read once the command has exited: a pipe's output can arrive
        // after the exit on a loaded machine, and a JSON document cut short is no count at all.
        let dumpFile = bed.directory + "/dump-help.json"
        let dump = try runCommand("/bin/sh", ["-c", "exec \"$0\" --experimental-dump-help > \"$1\"", Binaries.supervise, dumpFile])
        try #require(dump.code == 0, "supervise --experimental-dump-help: \(dump.output)")
        let tool = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dumpFile))) as? [String: Any]
        func commands(_ command: [String: Any]?) -> Int {
            1 + ((command?["subcommands"] as? [[String: Any]]) ?? []).map(commands).reduce(0, +)
        }
        let root = tool?["command"] as? [String: Any]
        let subcommands = ((root?["subcommands"] as? [Any])?.count ?? 0)
        #expect(subcommands >= 11)
        #expect(try bed.run("sh", "-c", "ls /usr/share/man/man1 | grep -c '^supervise'").output.trimmed == "\(commands(root))")
        #expect(try bed.run("test", "-s", "/usr/share/man/man1/supervise-export-kubernetes.1.gz").code == 0)

        // Completions: bash loads them the way an interactive shell does (with bash-completion), and completes a
        // subcommand.
        try bed.ok("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "bash-completion")
        let completion = try bed.run("bash", "-c", """
            source /usr/share/bash-completion/bash_completion
            source /usr/share/bash-completion/completions/supervise
            complete -p supervise
            COMP_WORDS=(supervise dra); COMP_CWORD=1; COMP_LINE='supervise dra'; COMP_POINT=${#COMP_LINE}
            func=$(complete -p supervise | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')
            "$func" supervise dra supervise
            echo "COMPREPLY: ${COMPREPLY[*]}"
            """)
        #expect(completion.code == 0 && completion.output.contains("-F _supervise supervise") && completion.output.contains("COMPREPLY: drain"),
                "\(completion.output)")
        #expect(try bed.run("test", "-s", "/usr/share/zsh/vendor-completions/_supervise").code == 0)
        #expect(try bed.run("test", "-s", "/usr/share/fish/vendor_completions.d/supervise.fish").code == 0)

        // Upgrade with calls in flight: a newer version of the same package, whose default configuration
        // changed too (the operator's edited one must stay, the new default lands beside it).
        let newer = try package.repackaged(version: package.version + "+upgrade1", in: bed.directory) { root in
            let conffile = root + "/etc/supervise/supervise.yaml"
            let text = try String(contentsOfFile: conffile, encoding: .utf8)
            try (text + "# A comment added in the newer package.\n").write(toFile: conffile, atomically: true, encoding: .utf8)
        }
        try bed.copy(newer.path, to: "/root/\(newer.fileName)")
        let workersBefore = try Self.ports.map { try bed.workerPid(port: $0) }
        try #require(workersBefore.allSatisfy { $0 != nil })
        let daemonBefore = try bed.property("MainPID")
        let netnsPid = try #require(Int32(try bed.docker(["inspect", "-f", "{{.State.Pid}}", bed.name]).output.trimmed))
        let calls = CallGenerator<Int> { port, method, path in
            Self.request(netnsPid: netnsPid, port: port, method, path)
        }
        calls.startSteadyLoad(on: Self.ports, durations: 2...5, every: 0.1)
        defer { calls.stop() }
        usleep(2_000_000)
        t = Date()
        let upgrade = try bed.run("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q",
                                  "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
                                  "/root/\(newer.fileName)", timeout: 300)
        try #require(upgrade.code == 0, "apt-get install (upgrade): \(upgrade.output)")
        timings.add("apt-get install of the newer version", t)
        let restarted = bed.eventually(timeout: 30) {
            let pid = try bed.property("MainPID")
            let state = try bed.property("ActiveState")
            return pid != daemonBefore && pid != "0" && state == "active"
        }
        let recent = (try? bed.run("journalctl", "--no-pager", "-n", "40", "-u", "supervise").output) ?? ""
        #expect(restarted, "daemon not restarted: \(recent)")
        #expect(bed.eventually(timeout: 30) { try bed.property("StatusText") == allRunning })
        usleep(2_000_000)
        calls.stop()
        // Every accepted call ends within its duration (at most 5 s) unless it was cut.
        usleep(6_000_000)

        #expect(try bed.run("dpkg-query", "-W", "-f", "${Version}", "supervise").output.trimmed == newer.version)
        #expect(try Self.ports.map { try bed.workerPid(port: $0) } == workersBefore, "workers adopted, not restarted")
        let journal = try bed.run("journalctl", "--no-pager", "-u", "supervise").output
        #expect(journal.contains("adopted, not restarted"), "\(journal.suffix(3000))")
        #expect(try bed.run("cat", "/etc/supervise/supervise.yaml").output == edited, "the operator's configuration is kept")
        #expect(try bed.run("test", "-f", "/etc/supervise/supervise.yaml.dpkg-dist").code == 0, "the new default beside it")
        let placed = calls.all
        #expect(placed.count > 20 && placed.allSatisfy(\.accepted),
                "\(placed.count) calls, not accepted: \(placed.filter { !$0.accepted }.map { "\($0.target) \($0.outcome)" })")
        var dropped = 0
        for port in Self.ports {
            let snapshot = try #require(Self.worker(netnsPid: netnsPid, port: port))
            let accepted = calls.accepted(on: port).count
            dropped += snapshot.callsCut + (snapshot.callsStarted - snapshot.callsCompleted)
            #expect(snapshot.callsCut == 0 && snapshot.callsStarted == accepted && snapshot.callsCompleted == accepted,
                    "worker on \(port): \(snapshot), \(accepted) accepted")
        }
        #expect(dropped == 0)
        print("DebianPackageTests: \(placed.count) calls placed across the upgrade, \(dropped) dropped; worker pids \(workersBefore.map { $0.map(String.init) ?? "-" }) before and after")

        // Purge: the daemon stops its units and nothing of it is left.
        t = Date()
        let purge = try bed.run("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "purge", "-y", "-q", "supervise", timeout: 300)
        try #require(purge.code == 0, "apt-get purge: \(purge.output)")
        timings.add("apt-get purge", t)
        #expect(try bed.run("pgrep", "-c", "-f", "agent-sim|supervise").output.trimmed == "0")
        #expect(try bed.run("systemctl", "is-active", "supervise").output.trimmed == "inactive")
        let left = try bed.run("sh", "-c", "ls -d /etc/supervise /var/lib/supervise /run/supervise /usr/bin/supervise " +
                               "/etc/systemd/system/multi-user.target.wants/supervise.service 2>/dev/null; true").output
        #expect(left.trimmed == "", "left after purge: \(left)")
        print("DebianPackageTests timings: \(timings.summary)")
    }

    /// Two agent-sim workers on loopback ports of the container.
    static let config = """
        state_dir: /var/lib/supervise
        units:
          worker-1:
            command: [/usr/local/bin/agent-sim, --port, "18081", --name, worker-1]
          worker-2:
            command: [/usr/local/bin/agent-sim, --port, "18082", --name, worker-2]

        """

    /// The static agent-sim, if built: one that loads no Swift library (the container has none).
    static func staticAgentSim() -> String? {
        guard FileManager.default.isExecutableFile(atPath: agentSimPath),
              let ldd = try? runCommand("/usr/bin/ldd", [agentSimPath]), ldd.code == 0,
              !ldd.output.contains("libswift") else { return nil }
        return agentSimPath
    }

    /// A worker's `GET /worker` counters, asked inside the container's network namespace.
    struct WorkerCounters: Decodable, CustomStringConvertible {
        var callsStarted: Int
        var callsCompleted: Int
        var callsCut: Int
        var description: String { "started \(callsStarted), completed \(callsCompleted), cut \(callsCut)" }
    }

    /// One exchange with 127.0.0.1:`port` inside the container's network namespace.
    static func request(netnsPid: Int32, port: Int, _ method: String, _ path: String) -> (status: Int, body: String)? {
        let client = LocalHTTPClient(.loopback(port: port, inNetworkNamespaceOf: netnsPid), timeout: .seconds(3))
        return (try? client.request(method, path)).map { ($0.status, $0.text) }
    }

    static func worker(netnsPid: Int32, port: Int) -> WorkerCounters? {
        guard let (status, body) = request(netnsPid: netnsPid, port: port, "GET", "/worker"), status == 200 else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(WorkerCounters.self, from: Data(body.utf8))
    }
}

/// A built `supervise_VERSION_ARCH.deb`.
struct DebianPackage {
    var path: String
    var fileName: String { URL(fileURLWithPath: path).lastPathComponent }
    var version: String

    /// The one package in `directory` (`make deb` leaves exactly one there).
    static func built(in directory: URL) throws -> DebianPackage {
        let debs = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasPrefix("supervise_") && $0.hasSuffix(".deb") }
        let name = try #require(debs.count == 1 ? debs[0] : nil, "one supervise_*.deb in \(directory.path) (run make deb): \(debs)")
        var package = DebianPackage(path: directory.appendingPathComponent(name).path, version: "")
        package.version = try package.field("Version")
        return package
    }

    /// A field of the package's control file ("" when absent).
    func field(_ name: String) throws -> String {
        let result = try runCommand("/usr/bin/dpkg-deb", ["-f", path, name])
        try #require(result.code == 0, "dpkg-deb -f: \(result.output)")
        return result.output.trimmed
    }

    /// The same package with another version, and `change` applied to its unpacked tree, built in `directory`.
    func repackaged(version: String, in directory: String, change: (String) throws -> Void) throws -> DebianPackage {
        let root = directory + "/repack"
        try? FileManager.default.removeItem(atPath: root)
        let unpacked = try runCommand("/usr/bin/dpkg-deb", ["-R", path, root])
        try #require(unpacked.code == 0, "dpkg-deb -R: \(unpacked.output)")
        let control = root + "/DEBIAN/control"
        let text = try String(contentsOfFile: control, encoding: .utf8)
        try text.replacingOccurrences(of: "\nVersion: \(self.version)\n", with: "\nVersion: \(version)\n")
            .write(toFile: control, atomically: true, encoding: .utf8)
        try change(root)
        // md5sums must match the changed files (dpkg --verify, debsums).
        let sums = try runCommand("/bin/sh", ["-c", "cd '\(root)' && find . -path ./DEBIAN -prune -o -type f -printf '%P\\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums"])
        try #require(sums.code == 0, "md5sums: \(sums.output)")
        let out = directory + "/" + fileName.replacingOccurrences(of: "_\(self.version)_", with: "_\(version)_")
        let built = try runCommand("/usr/bin/dpkg-deb", ["--root-owner-group", "--build", root, out], timeout: 120)
        try #require(built.code == 0, "dpkg-deb --build: \(built.output)")
        try? FileManager.default.removeItem(atPath: root)
        return DebianPackage(path: out, version: version)
    }
}

extension String {
    /// Package names in a Depends-style field: the first of each alternative, without versions.
    var packageNames: [String] {
        split(separator: ",").compactMap { clause in
            clause.split(separator: "|").first?.split(separator: "(").first?.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }
}
