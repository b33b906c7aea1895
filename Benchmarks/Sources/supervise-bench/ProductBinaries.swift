import Foundation

/// Where the benchmarks find the binaries they measure: `supervise` and `agent-sim` of the root package's build.
///
/// supervise-bench is built by its own package (Benchmarks/Package.swift) into Benchmarks/.build, while the binaries
/// it measures are the root package's, in .build: the same build directory below the root that this executable has
/// below Benchmarks (Benchmarks/.build/x86_64-unknown-linux-gnu/release → .build/x86_64-unknown-linux-gnu/release),
/// found from this executable's own path, so it does not matter where the bench is run from. `SUPERVISE_BIN_DIR`
/// names another directory (as it does for the integration tests); a bench that is not inside a Benchmarks package
/// looks beside itself. A `--supervise` or `--agent-sim` option still wins over both.
enum ProductBinaries {
    /// This executable, symlinks resolved.
    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()

    /// The repository: the parent of the package directory (the nearest ancestor with a Package.swift) this
    /// executable was built in, when that parent is a package too; nil for a bench copied elsewhere.
    static let repository: URL? = packageLayout?.repository

    /// The directory holding `supervise` and `agent-sim`.
    static let directory: URL = {
        if let dir = ProcessInfo.processInfo.environment["SUPERVISE_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        if let layout = packageLayout { return layout.repository.appendingPathComponent(layout.buildPath) }
        return executable.deletingLastPathComponent()
    }()

    /// The `supervise` binary to measure by default.
    static var supervise: String { directory.appendingPathComponent("supervise").path }
    /// The `agent-sim` binary the benchmarks run workers and servers with by default.
    static var agentSim: String { directory.appendingPathComponent("agent-sim").path }

    /// The option help for a default binary.
    static func help(_ name: String) -> String { "The \(name) binary (default: the root package's, \(directory.path)/\(name))." }

    private static let packageLayout: (repository: URL, buildPath: String)? = {
        let fm = FileManager.default
        var package = executable.deletingLastPathComponent()
        while package.path != "/" {
            package = package.deletingLastPathComponent()
            guard fm.fileExists(atPath: package.appendingPathComponent("Package.swift").path) else { continue }
            let repository = package.deletingLastPathComponent()
            guard fm.fileExists(atPath: repository.appendingPathComponent("Package.swift").path) else { return nil }
            let buildPath = String(executable.deletingLastPathComponent().path.dropFirst(package.path.count + 1))
            return (repository, buildPath)
        }
        return nil
    }()
}
