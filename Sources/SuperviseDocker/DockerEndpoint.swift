/// Where the Docker daemon listens: a unix socket path, from `DOCKER_HOST` or the default.
public enum DockerEndpoint {
    /// The socket Docker listens on when `DOCKER_HOST` is not set.
    public static let defaultSocketPath = "/var/run/docker.sock"

    /// The socket path for a `DOCKER_HOST` value: `unix:///path` gives `/path`, nil or empty the
    /// default. Anything else (`tcp://`, `ssh://`, `npipe://`, a bare path) is refused with
    /// ``DockerError/unsupportedDockerHost(_:)``.
    public static func socketPath(dockerHost: String?) throws(DockerError) -> String {
        guard let host = dockerHost?.trimmingWhitespace(), !host.isEmpty else { return defaultSocketPath }
        let prefix = "unix://"
        guard host.hasPrefix(prefix) else { throw .unsupportedDockerHost(host) }
        let path = String(host.dropFirst(prefix.count))
        guard path.hasPrefix("/") else { throw .unsupportedDockerHost(host) }
        return path
    }

    /// The socket path from an environment (`DOCKER_HOST`), e.g. `ProcessInfo.processInfo.environment`.
    public static func socketPath(environment: [String: String]) throws(DockerError) -> String {
        try socketPath(dockerHost: environment["DOCKER_HOST"])
    }

    /// The socket the daemon uses: `configured` (the configuration's `docker.socket`) whenever the configuration
    /// names one, even the default path, and `DOCKER_HOST` is then not read; otherwise `DOCKER_HOST`'s
    /// `unix:///path`, else the default. A `DOCKER_HOST` that is read and names anything but a unix socket is
    /// refused (``DockerError/unsupportedDockerHost(_:)``), never passed over for the default socket.
    public static func socketPath(configured: String?, environment: [String: String]) throws(DockerError) -> String {
        if let configured { return configured }
        return try socketPath(environment: environment)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view = view.dropFirst() }
        while view.last?.isWhitespace == true { view = view.dropLast() }
        return String(view)
    }
}
