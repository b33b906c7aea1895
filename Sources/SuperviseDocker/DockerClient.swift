import Foundation
import Synchronization

/// A Docker Engine API client on the daemon's unix socket.
///
/// Every request runs on one dedicated thread driving a libcurl multi handle; the async methods
/// suspend on continuations and never block Swift's cooperative thread pool. Any number of
/// requests can be in flight at once: a `restart` that waits an hour for a worker to drain does
/// not delay an `inspect` or the event stream. Cancelling the calling task aborts its request.
///
/// The API version is negotiated on first use (``ping()``): `min(daemon's version,
/// DockerAPIVersion.newestKnown)`, refused below ``DockerAPIVersion/minimum`` (1.41, Docker 20.10).
/// Methods throw ``DockerError`` (or `CancellationError`).
public final class DockerClient: Sendable {
    /// The unix socket this client talks to.
    public let socketPath: String
    /// Limit for ordinary calls; stop and restart get their stop timeout on top.
    public let requestTimeoutSeconds: Int
    private let transport: DockerTransport
    private let version = Mutex<DockerAPIVersion?>(nil)

    /// A client for the daemon at `socketPath` (default `/var/run/docker.sock`). Nothing connects
    /// until the first call.
    public init(socketPath: String = DockerEndpoint.defaultSocketPath, requestTimeoutSeconds: Int = 60) {
        self.socketPath = socketPath
        self.requestTimeoutSeconds = requestTimeoutSeconds
        transport = DockerTransport(socket: socketPath)
    }

    /// A client for the socket `DOCKER_HOST` names (`unix:///path`), or the default socket when
    /// it is unset. Throws ``DockerError/unsupportedDockerHost(_:)`` for `tcp://` and the like.
    public convenience init(environment: [String: String], requestTimeoutSeconds: Int = 60) throws(DockerError) {
        self.init(socketPath: try DockerEndpoint.socketPath(environment: environment),
                  requestTimeoutSeconds: requestTimeoutSeconds)
    }

    // Does not wait: the last reference might be released on the transport thread itself.
    deinit { transport.shutdown(wait: false) }

    /// Stops the client's thread and waits for it: calls in flight fail with
    /// ``DockerError/clientShutDown``, event streams end with ``DockerError/eventStreamEnded(reason:)``.
    /// Idempotent; also done (without waiting) on deinit.
    public func shutdown() { transport.shutdown() }

    /// The version in use, once negotiated.
    public var apiVersion: DockerAPIVersion? { version.withLock { $0 } }

    // MARK: Calls

    /// `GET /_ping`: checks that the daemon answers and (re)negotiates the API version.
    @discardableResult
    public func ping() async throws -> DockerPing {
        let request = HTTPRequest(method: .get, path: "/_ping", timeoutSeconds: requestTimeoutSeconds)
        let response = try await transport.perform(request)
        guard response.status == 200 else { throw failure(response, request, container: nil) }
        guard let server = response.headers["api-version"] else {
            throw DockerError.invalidResponse("GET /_ping answered without an API-Version header")
        }
        let negotiated = try DockerAPIVersion.negotiate(server: server)
        version.withLock { $0 = negotiated }
        return DockerPing(serverAPIVersion: server, negotiated: negotiated, osType: response.headers["ostype"])
    }

    /// `GET /containers/json`: the containers matching `filters` (all of them, stopped ones too,
    /// unless `all` is false).
    public func listContainers(filters: DockerFilters = DockerFilters(), all: Bool = true) async throws -> [DockerContainerSummary] {
        var query: [(String, String)] = [("all", all ? "1" : "0")]
        if !filters.isEmpty { query.append(("filters", filters.json)) }
        let response = try await call(.get, "/containers/json", query: query, container: nil)
        return try DockerContainerSummary.decodeList(response.body)
    }

    /// `GET /containers/{id}/json`. Throws ``DockerError/noSuchContainer(_:)`` when it is gone.
    public func inspect(_ id: String) async throws -> DockerContainer {
        let response = try await call(.get, "/containers/\(QueryEncoding.encode(id))/json", container: id)
        return try DockerContainer.decode(response.body)
    }

    /// `POST /containers/{id}/restart?t=N`: stop signal, SIGKILL after `timeoutSeconds`, start.
    /// Returns when the container runs again, which may take the whole timeout (an hour for a
    /// draining worker); other calls proceed meanwhile. A negative timeout waits for the stop
    /// signal without limit (Docker's `t=-1`).
    public func restart(_ id: String, timeoutSeconds: Int) async throws {
        _ = try await call(.post, "/containers/\(QueryEncoding.encode(id))/restart",
                           query: [("t", String(timeoutSeconds))], container: id, timeout: stopLimit(timeoutSeconds))
    }

