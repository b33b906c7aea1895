import Foundation
import SuperviseCore
import SuperviseDocker

/// A `DOCKER_HOST` that the daemon would read but cannot use, worded for the operator.
struct DockerSocketRefusal: Error, CustomStringConvertible {
    var reason: DockerError
    var description: String {
        "\(reason); or name the socket with docker.socket in the configuration, which wins over DOCKER_HOST"
    }
}

extension SupervisorConfig {
    /// Sets ``DockerSettings/socketPath`` to the socket the daemon will use when it watches containers: the
    /// configured `docker.socket` whenever there is one, else `DOCKER_HOST`'s `unix:///path`, else the default
    /// (``DockerEndpoint/socketPath(configured:environment:)``). Done where the configuration is loaded, at start and
    /// at every reload, so that an unsupported `DOCKER_HOST` (`tcp://`, `ssh://`, ...) refuses the start or the
    /// reload, like an invalid file, instead of being passed over for the default socket. Without container entries
    /// `DOCKER_HOST` is not read.
    mutating func resolveDockerSocket(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(DockerSocketRefusal) {
        guard !containers.isEmpty else { return }
        do {
            docker.socketPath = try DockerEndpoint.socketPath(configured: docker.socketPath, environment: environment)
        } catch {
            throw DockerSocketRefusal(reason: error)
        }
    }
}
