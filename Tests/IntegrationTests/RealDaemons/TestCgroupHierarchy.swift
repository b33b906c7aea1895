import Foundation
import Testing

/// A cgroup v2 hierarchy a test mounts for itself (`mount -t cgroup2 none DIR`; this host mounts
/// cgroup v1 for the controllers, but the v2 hierarchy can still be mounted, and on a Debian 12
/// host that boots with v2 a second mount shows the same tree), with a fresh subdirectory to hand
/// the daemon as its delegated subtree (`supervise run --cgroup-root ROOT`).
///
/// `remove()` runs on every path: it kills whatever is left in the subtree (`cgroup.kill`), removes
/// the cgroups bottom-up, unmounts and removes the mount point.
final class TestCgroupHierarchy: @unchecked Sendable {
    let mountPoint: String
    /// The daemon's delegated subtree: `MOUNT/supervise-test-XXXXXXXX`.
    let root: String
    private var mounted = false

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init() throws {
        mountPoint = makeTemporaryDirectory("supervise-cgroup2").path
        guard mount("none", mountPoint, "cgroup2", 0, nil) == 0 else {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: mountPoint)
            throw Failure(description: "mount -t cgroup2 none \(mountPoint): \(why) (the cgroup tests need root and a kernel with cgroup v2)")
        }
        mounted = true
        root = mountPoint + "/supervise-test-\(UUID().uuidString.prefix(8))"
        guard mkdir(root, 0o755) == 0 else {
            let why = String(cString: strerror(errno))
            _ = umount2(mountPoint, Int32(MNT_DETACH))
            try? FileManager.default.removeItem(atPath: mountPoint)
            throw Failure(description: "mkdir \(root): \(why)")
        }
    }

    /// The cgroup the daemon is to put `unit`'s processes in.
    func unitPath(_ unit: String) -> String { root + "/units/" + unit }

    /// The pids in `path`'s `cgroup.procs`; nil when there is no such cgroup.
    func procs(_ path: String) -> [Int32]? {
        guard let text = try? String(contentsOfFile: path + "/cgroup.procs", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Which cgroup of this hierarchy `pid` is in, as `/proc/PID/cgroup` says (`0::/PATH`), relative
    /// to the hierarchy's root: `/supervise-test-…/units/nginx`.
    static func cgroupOf(_ pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    /// A path in the mount as `/proc/PID/cgroup` writes it.
    func relative(_ path: String) -> String { String(path.dropFirst(mountPoint.count)) }

    /// Every cgroup below and including `root`, deepest first.
    private func cgroupsDeepestFirst() -> [String] {
        var found: [String] = []
        func walk(_ dir: String) {
            found.append(dir)
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for e in entries {
                var isDir: ObjCBool = false
                let path = dir + "/" + e
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { walk(path) }
            }
        }
        walk(root)
        return found.sorted { $0.count > $1.count }
    }

    /// Kills what is left, removes the cgroups, unmounts. Returns the processes that were still in
    /// the subtree (described), so a test can say what the daemon left there.
    @discardableResult
    func remove() -> [String] {
        guard mounted else { return [] }
        mounted = false
        var left: [String] = []
        for group in cgroupsDeepestFirst() {
            for pid in procs(group) ?? [] { left.append("\(relative(group)): " + ProcFS.describe(pid)) }
        }
        if !left.isEmpty {
            // cgroup.kill (5.14+) kills the whole subtree; where it is missing, each process by pid.
            if (try? "1".write(toFile: root + "/cgroup.kill", atomically: false, encoding: .utf8)) == nil {
                for group in cgroupsDeepestFirst() { for pid in procs(group) ?? [] { kill(pid, SIGKILL) } }
            }
            _ = eventually(timeout: 5) { cgroupsDeepestFirst().allSatisfy { (procs($0) ?? []).isEmpty } }
        }
        for group in cgroupsDeepestFirst() {
            // A cgroup whose last process just died can stay busy for a moment.
            if !eventually(timeout: 3, { rmdir(group) == 0 || errno == ENOENT }) {
                Issue.record("could not remove the test's cgroup \(group): \(String(cString: strerror(errno)))")
            }
        }
        if umount2(mountPoint, Int32(MNT_DETACH)) != 0 {
            Issue.record("could not unmount \(mountPoint): \(String(cString: strerror(errno)))")
        }
        // rmdir, not a recursive removal: should the unmount have failed, nothing inside is touched.
        rmdir(mountPoint)
        return left
    }

    deinit { remove() }
}
