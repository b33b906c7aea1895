import Foundation

/// Runs `executable` to completion, stdout and stderr into an unlinked temporary file (not a pipe:
/// a daemon it starts would keep a pipe open forever; unlinked: nothing left behind on an exit).
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    var template = Array("/tmp/sv-bench-out-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw BenchError("mkstemp: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fd, 1)
    posix_spawn_file_actions_adddup2(&actions, fd, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + env).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, env)
    guard spawned == 0 else { throw BenchError("posix_spawn \(executable): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    var data = [UInt8](), buffer = [UInt8](repeating: 0, count: 65536)
    var offset: off_t = 0
    while true {
        let n = pread(fd, &buffer, buffer.count, offset)
        if n <= 0 { break }
        data.append(contentsOf: buffer[0..<n])
        offset += off_t(n)
    }
    return (code, String(decoding: data, as: UTF8.self))
}

func makeTemporaryDirectory(_ prefix: String) throws -> String {
    var template = Array((prefix + "XXXXXX").utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw BenchError("mkdtemp \(prefix): \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}
