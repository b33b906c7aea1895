/// The daemon's answer to `GET /_ping`.
public struct DockerPing: Sendable, Equatable {
    /// The newest API version the daemon speaks (`API-Version` header), e.g. `1.41`.
    public var serverAPIVersion: String
    /// The version this client uses with it: `min(server, DockerAPIVersion.newestKnown)`.
    public var negotiated: DockerAPIVersion
    /// `OSType` header (`linux`), if sent.
    public var osType: String?

    public init(serverAPIVersion: String, negotiated: DockerAPIVersion, osType: String?) {
        self.serverAPIVersion = serverAPIVersion
        self.negotiated = negotiated
        self.osType = osType
    }
}
