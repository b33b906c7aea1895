import CSuperviseSys
import Foundation
import SuperviseCore
import Synchronization
import SuperviseThreads

/// Why a process could not be started, in words for the operator.
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// How a unit's main process ended, and what it left.
public struct MainProcessEnd: Sendable {
    public var pid: Int32
    public var status: ExitStatus
    /// Processes of the unit still there when it was reaped (its cgroup, or its process group
    /// and the orphans the subreaper took in).
    public var remaining: Int
    /// The kernel's OOM killer killed a process of the unit since this one started.
    public var oomKilled: Bool

    public init(pid: Int32, status: ExitStatus, remaining: Int, oomKilled: Bool) {
        self.pid = pid
        self.status = status
        self.remaining = remaining
        self.oomKilled = oomKilled
    }
}

/// Starts unit processes, holds each unit's processes together (see ``Containment``) and
/// signals, counts and watches them.
///
/// Spawns run on a thread of their own whose priority is the default (fork/exec waits for the
/// child's exec report), never on Swift's cooperative pool or a libdispatch thread, whose raised
/// priority a child would inherit. Each child gets its own process group (and its unit's cgroup),
/// a clean environment, default signal dispositions and priority, and pipes for stdout and stderr.
public final class ProcessSpawner: Sendable {
    private let reaper: Reaper
    private let spawnThread = WorkThread(named: "sv-spawn")
    private let output = OutputPump()
    public let containment: Containment
    private let tracker: ProcessGroupTracker
    private let watcher: UnitWatcher
    /// The last look at `/proc` for status answers in the process-group mode, and when (monotonic
    /// ns): 250 ms old at most, so polling the status does not scan `/proc` for each request.
    private let statusTable = Mutex<(at: UInt64, value: ProcessTable)?>(nil)
    /// The daemon's children that are no unit's main process, for status answers about a few units, and when: as
    /// old as `statusTable` at most.
    private let statusOrphans = Mutex<(at: UInt64, value: [Int32])?>(nil)
    /// Executables found on a PATH, by command name, PATH and working directory: a restart checks the one path
    /// (one `access`) instead of searching the PATH again.
    private let resolvedPaths = Mutex<[String: String]>([:])
    /// `/dev/null`, open once: every unit's standard input, so the child opens nothing before its exec.
    private static let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
    /// Default `PATH` when a unit sets none, as systemd gives services.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Identifies the daemon instance in every unit's environment (`SUPERVISE_INSTANCE`, its state
    /// directory), so a daemon whose state file is lost can still recognise its own processes.
    let instance: String?

    public init(reaper: Reaper, instance: String? = nil, containment: Containment = .processGroup(reason: "not asked for")) {
        self.reaper = reaper
        self.instance = instance
        self.containment = containment
        let tracker = ProcessGroupTracker(instance: instance)
        self.tracker = tracker
        let hierarchy = containment.hierarchy
        watcher = UnitWatcher(hierarchy: hierarchy) { unit, main in
            Self.remaining(unit, main: main, hierarchy: hierarchy, tracker: tracker, mains: reaper.mains())
        }
        let watcher = self.watcher
        reaper.onOrphanReaped { pid in
            tracker.forget(pid)
            watcher.nudge()
        }
    }

    /// The thread spawns run on, as a task executor: the supervision loop runs on it (see
    /// `withTaskExecutorPreference`), so a restart is one thread wake-up after the reap, not two.
    public var spawnExecutor: any TaskExecutor { spawnThread }

    /// Starts `spec`. `completion` gets the pid or the reason, always before `onExit` fires
    /// (once, when that pid is reaped); `onLine` gets each captured output line. `contained`:
    /// the process is a unit's, started in the unit's cgroup; an exec probe's is the daemon's own.
    /// Runs at once when called on ``spawnExecutor``'s thread, else queued there.
    public func spawn(
        _ spec: UnitSpec,
        contained: Bool,
        onLine: @escaping @Sendable (Int32, OutputStream, String) -> Void,
        onExit: @escaping @Sendable (MainProcessEnd) -> Void,
        completion: @escaping @Sendable (Result<Int32, SpawnError>) -> Void
    ) {
        spawnThread.run { [self] in
            if case .failure(let error) = self.spawnNow(spec, contained: contained, onLine: onLine, onExit: onExit,
                                                        onSpawned: { completion(.success($0)) }) {
                completion(.failure(error))
            }
        }
    }

