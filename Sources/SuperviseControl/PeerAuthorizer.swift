import Foundation

/// Decides from peer credentials who may change state: root, the daemon's own user, and
/// members of the control group (primary or supplementary, read from `/proc/PID/status`).
public struct PeerAuthorizer: Sendable {
    public let groupID: UInt32?
    public let groupName: String?

    public init(groupName: String?) {
        self.groupName = groupName
        self.groupID = groupName.flatMap(PeerAuthorizer.lookupGroup)
    }

    public func mayChangeState(_ peer: PeerCredentials) -> Bool {
        if peer.uid == 0 || peer.uid == geteuid() { return true }
        guard let gid = groupID else { return false }
        if peer.gid == gid { return true }
        return Self.supplementaryGroups(pid: peer.pid).contains(gid)
    }

    /// The refusal text for an unprivileged peer.
    public func refusal(_ peer: PeerCredentials) -> String {
        let who = Self.userName(peer.uid).map { "uid \(peer.uid) (\($0))" } ?? "uid \(peer.uid)"
        let allowed = groupName.map { "root or a member of group \"\($0)\"" } ?? "root"
        return "permission denied: \(who) may read status but only \(allowed) may change state"
    }

    static func supplementaryGroups(pid: Int32) -> [UInt32] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
        }
        return []
    }

    static func lookupGroup(_ name: String) -> UInt32? {
        if let id = UInt32(name) { return id }
        guard let entry = getgrnam(name) else { return nil }
        return entry.pointee.gr_gid
    }

    static func userName(_ uid: UInt32) -> String? {
        guard let entry = getpwuid(uid) else { return nil }
        return String(cString: entry.pointee.pw_name)
    }
}
