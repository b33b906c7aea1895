import ArgumentParser
import Foundation
import SuperviseBuildInfo
import SuperviseConfig
import SuperviseControl
import SuperviseCore
import SuperviseDaemon

/// The `supervise` command line. `run` is async (the daemon); every other command talks to the
/// daemon through the blocking control client, or reads a file, and runs on a thread of its own
/// (see ``main()``).
@main
struct Supervise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervise",
        abstract: "A self-healing supervisor for local processes and Docker Compose containers.",
        discussion: """
            Exit codes: 0 success; 1 the daemon could not be reached or refused; 3 no such unit; \
            64 bad command line; 71 control socket could not be created; 77 permission denied; \
            78 invalid configuration.
            """,
        version: BuildInfo.description,
        subcommands: [Run.self, Status.self, Start.self, Stop.self, Restart.self, Reset.self, Drain.self, Undrain.self,
                      Scale.self, Rollout.self, Autoscale.self, Events.self, CheckConfig.self, Export.self, Version.self])

    /// `AsyncParsableCommand.main()`, except that a synchronous command runs on a thread of its
    /// own (``BlockingCommand``): its socket I/O and `drain --wait`'s pauses never hold a thread of
    /// the cooperative pool.
    static func main() async {
        do {
            let command = try await asyncParseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try await BlockingCommand.run(command)
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Options shared by commands that talk to the daemon.
struct SocketOptions: ParsableArguments {
    @Option(name: .long, help: "Control socket of the daemon (env SUPERVISE_SOCKET).")
    var socket: String = ProcessInfo.processInfo.environment["SUPERVISE_SOCKET"] ?? ControlSettings.defaultSocketPath

    var client: ControlClient { ControlClient(socketPath: socket) }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon in the foreground (as systemd does).")

    @Option(name: .long, help: "Configuration file.")
    var config = "/etc/supervise/supervise.yaml"
    @Option(name: .long, help: "Control socket path (overrides control.socket).")
    var socket: String?
    @Option(name: .customLong("state-dir"), help: "State directory (overrides state_dir).")
    var stateDir: String?
    @Option(name: .customLong("log-format"),
            help: "auto (journal when stderr is systemd's journal, else plain), plain, json or journal.")
    var logFormat: String = "auto"
    @Option(name: .customLong("cgroup-root"),
            help: "A cgroup v2 directory to use as supervise's subtree (default: its own cgroup, when writable).")
    var cgroupRoot: String?
    @Flag(name: .customLong("no-cgroups"), help: "Hold units together by process group only, even where cgroup v2 works.")
    var noCgroups = false
    @Option(name: .customLong("cgroup-controllers"),
            help: "Enable memory/cpu/io/pids accounting for units: yes or no (default: yes with --cgroup-root, no in systemd's cgroup).")
    var cgroupControllers: String?

    func validate() throws {
        if let c = cgroupControllers, c != "yes" && c != "no" { throw ValidationError("--cgroup-controllers must be yes or no") }
        if cgroupRoot != nil && noCgroups { throw ValidationError("--cgroup-root and --no-cgroups exclude each other") }
        guard LogFormat(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be one of: \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        // Before anything else: a SIGTERM while the daemon starts is kept for it, not fatal.
        let signals = await Daemon.holdSignals()
        var options = DaemonOptions(configPath: config, socketPath: socket, stateDirectory: stateDir,
                                    logFormat: LogFormat(rawValue: logFormat) ?? .auto)
        options.cgroupRoot = cgroupRoot
        options.noCgroups = noCgroups
        options.cgroupControllers = cgroupControllers.map { $0 == "yes" }
        let code = await Daemon(options: options).run(signals: signals)
        if code != 0 { throw ExitCode(code) }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate a configuration file without running anything.")

    @Argument(help: "Configuration file.")
    var file = "/etc/supervise/supervise.yaml"

    func run() throws {
        do {
            let config = try ConfigLoader.load(path: file)
            let containers = config.containers.isEmpty ? "" : "; container selectors: " + config.containers.map(\.key).joined(separator: ", ")
            writeLine("\(file): OK (\(config.units.count) units\(config.units.isEmpty ? "" : ": " + config.units.map(\.name).joined(separator: ", "))\(containers))")
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(ExitCodes.configInvalid)
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the version and the git commit this binary was built from.",
        discussion: "The commit has \"-dirty\" appended when the tree it was built from had changes, and is \"unknown\" where the build had no git repository.")
    func run() { writeLine(BuildInfo.description) }
}
