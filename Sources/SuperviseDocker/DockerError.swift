/// Why a Docker Engine API call failed, with a message an operator can act on (``description``).
public enum DockerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `DOCKER_HOST` names something other than a unix socket (`tcp://`, `ssh://`, ...).
    case unsupportedDockerHost(String)
    /// Nothing answers on the socket: it does not exist, or nobody listens (`ECONNREFUSED`).
    case daemonNotReachable(socket: String, reason: String)
    /// The socket exists but this process may not connect to it (`EACCES`).
    case permissionDenied(socket: String)
    /// The daemon answered 404 for a container: it does not exist (any more).
    case noSuchContainer(String)
    /// The daemon's API version is below ``DockerAPIVersion/minimum``.
    case apiVersionTooOld(String)
    /// Any other HTTP error status, with Docker's `message` field from the JSON body.
    case http(status: Int, message: String, request: String)
    /// The connection broke or timed out during a request (the daemon stopped or hung).
    case connectionLost(socket: String, reason: String)
    /// The event stream ended. Docker ends it only when the daemon goes away, so the caller should
    /// reconnect (see ``DockerReconnectBackoff``) and resync with ``DockerClient/listContainers(filters:all:)``.
    case eventStreamEnded(reason: String)
    /// The daemon answered something this client cannot read.
    case invalidResponse(String)
    /// libcurl could not be loaded or a transfer could not be set up.
    case transport(String)
    /// The client was shut down before the request completed.
    case clientShutDown

    public var description: String {
        switch self {
        case .unsupportedDockerHost(let host):
            "DOCKER_HOST=\(host) is not supported: supervise talks to Docker only over a unix socket (unix:///path/docker.sock)"
        case .daemonNotReachable(let socket, let reason):
            "Docker daemon not reachable at \(socket): \(reason)"
        case .permissionDenied(let socket):
            "permission denied on the Docker socket \(socket): run as root or as a member of the socket's group (usually docker)"
        case .noSuchContainer(let id):
            "no such container \(id)"
        case .apiVersionTooOld(let version):
            "Docker API version \(version) is too old; supervise needs \(DockerAPIVersion.minimum) (Docker 20.10) or newer"
        case .http(let status, let message, let request):
            "Docker answered \(status) to \(request): \(message)"
        case .connectionLost(let socket, let reason):
            "connection to the Docker daemon at \(socket) lost: \(reason)"
        case .eventStreamEnded(let reason):
            "Docker event stream ended: \(reason)"
        case .invalidResponse(let detail):
            "unreadable answer from the Docker daemon: \(detail)"
        case .transport(let detail):
            "Docker client: \(detail)"
        case .clientShutDown:
            "Docker client was shut down"
        }
    }
}