    /// Sends `signal` to the process group led by `pid` (an exec probe's). Returns false if no such group exists.
    @discardableResult
    public func signalGroup(pid: Int32, signal: Int32) -> Bool {
        guard pid > 1 else { return false }
        return kill(-pid, signal) == 0
    }

    /// Sends `signal` to every process of `unit`, whose main process is (or was) `pid`. Returns
    /// false when the unit has no process left.
    @discardableResult
    public func signalUnit(_ unit: String, pid: Int32, signal: Int32) -> Bool {
        // Each process gets the signal once: a second SIGTERM makes a LiveKit worker exit at once.
        switch containment {
        case .cgroup(let tree):
            if tree.signal(unit, signal) > 0 { return true }
            // A unit adopted from a predecessor that ran without cgroups is still a process group.
            return pid > 1 && kill(-pid, signal) == 0
        case .processGroup:
            // The group at once (what forks meanwhile gets it too), then what left the group: what the group's
            // signal reaches is not looked for, which would take a scan of all of /proc once the main process is
            // a zombie (a shutdown sends SIGTERM and then SIGCONT to every unit: 11 s at 1,000 units).
            var sent = pid > 1 && kill(-pid, signal) == 0
            for member in tracker.members(of: unit, main: pid, mains: mains(), outsideTheGroup: true) where getpgid(member) != pid {
                if kill(member, signal) == 0 { sent = true }
            }
            return sent
        }
    }

    /// How many processes of `unit` (main process `main`, ended) are left. `mainInCgroup`: the
    /// main process ran in the unit's cgroup, so the cgroup holds the whole unit.
    public func remaining(_ unit: String, main: Int32, mainInCgroup: Bool = false) -> Int {
        Self.remaining(unit, main: main, hierarchy: containment.hierarchy, tracker: tracker, mains: mains(), mainInCgroup: mainInCgroup)
    }

    /// Calls `onExit` with what is left of `unit` once `pid`, a process a predecessor started
    /// (not a child), has ended.
    public func watchAdopted(_ unit: String, pid: Int32, onExit: @escaping @Sendable (_ remaining: Int) -> Void) {
        let inCgroup = containment.hierarchy?.processes(of: unit).contains(pid) ?? false
        watchAdopted(pid: pid) { [self] in onExit(self.remaining(unit, main: pid, mainInCgroup: inCgroup)) }
    }

    /// Reports what is left of `unit` (main process `main`, ended) now and whenever it changes,
    /// until it is empty (a cgroup's emptying is reported by the kernel, at once).
    public func watchUnit(_ unit: String, main: Int32, report: @escaping @Sendable (Int) -> Void) {
        watcher.watch(unit, main: main, report: report)
    }

    /// What each of `units` uses (`main`: its main process, if it has one). One look at `/proc`
    /// for all of them in the process-group mode, where only the process count is known.
    public func resources(of units: [(name: String, main: Int32?)]) -> [String: UnitResources] {
        var result: [String: UnitResources] = [:]
        switch containment {
        case .cgroup(let tree):
            for unit in units { result[unit.name] = tree.resources(of: unit.name) }
        case .processGroup:
            let live = units.filter { $0.main != nil }
            guard !live.isEmpty else { return [:] }
            let now = DispatchTime.now().uptimeNanoseconds
            if live.count <= 4 {
                // `status NAME`: each unit's own tree, not all of /proc (2,000 reads at 1,000 units, which took a
                // core for 10 ms every 250 ms of polling, and the restarts of that moment waited for it).
                let mains = mains()
                let orphans = Self.recent(statusOrphans, now: now) { ProcessGroupTracker.orphans(mains: mains) }
                for unit in live {
                    result[unit.name] = UnitResources(processes: tracker.members(of: unit.name, main: unit.main!, mains: mains,
                                                                                 orphans: orphans).count)
                }
                return result
            }
            let table = Self.recent(statusTable, now: now) { ProcessTable.snapshot() }
            let orphans = ProcessGroupTracker.orphans(in: table, mains: mains())
            for unit in live {
                result[unit.name] = UnitResources(processes: tracker.members(of: unit.name, main: unit.main!, orphans: orphans, table: table).count)
            }
        }
        return result
    }

