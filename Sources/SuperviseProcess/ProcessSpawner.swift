import CSuperviseSys
import Foundation
import SuperviseCore

/// Why a process could not be started, in words for the operator.
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Starts unit processes and signals their process groups.
///
/// Spawns run on a serial Dispatch queue of their own (fork/exec waits for the child's
/// exec report), never on Swift's cooperative pool. Each child gets its own process group,
/// a clean environment, default signal dispositions, and pipes for stdout and stderr.
public final class ProcessSpawner: Sendable {
    private let reaper: Reaper
    private let spawnQueue = DispatchQueue(label: "supervise.spawn", qos: .userInitiated)
    private let output = OutputPump()
    /// Default `PATH` when a unit sets none, as systemd gives services.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Identifies the daemon instance in every unit's environment (`SUPERVISE_INSTANCE`, its state
    /// directory), so a daemon whose state file is lost can still recognise its own processes.
    let instance: String?

    public init(reaper: Reaper, instance: String? = nil) {
        self.reaper = reaper
        self.instance = instance
    }

    /// Starts `spec`. `completion` gets the pid or the reason, always before `onExit` fires
    /// (once, when that pid is reaped); `onLine` gets each captured output line.
    public func spawn(
        _ spec: UnitSpec,
        onLine: @escaping @Sendable (Int32, OutputStream, String) -> Void,
        onExit: @escaping @Sendable (Int32, ExitStatus) -> Void,
        completion: @escaping @Sendable (Result<Int32, SpawnError>) -> Void
    ) {
        spawnQueue.async { [self] in
            if case .failure(let error) = self.spawnNow(spec, onLine: onLine, onExit: onExit, onSpawned: { completion(.success($0)) }) {
                completion(.failure(error))
            }
        }
    }

    /// Sends `signal` to the process group led by `pid`. Returns false if no such group exists.
    @discardableResult
    public func signalGroup(pid: Int32, signal: Int32) -> Bool {
        guard pid > 1 else { return false }
        return kill(-pid, signal) == 0
    }

    /// `onSpawned` runs with the reaper's registry locked, so it is always reported before the exit.
    private func spawnNow(
        _ spec: UnitSpec,
        onLine: @escaping @Sendable (Int32, OutputStream, String) -> Void,
        onExit: @escaping @Sendable (Int32, ExitStatus) -> Void,
        onSpawned: (Int32) -> Void
    ) -> Result<Int32, SpawnError> {
        var environment = spec.environment
        if environment["PATH"] == nil { environment["PATH"] = Self.defaultPath }
        environment["SUPERVISE_UNIT"] = spec.name
        if let instance { environment[UnitProcessScan.instanceVariable] = instance }
        guard let argv0 = spec.command.first else { return .failure(SpawnError(description: "empty command")) }
        let path: String
        switch Self.resolveExecutable(argv0, path: environment["PATH"]!, workingDirectory: spec.workingDirectory) {
        case .success(let p): path = p
        case .failure(let e): return .failure(e)
        }
        if let dir = spec.workingDirectory, access(dir, X_OK) != 0 {
            return .failure(SpawnError(description: "working_dir \(dir): \(errnoText())"))
        }
        let credentials: Credentials?
        switch Credentials.resolve(user: spec.user, group: spec.group) {
        case .success(let c): credentials = c
        case .failure(let e): return .failure(e)
        }

        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard csupervise_pipe_cloexec(&outPipe) == 0 else { return .failure(SpawnError(description: "pipe: \(errnoText())")) }
        guard csupervise_pipe_cloexec(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            return .failure(SpawnError(description: "pipe: \(errnoText())"))
        }

        let argvC = CStringArray(spec.command)
        let envC = CStringArray(environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        var childErrno: Int32 = 0
        var failedStep: UnsafePointer<CChar>?
        let groups = credentials?.groups ?? []

        let pid: Int32 = path.withCString { pathC in
            (spec.workingDirectory ?? "").withCString { cwdC in
                groups.withUnsafeBufferPointer { groupsC in
                    var request = csupervise_spawn_request(
                        path: pathC, argv: argvC.pointer, envp: envC.pointer,
                        working_dir: spec.workingDirectory == nil ? nil : cwdC,
                        set_user: credentials == nil ? 0 : 1, uid: credentials?.uid ?? 0, gid: credentials?.gid ?? 0,
                        groups: groupsC.baseAddress, group_count: Int32(groups.count),
                        stdin_fd: -1, stdout_fd: outPipe[1], stderr_fd: errPipe[1])
                    // Hold the reaper's registry across fork+register: a child that exits at once
                    // is then looked up only after it is registered.
                    return reaper.registry.withLock { registry -> Int32 in
                        let pid = csupervise_spawn(&request, &childErrno, &failedStep)
                        if pid > 0 {
                            registry[pid] = { status in onExit(pid, status) }
                            onSpawned(pid)
                        }
                        return pid
                    }
                }
            }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard pid > 0 else {
            close(outPipe[0]); close(errPipe[0])
            let step = failedStep.map { String(cString: $0) } ?? "spawn"
            let detail = step == "execve" ? "\(path): \(String(cString: strerror(childErrno)))"
                : step == "chdir" ? "working_dir \(spec.workingDirectory ?? ""): \(String(cString: strerror(childErrno)))"
                : "\(step): \(String(cString: strerror(childErrno)))"
            return .failure(SpawnError(description: detail))
        }
        reaper.childrenExist()
        output.add(fd: outPipe[0], maxLine: spec.output.maxLine) { onLine(pid, .stdout, $0) }
        output.add(fd: errPipe[0], maxLine: spec.output.maxLine) { onLine(pid, .stderr, $0) }
        return .success(pid)
    }

    /// Finds `name` like `execvp`: as given when it has a slash, else the first executable in `path`.
    static func resolveExecutable(_ name: String, path: String, workingDirectory: String?) -> Result<String, SpawnError> {
        if name.contains("/") {
            let full = name.hasPrefix("/") ? name : ((workingDirectory ?? FileManager.default.currentDirectoryPath) + "/" + name)
            if access(full, X_OK) == 0 { return .success(name) }
            return .failure(SpawnError(description: "\(name): \(errnoText())"))
        }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            var st = stat()
            if access(candidate, X_OK) == 0, stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
                return .success(candidate)
            }
        }
        return .failure(SpawnError(description: "command not found: \"\(name)\" in PATH=\(path)"))
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// A NULL-terminated `char *[]` that frees itself.
final class CStringArray {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointer = .allocate(capacity: strings.count + 1)
        for (i, s) in strings.enumerated() { pointer[i] = strdup(s) }
        pointer[strings.count] = nil
    }

    deinit {
        for i in 0..<count { free(pointer[i]) }
        pointer.deallocate()
    }
}
