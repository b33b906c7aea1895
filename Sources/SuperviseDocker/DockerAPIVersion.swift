/// A Docker Engine API version such as `1.41`, ordered numerically (1.9 < 1.41).
public struct DockerAPIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    /// The oldest version this client speaks: Docker 20.10, Debian 12's `docker.io`.
    public static let minimum = DockerAPIVersion(major: 1, minor: 41)
    /// The newest version this client was written against (Docker 27). A newer daemon is spoken
    /// to at this version, which it still serves, so answers keep the shape decoded here.
    public static let newestKnown = DockerAPIVersion(major: 1, minor: 47)

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `MAJOR.MINOR`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.trimmingWhitespace().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0 else {
            return nil
        }
        self.init(major: major, minor: minor)
    }

    /// The version to use with a daemon that reports `server` (`API-Version` of `GET /_ping`):
    /// `min(server, newestKnown)`, or ``DockerError/apiVersionTooOld(_:)`` below ``minimum``.
    public static func negotiate(server: String) throws(DockerError) -> DockerAPIVersion {
        guard let version = DockerAPIVersion(server) else {
            throw .invalidResponse("API-Version header \"\(server)\" is not MAJOR.MINOR")
        }
        guard version >= minimum else { throw .apiVersionTooOld(server) }
        return Swift.min(version, newestKnown)
    }

    /// `v1.41`, the path prefix of every call.
    public var pathPrefix: String { "/v\(major).\(minor)" }

    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: DockerAPIVersion, rhs: DockerAPIVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }
}
