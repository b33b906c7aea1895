import CSuperviseSys
import Foundation
import SuperviseCore
import Synchronization

/// supervise's delegated cgroup v2 subtree: the daemon lives in the leaf `ROOT/daemon`, and unit
/// NAME's processes in `ROOT/units/NAME`, each started there directly (CLONE_INTO_CGROUP), so
/// every process a unit starts stays in its cgroup whatever it does with process groups and
/// sessions, until it exits.
///
/// cgroup v2 forbids processes in a cgroup whose controllers are enabled for its children, so
/// the daemon moves itself out of `ROOT` first. Controllers (memory, cpu, io, pids) are enabled
/// for the units where `ROOT` has them; without them a unit still has a cgroup (containment,
/// `cgroup.events`, `cpu.stat`), just no memory accounting.
public final class CgroupHierarchy: Sendable {
    /// The delegated directory.
    public let root: String
    /// Controllers enabled for the units' cgroups.
    public let controllers: [String]
    /// Open directory descriptors of the units' cgroups, for CLONE_INTO_CGROUP.
    private let directories = Mutex<[String: Int32]>([:])

    var unitsDirectory: String { root + "/units" }

    private init(root: String, controllers: [String]) {
        self.root = root
        self.controllers = controllers
    }

    /// Why a cgroup subtree cannot be used.
    public struct Unusable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Takes `root` (a writable directory of a cgroup v2 hierarchy) as supervise's subtree: moves
    /// this process into `root/daemon` and, with `controllers`, enables what controllers `root`
    /// offers for `root/units` (memory accounting).
    ///
    /// Not by default under systemd: with controllers enabled in it, the service's cgroup may hold
    /// no process of its own, and systemd 252 (no `DelegateSubgroup=`) starts a restarted daemon
    /// in exactly that cgroup while the units it left still run there.
    public static func prepare(root: String, controllers enable: Bool) throws(Unusable) -> CgroupHierarchy {
        let root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        guard isCgroup2(root) else { throw Unusable(description: "\(root) is not in a cgroup v2 hierarchy") }
        guard access(root + "/cgroup.procs", W_OK) == 0 else {
            throw Unusable(description: "\(root) is not writable (no Delegate=yes, or a read-only cgroup mount)")
        }
        for dir in [root + "/daemon", root + "/units"] where mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw Unusable(description: "cannot create \(dir): \(errnoText())")
        }
        // This daemon (all its threads) and anything else in the root move to the daemon's leaf.
        for pid in ["\(getpid())"] + Self.read(root + "/cgroup.procs").split(separator: "\n").map(String.init) {
            guard write(String(pid), to: root + "/daemon/cgroup.procs") else {
                throw Unusable(description: "cannot move process \(pid) into \(root)/daemon: \(errnoText())")
            }
        }
        let available = Set(Self.read(root + "/cgroup.controllers").split(whereSeparator: \.isWhitespace).map(String.init))
        var enabled: [String] = []
        for controller in ["cpu", "memory", "io", "pids"] where enable && available.contains(controller) {
            if write("+\(controller)", to: root + "/cgroup.subtree_control"),
               write("+\(controller)", to: root + "/units/cgroup.subtree_control") {
                enabled.append(controller)
            }
        }
        return CgroupHierarchy(root: root, controllers: enabled)
    }

    /// The daemon's own cgroup when `/sys/fs/cgroup` is a cgroup v2 hierarchy (Debian 12's
    /// default), or why there is none to use.
    public static func ownCgroup() -> Result<String, Unusable> {
        guard isCgroup2("/sys/fs/cgroup") else {
            return .failure(Unusable(description: "/sys/fs/cgroup is not a cgroup v2 hierarchy (cgroup v1 or hybrid host, or a container)"))
        }
        let line = read("/proc/self/cgroup").split(separator: "\n").first { $0.hasPrefix("0::") }
        guard let line else { return .failure(Unusable(description: "/proc/self/cgroup names no cgroup v2 cgroup")) }
        var path = String(line.dropFirst(3))
        // Restarted after being killed: this daemon's predecessor had already moved into the leaf.
        if path.hasSuffix("/daemon") { path = String(path.dropLast("/daemon".count)) }
        let directory = "/sys/fs/cgroup" + (path == "/" ? "" : path)
        // Under systemd, a cgroup is the daemon's to divide only when systemd delegated it
        // (Delegate=yes marks it trusted.delegate); a root shell's session scope is writable too,
        // but systemd's own.
        if underSystemd && !isDelegated(directory) {
            return .failure(Unusable(description: "its cgroup \(directory) is not delegated to it (run it as the shipped unit, with Delegate=yes, or pass --cgroup-root)"))
        }
        return .success(directory)
    }

    /// PID 1 is systemd: it owns the cgroup tree but what it delegates.
    static var underSystemd: Bool {
        read("/proc/1/comm").trimmingCharacters(in: .whitespacesAndNewlines) == "systemd"
    }

    /// systemd (251 and later) marks the cgroups it delegates with `trusted.delegate=1`.
    static func isDelegated(_ directory: String) -> Bool { csupervise_cgroup_delegated(directory) == 1 }

    /// Whether `path` is on a cgroup2 file system.
    public static func isCgroup2(_ path: String) -> Bool {
        csupervise_is_cgroup2(path) == 1
    }

    // MARK: - Units

    /// The directory of `unit`'s cgroup.
    public func path(of unit: String) -> String { unitsDirectory + "/" + unit }

    /// An open descriptor of `unit`'s cgroup directory, made on first use; owned by the hierarchy.
    func directory(of unit: String) throws(SpawnError) -> Int32 {
        if let fd = directories.withLock({ $0[unit] }) { return fd }
        let dir = path(of: unit)
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw SpawnError(description: "cannot create the unit's cgroup \(dir): \(errnoText())")
        }
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SpawnError(description: "cannot open the unit's cgroup \(dir): \(errnoText())") }
        return directories.withLock { open in
            if let existing = open[unit] { close(fd); return existing }
            open[unit] = fd
            return fd
        }
    }

    /// The processes in `unit`'s cgroup (none when it has no cgroup).
    public func processes(of unit: String) -> [Int32] {
        Self.read(path(of: unit) + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
    }

    /// Whether any process is in `unit`'s cgroup (`cgroup.events`), without listing them.
    public func populated(_ unit: String) -> Bool {
        Self.read(path(of: unit) + "/cgroup.events").contains("populated 1")
    }

    /// Sends `signal` to every process in `unit`'s cgroup. Returns how many got it.
    ///
    /// Not `cgroup.kill`, SIGKILL included: on the kernel tried (6.18), after one write to a
    /// cgroup's `cgroup.kill` every process later created in it with CLONE_INTO_CGROUP is killed
    /// at birth (the clone compares the kill sequence of the parent's cgroup with the target's),
    /// so the unit's next instance would die at once, again and again.
    @discardableResult
    public func signal(_ unit: String, _ signal: Int32) -> Int {
        // A process forking while we go through the list adds one we did not see: go again until
        // a pass finds no new pid, as systemd does.
        var sent: Set<Int32> = []
        for _ in 0..<8 {
            let fresh = processes(of: unit).filter { !sent.contains($0) }
            if fresh.isEmpty { break }
            for pid in fresh where Glibc.kill(pid, signal) == 0 { sent.insert(pid) }
        }
        return sent.count
    }

    /// The names of the units that have a cgroup here (configured or not).
    public func unitNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: unitsDirectory)) ?? []).filter { name in
            var st = stat()
            return stat(path(of: name), &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
        }.sorted()
    }

    /// Removes `unit`'s cgroup if it is empty (a unit no longer configured).
    public func removeIfEmpty(_ unit: String) {
        if let fd = directories.withLock({ $0.removeValue(forKey: unit) }) { close(fd) }
        _ = rmdir(path(of: unit))
    }

    // MARK: - Accounting

    /// What `unit`'s cgroup has used: processes, CPU time, memory (where the memory controller
    /// is enabled) and OOM kills.
    public func resources(of unit: String) -> UnitResources {
        let dir = path(of: unit)
        let usage = Self.field("usage_usec", in: Self.read(dir + "/cpu.stat"))
        let memory = controllers.contains("memory")
        return UnitResources(
            processes: processes(of: unit).count,
            cpuSeconds: usage.map { Double($0) / 1_000_000 },
            memoryBytes: memory ? UInt64(Self.read(dir + "/memory.current").trimmingCharacters(in: .whitespacesAndNewlines)) : nil,
            memoryPeakBytes: memory ? UInt64(Self.read(dir + "/memory.peak").trimmingCharacters(in: .whitespacesAndNewlines)) : nil,
            oomKills: memory ? Self.field("oom_kill", in: Self.read(dir + "/memory.events")).map(Int.init) : nil)
    }

    /// The OOM killer's kills in `unit`'s cgroup so far (`memory.events` `oom_kill`); nil without
    /// the memory controller.
    public func oomKills(of unit: String) -> UInt64? {
        controllers.contains("memory") ? Self.field("oom_kill", in: Self.read(path(of: unit) + "/memory.events")) : nil
    }

    // MARK: - Files

    static func field(_ name: String, in text: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == name { return UInt64(parts[1]) }
        }
        return nil
    }

    /// The text of a (small) cgroup or /proc file, empty when it cannot be read.
    static func read(_ path: String) -> String {
        String(decoding: bytes(path), as: UTF8.self)
    }

    /// The bytes of a (small) cgroup or /proc file, empty when it cannot be read.
    static func bytes(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            result += buffer[0..<n]
        }
        return result
    }
}

/// Writes `text` to a cgroup file in one write; false (errno set) when it fails.
func write(_ text: String, to path: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
}
