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
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view = view.dropFirst() }
        while view.last?.isWhitespace == true { view = view.dropLast() }
        return String(view)
    }
}
