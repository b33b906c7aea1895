import Foundation
import SuperviseBuildInfo
import Testing

/// `supervise version` names the repository's VERSION and the commit the tree was built from, as git
/// tells it now (scripts/build-info.sh, run by the SuperviseBuildInfoPlugin before every build).
@Suite struct BuildInfoTests {
    static let repository = SystemdUnitTests.repository

    @Test func versionNamesTheVersionFileAndTheGitCommit() throws {
        let version = try String(contentsOf: Self.repository.appendingPathComponent("VERSION"), encoding: .utf8).trimmed
        let head = try runCommand("/usr/bin/git", ["-C", Self.repository.path, "rev-parse", "--short=12", "HEAD"])
        try #require(head.code == 0, "git rev-parse: \(head.output)")
        let changes = try runCommand("/usr/bin/git", ["-C", Self.repository.path, "--no-optional-locks", "status",
                                                      "--porcelain", "--untracked-files=no"])
        let commit = head.output.trimmed + (changes.output.trimmed.isEmpty ? "" : "-dirty")

        let printed = try runCommand(Binaries.supervise, ["version"])
        #expect(printed.code == 0)
        #expect(printed.output.trimmed == "supervise \(version) (commit \(commit))", "rebuild after changing the tree")
        #expect(try runCommand(Binaries.supervise, ["--version"]).output.trimmed == printed.output.trimmed)
        #expect(BuildInfo.version == version && BuildInfo.commit == commit)
    }
}
