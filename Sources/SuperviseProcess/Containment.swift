import Foundation
import SuperviseCore

/// How the daemon holds each unit's processes together: a cgroup v2 cgroup per unit where a
/// writable cgroup v2 subtree exists (Debian 12 with `Delegate=yes`), else the unit's process
/// group plus what the subreaper learns (``ProcessGroupTracker``).
public enum Containment: Sendable {
    case cgroup(CgroupHierarchy)
    case processGroup(reason: String)

    /// Sets up containment: `root` when given (it must work), else the daemon's own cgroup when
    /// it is a writable cgroup v2 one, else the process-group fallback; `disabled` forces that.
    /// `controllers`: enable the memory, cpu, io and pids controllers for the units (see
    /// ``CgroupHierarchy/prepare(root:controllers:)``); nil: only for an explicit `root`.
    public static func choose(root: String?, disabled: Bool, controllers: Bool? = nil) -> Result<Containment, CgroupHierarchy.Unusable> {
        if disabled { return .success(.processGroup(reason: "turned off (--no-cgroups)")) }
        if let root {
            do { return .success(.cgroup(try CgroupHierarchy.prepare(root: root, controllers: controllers ?? true))) } catch { return .failure(error) }
        }
        switch CgroupHierarchy.ownCgroup() {
        case .failure(let why):
            return .success(.processGroup(reason: why.description))
        case .success(let own):
            do { return .success(.cgroup(try CgroupHierarchy.prepare(root: own, controllers: controllers ?? false))) } catch {
                return .success(.processGroup(reason: error.description))
            }
        }
    }

    /// The mode as `status` shows it.
    public var status: ContainmentStatus {
        switch self {
        case .cgroup(let tree): ContainmentStatus(mode: "cgroup", root: tree.root, controllers: tree.controllers)
        case .processGroup(let reason): ContainmentStatus(mode: "process-group", reason: reason)
        }
    }

    public var hierarchy: CgroupHierarchy? {
        if case .cgroup(let tree) = self { tree } else { nil }
    }
}