    /// What `cache` holds if it is under 250 ms old at `now` (monotonic ns), else what `make` gives, kept there.
    private static func recent<Value: Sendable>(_ cache: borrowing Mutex<(at: UInt64, value: Value)?>, now: UInt64,
                                                _ make: () -> Value) -> Value {
        cache.withLock { cached -> Value in
            if let cached, now - cached.at < 250_000_000 { return cached.value }
            let fresh = make()
            cached = (now, fresh)
            return fresh
        }
    }

    /// Remembers processes of `unit` a predecessor left (found by their environment), so they
    /// count as the unit's in the process-group mode.
    public func adoptMembers(_ pids: [Int32], of unit: String) { tracker.adopt(pids, unit: unit) }

    private func mains() -> Set<Int32> { reaper.mains() }

    static func remaining(_ unit: String, main: Int32, hierarchy: CgroupHierarchy?, tracker: ProcessGroupTracker,
                          mains: Set<Int32>, orphans: [Int32]? = nil, mainInCgroup: Bool = false) -> Int {
        if let hierarchy {
            if hierarchy.populated(unit) { return hierarchy.processes(of: unit).filter { $0 != main }.count }
            // A unit adopted from a predecessor that ran without cgroups lives outside its cgroup:
            // its process group, not counting zombies (kill(-pgid, 0) still finds those until
            // whoever inherited them reaps them, which may take init a second). One whose main
            // process ran in the cgroup is empty with it: its zombie must not cost a look at /proc.
            guard !mainInCgroup, main > 1, kill(-main, 0) == 0 else { return 0 }
            return ProcessTable.snapshot().members(ofGroup: main).filter { $0 != main }.count
        }
        if tracker.surelyEmpty(unit, main: main, orphans: orphans ?? ProcessGroupTracker.orphans(mains: mains)) { return 0 }
        return tracker.members(of: unit, main: main, mains: mains).subtracting([main]).count
    }

