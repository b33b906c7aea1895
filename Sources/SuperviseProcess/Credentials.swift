import Foundation

/// The user and groups a unit's process runs as, resolved from names or numeric ids.
struct Credentials: Sendable {
    var uid: uid_t
    var gid: gid_t
    var groups: [gid_t]

    /// Resolves `user` (name or id) and `group`; nil when neither is set.
    static func resolve(user: String?, group: String?) -> Result<Credentials?, SpawnError> {
        guard user != nil || group != nil else { return .success(nil) }
        var uid = getuid(), gid = getgid()
        var groups: [gid_t] = []
        if let user {
            guard let entry = lookupUser(user) else {
                return .failure(SpawnError(description: "user \"\(user)\" does not exist"))
            }
            uid = entry.uid
            gid = entry.gid
            groups = supplementaryGroups(name: entry.name, gid: entry.gid)
        }
        if let group {
            guard let g = lookupGroup(group) else {
                return .failure(SpawnError(description: "group \"\(group)\" does not exist"))
            }
            gid = g
            if user == nil { groups = [g] } else if !groups.contains(g) { groups.append(g) }
        }
        return .success(Credentials(uid: uid, gid: gid, groups: groups.isEmpty ? [gid] : groups))
    }

    static func lookupUser(_ user: String) -> (name: String, uid: uid_t, gid: gid_t)? {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        if let id = uid_t(user) {
            guard getpwuid_r(id, &pwd, &buffer, buffer.count, &result) == 0, result != nil else {
                return (user, id, id)  // a numeric id without a passwd entry is allowed, like systemd's
            }
        } else {
            guard getpwnam_r(user, &pwd, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        }
        return (String(cString: pwd.pw_name), pwd.pw_uid, pwd.pw_gid)
    }

    /// Group id for a name or a numeric id.
    static func lookupGroup(_ group: String) -> gid_t? {
        if let id = gid_t(group) { return id }
        var grp = group_t()
        var result: UnsafeMutablePointer<group_t>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getgrnam_r(group, &grp, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return grp.gr_gid
    }

    static func supplementaryGroups(name: String, gid: gid_t) -> [gid_t] {
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, gid, &list, &count) < 0 {
            list = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, gid, &list, &count)
        }
        return Array(list.prefix(Int(max(count, 0))))
    }
}

typealias group_t = Glibc.group
