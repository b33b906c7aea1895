import Foundation
import Testing

/// The shipped unit files: `systemd-analyze verify` is silent, the sandbox scores well, and
/// `make install-files` puts everything where the README says.
@Suite(.serialized) struct SystemdUnitTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let unitFile = repository.appendingPathComponent("units/supervise.service")
    static let dropInDirectory = repository.appendingPathComponent("units/dropins")
    /// The highest `systemd-analyze security` exposure accepted (0 = fully sandboxed, 10 = none).
    /// docs/systemd.md names the same figure.
    static let exposureThreshold = 4.0

    /// A copy of `units/NAME` whose ExecStart names the built binary (verify checks it exists).
    static func unitCopy(in dir: URL) throws -> URL {
        let text = try String(contentsOf: unitFile, encoding: .utf8)
        let copy = text.replacingOccurrences(of: "ExecStart=/usr/local/bin/supervise ", with: "ExecStart=\(Binaries.supervise) ")
        #expect(copy != text, "ExecStart=/usr/local/bin/supervise not found in the unit")
        let url = dir.appendingPathComponent("supervise.service")
        try copy.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func systemdAnalyze(_ arguments: [String]) throws -> (code: Int32, output: String) {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"),
                     "systemd-analyze missing: scripts/setup.sh installs the systemd package")
        return try runCommand("/usr/bin/systemd-analyze", arguments, timeout: 60)
    }

    @Test func verifyIsSilent() throws {
        let dir = makeTemporaryDirectory("supervise-unit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let unit = try Self.unitCopy(in: dir)
        let (code, output) = try Self.systemdAnalyze(["verify", unit.path])
        #expect(code == 0, "systemd-analyze verify exit \(code):\n\(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze verify:\n\(output)")
    }

    @Test func securityExposureIsAtMostTheThreshold() throws {
        let dir = makeTemporaryDirectory("supervise-unit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let unit = try Self.unitCopy(in: dir)
        let (code, output) = try Self.systemdAnalyze(["security", "--offline=true", "--no-pager", unit.path])
        #expect(code == 0, "systemd-analyze security exit \(code):\n\(output)")
        // "→ Overall exposure level for supervise.service: 3.3 OK 🙂"
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(output)")
        let words = line.split(separator: " ")
        let scoreIndex = try #require(words.firstIndex { $0.hasSuffix("supervise.service:") }.map { $0 + 1 })
        let score = try #require(Double(words[scoreIndex]), "\(line)")
        #expect(score <= Self.exposureThreshold, "\(line)")
        #expect(words.count > scoreIndex + 1 && ["SAFE", "OK", "PERFECT"].contains(String(words[scoreIndex + 1])), "\(line)")
    }

    /// The drop-ins in units/dropins/, all next to the unit: `verify` stays silent (no unknown key, no
    /// bad path), the exposure score stays within the threshold, and each one's supervise.yaml
    /// snippet passes `check-config`.
    @Test func dropInsVerifyAndKeepTheExposure() throws {
        let dir = makeTemporaryDirectory("supervise-unit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let unit = try Self.unitCopy(in: dir)
        let dropIns = dir.appendingPathComponent("supervise.service.d")
        try FileManager.default.createDirectory(at: dropIns, withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.dropInDirectory.path).filter { $0.hasSuffix(".conf") }.sorted()
        #expect(names == ["nginx.conf", "postgresql.conf", "redis.conf"])
        for name in names {
            try FileManager.default.copyItem(at: Self.dropInDirectory.appendingPathComponent(name), to: dropIns.appendingPathComponent(name))
        }
        let (code, output) = try Self.systemdAnalyze(["verify", unit.path])
        #expect(code == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze verify:\n\(output)")
        // The supervise.yaml unit each one's comment shows is a valid configuration.
        for name in names {
            let text = try String(contentsOf: Self.dropInDirectory.appendingPathComponent(name), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let start = try #require(lines.firstIndex(of: "#   units:"), "\(name): no `#   units:` snippet")
            let snippet = lines[start...].prefix { $0 != "#" }.map { String($0.dropFirst(4)) }.joined(separator: "\n")
            let config = dir.appendingPathComponent("\(name).yaml")
            try (snippet + "\n").write(to: config, atomically: true, encoding: .utf8)
            let check = try runCommand(Binaries.supervise, ["check-config", config.path])
            #expect(check.code == 0 && check.output.contains("OK (1 units"), "\(name):\n\(snippet)\n\(check.output)")
        }
        let security = try Self.systemdAnalyze(["security", "--offline=true", "--no-pager", unit.path]).output
        let line = try #require(security.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(security)")
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first, "\(line)")
        #expect(score <= Self.exposureThreshold, "\(line)")
    }

    /// `network: container` probes and drains open a container process's `/proc/PID/ns/net` and
    /// setns(2) into it. The unit's capability bounding set must allow both against a process
    /// holding Docker's default capabilities (run here with `setpriv`, as systemd would bound it).
    @Test func theCapabilityBoundingSetAllowsJoiningAContainersNetwork() throws {
        let text = try String(contentsOf: Self.unitFile, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("CapabilityBoundingSet=") })
        let ours = "-all," + line.dropFirst("CapabilityBoundingSet=".count).split(separator: " ")
            .map { "+" + $0.dropFirst("CAP_".count).lowercased() }.joined(separator: ",")
        let docker = "-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,"
            + "+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap"
        // A process in a network namespace of its own with a container's capabilities.
        let container = try TestProcess("/usr/bin/unshare", ["-n", "/usr/bin/setpriv", "--bounding-set", docker, "/bin/sleep", "30"])
        defer { container.stop() }
        #expect(eventually(timeout: 5) {
            (try? String(contentsOfFile: "/proc/\(container.pid)/cmdline", encoding: .utf8))?.hasPrefix("/bin/sleep") == true
        })
        let (code, output) = try runCommand("/usr/bin/setpriv", ["--bounding-set", ours, "/usr/bin/nsenter",
                                                                 "--net=/proc/\(container.pid)/ns/net", "/bin/true"])
        #expect(code == 0, "with \(line): \(output)")
    }

    @Test func makeInstallPutsFilesInPlaceAndKeepsTheOperatorsConfig() throws {
        let root = makeTemporaryDirectory("supervise-install")
        defer { try? FileManager.default.removeItem(at: root) }
        func install() throws -> (code: Int32, output: String) {
            try runCommand("/usr/bin/make", ["-s", "-C", Self.repository.path, "install-files",
                                             "DESTDIR=\(root.path)", "BIN=\(Binaries.supervise)"], timeout: 60)
        }
        var result = try install()
        #expect(result.code == 0, "\(result.output)")
        let fm = FileManager.default
        for path in ["usr/local/bin/supervise", "etc/systemd/system/supervise.service", "etc/supervise/supervise.yaml",
                     "usr/local/share/doc/supervise/README.md", "usr/local/share/doc/supervise/dropins/postgresql.conf",
                     "usr/local/share/doc/supervise/dropins/redis.conf", "usr/local/share/doc/supervise/dropins/nginx.conf"] {
            #expect(fm.fileExists(atPath: root.appendingPathComponent(path).path), "\(path) not installed")
        }
        // The drop-ins are examples: none is active.
        #expect(!fm.fileExists(atPath: root.appendingPathComponent("etc/systemd/system/supervise.service.d").path))
        #expect(fm.isExecutableFile(atPath: root.appendingPathComponent("usr/local/bin/supervise").path))
        #expect(fm.contents(atPath: root.appendingPathComponent("etc/systemd/system/supervise.service").path)
                == fm.contents(atPath: Self.unitFile.path))
        // The shipped default configuration is valid.
        let check = try runCommand(Binaries.supervise, ["check-config", root.appendingPathComponent("etc/supervise/supervise.yaml").path])
        #expect(check.code == 0, "\(check.output)")

        let config = root.appendingPathComponent("etc/supervise/supervise.yaml")
        try "# edited by the operator\nunits: {}\n".write(to: config, atomically: true, encoding: .utf8)
        result = try install()
        #expect(result.code == 0, "\(result.output)")
        #expect(try String(contentsOf: config, encoding: .utf8).hasPrefix("# edited by the operator"))
    }
}
