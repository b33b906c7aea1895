import Foundation
import PackagePlugin

/// Writes `GeneratedBuildInfo.swift` (the version in `VERSION` and the git commit the build comes from) for
/// the `SuperviseBuildInfo` target before every build, with `scripts/build-info.sh`.
///
/// A prebuild command runs on every `swift build`, so a new commit is picked up without a clean
/// build; the script rewrites the file only when its text changes, so an unchanged tree recompiles
/// nothing. Where git or the repository is missing (a source tarball), `SUPERVISE_COMMIT` names
/// the commit, else it is `unknown`.
@main
struct SuperviseBuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        var environment: [String: String] = [:]
        if let commit = ProcessInfo.processInfo.environment["SUPERVISE_COMMIT"] { environment["SUPERVISE_COMMIT"] = commit }
        return [.prebuildCommand(
            displayName: "supervise build info (VERSION, git commit)",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [root.appendingPathComponent("scripts/build-info.sh").path, root.path, output.path],
            environment: environment,
            outputFilesDirectory: output)]
    }
}