    /// `onSpawned` runs with the reaper's registry locked, so it is always reported before the exit.
    private func spawnNow(
        _ spec: UnitSpec,
        contained: Bool,
        onLine: @escaping @Sendable (Int32, OutputStream, String) -> Void,
        onExit: @escaping @Sendable (MainProcessEnd) -> Void,
        onSpawned: (Int32) -> Void
    ) -> Result<Int32, SpawnError> {
        var environment = spec.environment
        if environment["PATH"] == nil { environment["PATH"] = Self.defaultPath }
        environment["SUPERVISE_UNIT"] = spec.name
        if let instance { environment[UnitProcessScan.instanceVariable] = instance }
        guard let argv0 = spec.command.first else { return .failure(SpawnError(description: "empty command")) }
        let path: String
        let resolvedKey = "\(argv0)\u{0}\(environment["PATH"]!)\u{0}\(spec.workingDirectory ?? "")"
        if let known = resolvedPaths.withLock({ $0[resolvedKey] }), access(known, X_OK) == 0 {
            path = known
        } else {
            switch Self.resolveExecutable(argv0, path: environment["PATH"]!, workingDirectory: spec.workingDirectory) {
            case .success(let p): path = p
            case .failure(let e): return .failure(e)
            }
            if !argv0.contains("/") { resolvedPaths.withLock { $0[resolvedKey] = path } }
        }
        if let dir = spec.workingDirectory, access(dir, X_OK) != 0 {
            return .failure(SpawnError(description: "working_dir \(dir): \(errnoText())"))
        }
        let credentials: Credentials?
        switch Credentials.resolve(user: spec.user, group: spec.group) {
        case .success(let c): credentials = c
        case .failure(let e): return .failure(e)
        }

        var cgroupFD: Int32 = -1
        var oomBefore: UInt64?
        if contained, let tree = containment.hierarchy {
            do { cgroupFD = try tree.directory(of: spec.name) } catch { return .failure(error) }
            oomBefore = tree.oomKills(of: spec.name)
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
                        stdin_fd: Self.devNull, stdout_fd: outPipe[1], stderr_fd: errPipe[1],
                        cgroup_fd: cgroupFD, nice: spec.nice,
                        // The spawn thread runs at the defaults (WorkThread normalizes it): the child keeps them.
                        inherit_scheduling: spawnThread.isCurrent ? 1 : 0)
                    // Hold the reaper's registry across fork+register: a child that exits at once
                    // is then looked up only after it is registered.
                    return reaper.registry.withLock { registry -> Int32 in
                        let pid = csupervise_spawn(&request, &childErrno, &failedStep)
                        if pid > 0 {
                            let (unit, hierarchy, tracker, reaper, oomBefore) = (spec.name, containment.hierarchy, tracker, reaper, oomBefore)
                            let pidfd = watchMain(pid)
                            registry[pid] = Reaper.Registration(pidfd: pidfd) { status in
                                guard contained else {
                                    return onExit(MainProcessEnd(pid: pid, status: status, remaining: 0, oomKilled: false))
                                }
                                // Counted on the reaper thread as soon as the process is reaped:
                                // its children were reparented before the exit was reported.
                                let mains = reaper.mains()
                                // One look at the daemon's children serves both: taking the fresh
                                // orphans for this unit's, and counting what is left.
                                let orphans = hierarchy == nil ? ProcessGroupTracker.orphans(mains: mains) : []
                                if hierarchy == nil { tracker.learnOrphans(of: unit, orphans: orphans) }
                                let remaining = Self.remaining(unit, main: pid, hierarchy: hierarchy, tracker: tracker,
                                                               mains: mains, orphans: orphans, mainInCgroup: true)
                                let oom = oomBefore.map { before in (hierarchy?.oomKills(of: unit) ?? before) > before } ?? false
                                onExit(MainProcessEnd(pid: pid, status: status, remaining: remaining, oomKilled: oom))
                            }
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

    /// Watches main process `pid` (just spawned, on the spawn thread) through a pidfd, so its end
    /// wakes this thread, which reaps it: the pidfd, or -1 when the kernel refuses one (the reaper
    /// thread reaps it then).
    private func watchMain(_ pid: Int32) -> Int32 {
        let pidfd = csupervise_pidfd_open(pid)
        guard pidfd >= 0 else { return -1 }
        guard spawnThread.watch(pidfd, onReadable: { [self] in self.mainEnded(pid, pidfd: pidfd) }) else {
            close(pidfd)
            return -1
        }
        return pidfd
    }

    /// `pid`'s pidfd is readable: it has ended. Reaps it and reports its end, here on the spawn thread.
    private func mainEnded(_ pid: Int32, pidfd: Int32) {
        var status: Int32 = 0
        let reaped = csupervise_reap(pid, &status)
        guard reaped != 0 else { return }
        spawnThread.unwatch(pidfd)
        close(pidfd)
        // -1 (ECHILD) cannot happen while it is registered: only this thread reaps it.
        reaper.takeMain(pid)?(reaped == pid ? ExitStatus(waitStatus: status) : .unknown)
    }

    /// Calls `onExit` (on the spawn thread) once `pid`, a process this daemon did not start, has
    /// ended: woken by its pidfd, or polled where the kernel refuses one (see ``AdoptedProcess``).
    public func watchAdopted(pid: Int32, onExit: @escaping @Sendable () -> Void) {
        let ticks = LeftoverProcesses.startTicks(of: pid)
        guard ticks != 0 else { return onExit() }
        let pidfd = csupervise_pidfd_open(pid)
        // The same process still, now that the descriptor holds it: not a later one given its pid.
        guard pidfd >= 0, LeftoverProcesses.startTicks(of: pid) == ticks else {
            if pidfd >= 0 { close(pidfd); return onExit() }
            return AdoptedProcess.watch(pid: pid, onExit: onExit)
        }
        let thread = spawnThread
        let watched = thread.watch(pidfd) {
            thread.unwatch(pidfd)
            close(pidfd)
            onExit()
        }
        if !watched {
            close(pidfd)
            AdoptedProcess.watch(pid: pid, onExit: onExit)
        }
    }

    /// Stops the daemon's process threads: spawns, output capture, unit watching, adoption
    /// polling, and the reaper once no child is left. Call it after every unit has stopped.
    public func shutdown() {
        spawnThread.stop()
        output.stop()
        watcher.stop()
        AdoptedProcess.stop()
        reaper.stop()
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
