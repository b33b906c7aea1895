import Foundation

/// Running helper commands (scripts, the docker CLI) from tests.
enum Shell {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `executable` to completion (blocking the calling thread; fine in tests). stderr goes
    /// into `output` unless `separateStderr`.
    ///
    /// posix_spawn and waitpid on the child's own pid rather than Foundation's `Process`, whose
    /// exit detection missed start-dockerd.sh's exit here (the script stayed a zombie). Output goes
    /// through temporary files, not pipes: the daemon the script starts would inherit a pipe's
    /// write end and keep it open forever.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    separateStderr: Bool = false) throws -> Result {
        let directory = try makeTemporaryDirectory(prefix: "/tmp/sv-dk-out-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outPath = directory + "/out", errPath = directory + "/err"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if separateStderr {
            posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + env).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, env)
        guard spawned == 0 else { throw TestFailure("posix_spawn \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let error = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: exitCode, output: output, error: error)
    }

    /// A new directory from `mkdtemp(prefix + "XXXXXX")`.
    static func makeTemporaryDirectory(prefix: String) throws -> String {
        var template = Array((prefix + "XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp \(prefix)XXXXXX: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }
}