    /// `POST /containers/{id}/stop?t=N`: stop signal, SIGKILL after `timeoutSeconds`. Stopping a
    /// stopped container succeeds (Docker answers 304). A negative timeout waits without limit.
    public func stop(_ id: String, timeoutSeconds: Int) async throws {
        _ = try await call(.post, "/containers/\(QueryEncoding.encode(id))/stop",
                           query: [("t", String(timeoutSeconds))], container: id, timeout: stopLimit(timeoutSeconds))
    }

    /// `POST /containers/{id}/start`. Starting a running container succeeds (Docker answers 304).
    public func start(_ id: String) async throws {
        _ = try await call(.post, "/containers/\(QueryEncoding.encode(id))/start", container: id)
    }

    /// `POST /containers/{id}/kill?signal=N`: sends `signal` (e.g. `SIGKILL`, 9) to the main
    /// process. Docker answers 409 when the container is not running.
    public func kill(_ id: String, signal: Int32) async throws {
        _ = try await call(.post, "/containers/\(QueryEncoding.encode(id))/kill",
                           query: [("signal", String(signal))], container: id)
    }

    /// `GET /events?filters=...`: the daemon's events from now on, as they happen.
    ///
    /// Returns once the daemon has accepted the subscription, so a `listContainers` made after
    /// this returns cannot miss an event between the two (subscribe first, then resync). The
    /// stream never ends by itself while the daemon runs: it finishes by throwing
    /// ``DockerError/eventStreamEnded(reason:)`` when the daemon goes away or the connection
    /// breaks; reconnect with ``DockerReconnectBackoff`` and resync. Ending the iteration (or
    /// cancelling the consuming task) closes the connection. Events are buffered without limit
    /// until consumed; Docker itself drops events for readers that fall far behind.
    public func events(filters: DockerFilters = DockerFilters()) async throws -> AsyncThrowingStream<DockerEvent, any Error> {
        let version = try await negotiatedVersion()
        var query: [(String, String)] = []
        if !filters.isEmpty { query.append(("filters", filters.json)) }
        let request = HTTPRequest(method: .get, path: version.pathPrefix + "/events" + QueryEncoding.query(query),
                                  timeoutSeconds: nil, streaming: true)
        let (stream, continuation) = AsyncThrowingStream<DockerEvent, any Error>.makeStream()
        let subscription = EventSubscription(events: continuation, request: request)
        let token = RequestToken()
        let transport = self.transport
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (opened: CheckedContinuation<Void, any Error>) in
                subscription.awaitOpening(opened)
                token.begin {
                    let id = transport.start(request, subscription.handlers)
                    if let id { continuation.onTermination = { _ in transport.cancel(id) } }
                    return id
                } alreadyCancelled: {
                    subscription.fail(CancellationError())
                }
            }
        } onCancel: {
            token.cancel(transport.cancel)
        }
        return stream
    }

    // MARK: Plumbing

    private func negotiatedVersion() async throws -> DockerAPIVersion {
        if let known = version.withLock({ $0 }) { return known }
        return try await ping().negotiated
    }

    /// The transfer limit of a stop or restart: the stop timeout plus the usual request limit, or
    /// none (0) when Docker waits without limit.
    func stopLimit(_ timeoutSeconds: Int) -> Int {
        timeoutSeconds < 0 ? 0 : requestTimeoutSeconds + timeoutSeconds
    }

    /// Performs a versioned call (with a JSON body, for a POST that takes one) and returns a 2xx (or 304) answer;
    /// anything else is thrown. `container` names the container a 404 means is gone.
    func call(_ method: HTTPRequest.Method, _ path: String, query: [(String, String)] = [],
              container: String?, timeout: Int? = nil, jsonBody: String? = nil) async throws -> HTTPResponse {
        let version = try await negotiatedVersion()
        let request = HTTPRequest(method: method, path: version.pathPrefix + path + QueryEncoding.query(query),
                                  timeoutSeconds: timeout ?? requestTimeoutSeconds, jsonBody: jsonBody)
        let response = try await transport.perform(request)
        guard (200..<300).contains(response.status) || response.status == 304 else {
            throw failure(response, request, container: container)
        }
        return response
    }

    private func failure(_ response: HTTPResponse, _ request: HTTPRequest, container: String?) -> DockerError {
        if response.status == 400, request.path.hasPrefix("/v"),
           TransportFailure.message(response.body).contains("client version") {
            // The daemon no longer serves the version we negotiated: negotiate again next time.
            version.withLock { $0 = nil }
        }
        return TransportFailure.error(status: response.status, body: response.body, request: request.summary,
                                      container: container)
    }
}
