import CCurl
import Foundation
import Testing
@testable import SuperviseDocker

/// The pure parts: endpoint, version negotiation, error mapping, event parsing, line splitting.
@Suite(.serialized)
struct DockerUnitTests {
    @Test func dockerHostSelectsAUnixSocketOnly() throws {
        #expect(try DockerEndpoint.socketPath(dockerHost: nil) == "/var/run/docker.sock")
        #expect(try DockerEndpoint.socketPath(dockerHost: "") == "/var/run/docker.sock")
        #expect(try DockerEndpoint.socketPath(dockerHost: "unix:///run/user/1000/docker.sock") == "/run/user/1000/docker.sock")
        #expect(try DockerEndpoint.socketPath(environment: ["DOCKER_HOST": "unix:///tmp/d.sock"]) == "/tmp/d.sock")
        for host in ["tcp://127.0.0.1:2375", "ssh://me@host", "npipe:////./pipe/docker_engine", "/var/run/docker.sock", "unix://relative"] {
            #expect(throws: DockerError.unsupportedDockerHost(host)) { try DockerEndpoint.socketPath(dockerHost: host) }
        }
        #expect(DockerError.unsupportedDockerHost("tcp://h:2375").description
            == "DOCKER_HOST=tcp://h:2375 is not supported: supervise talks to Docker only over a unix socket (unix:///path/docker.sock)")
        #expect(throws: DockerError.unsupportedDockerHost("tcp://h:1")) {
            _ = try DockerClient(environment: ["DOCKER_HOST": "tcp://h:1"])
        }
    }

    /// The configuration's `docker.socket` wins whenever it is set, even to the default path; DOCKER_HOST is read
    /// only without it, and then refused unless it names a unix socket.
    @Test func configuredSocketWinsOverDockerHost() throws {
        let other = ["DOCKER_HOST": "unix:///tmp/other.sock"]
        #expect(try DockerEndpoint.socketPath(configured: "/var/run/docker.sock", environment: other) == "/var/run/docker.sock")
        #expect(try DockerEndpoint.socketPath(configured: "/run/d.sock", environment: other) == "/run/d.sock")
        #expect(try DockerEndpoint.socketPath(configured: nil, environment: other) == "/tmp/other.sock")
        #expect(try DockerEndpoint.socketPath(configured: nil, environment: [:]) == "/var/run/docker.sock")
        #expect(try DockerEndpoint.socketPath(configured: "/run/d.sock", environment: ["DOCKER_HOST": "tcp://h:2375"]) == "/run/d.sock")
        #expect(throws: DockerError.unsupportedDockerHost("tcp://h:2375")) {
            try DockerEndpoint.socketPath(configured: nil, environment: ["DOCKER_HOST": "tcp://h:2375"])
        }
    }

    @Test func versionNegotiation() throws {
        #expect(try DockerAPIVersion.negotiate(server: "1.41") == DockerAPIVersion(major: 1, minor: 41))
        #expect(try DockerAPIVersion.negotiate(server: "1.45") == DockerAPIVersion(major: 1, minor: 45))
        #expect(try DockerAPIVersion.negotiate(server: "1.52") == DockerAPIVersion.newestKnown)
        #expect(throws: DockerError.apiVersionTooOld("1.40")) { try DockerAPIVersion.negotiate(server: "1.40") }
        #expect(throws: DockerError.apiVersionTooOld("1.9")) { try DockerAPIVersion.negotiate(server: "1.9") }
        #expect(throws: DockerError.self) { try DockerAPIVersion.negotiate(server: "banana") }
        #expect(DockerAPIVersion(major: 1, minor: 9) < DockerAPIVersion(major: 1, minor: 41))
        #expect(DockerAPIVersion.minimum.pathPrefix == "/v1.41")
        #expect(DockerError.apiVersionTooOld("1.40").description
            == "Docker API version 1.40 is too old; supervise needs 1.41 (Docker 20.10) or newer")
    }

    @Test func connectFailuresMapToClearErrors() {
        let socket = "/var/run/docker.sock"
        func mapped(_ code: CURLcode, _ errno: Int32, state: Int32 = 0) -> DockerError {
            TransportFailure.error(curl: code, osErrno: errno, detail: "", socket: socket, timeoutSeconds: 60,
                                   socketState: { _ in state })
        }
        #expect(mapped(CURLE_COULDNT_CONNECT, ENOENT) == .daemonNotReachable(socket: socket, reason: "no such socket (is dockerd running?)"))
        #expect(mapped(CURLE_COULDNT_CONNECT, ECONNREFUSED) == .daemonNotReachable(socket: socket, reason: "connection refused (is dockerd running?)"))
        #expect(mapped(CURLE_COULDNT_CONNECT, EACCES) == .permissionDenied(socket: socket))
        // curl recorded no errno: judge from the socket file.
        #expect(mapped(CURLE_COULDNT_CONNECT, 0, state: EACCES) == .permissionDenied(socket: socket))
        #expect(mapped(CURLE_COULDNT_CONNECT, 0, state: ENOENT) == .daemonNotReachable(socket: socket, reason: "no such socket (is dockerd running?)"))
        #expect(mapped(CURLE_OPERATION_TIMEDOUT, 0) == .connectionLost(socket: socket, reason: "no answer within 60 s"))
        guard case .connectionLost = mapped(CURLE_GOT_NOTHING, 0) else { Issue.record("GOT_NOTHING"); return }
        guard case .connectionLost = mapped(CURLE_RECV_ERROR, ECONNRESET) else { Issue.record("RECV_ERROR"); return }
        guard case .transport = mapped(CURLE_OUT_OF_MEMORY, 0) else { Issue.record("OUT_OF_MEMORY"); return }

        #expect(DockerError.permissionDenied(socket: socket).description.contains("docker"))
        #expect(DockerError.daemonNotReachable(socket: socket, reason: "connection refused (is dockerd running?)").description
            == "Docker daemon not reachable at /var/run/docker.sock: connection refused (is dockerd running?)")
    }

    @Test func socketStateFromTheFileSystem() throws {
        #expect(TransportFailure.socketErrno("/tmp/sv-dk-does-not-exist/docker.sock") == ENOENT)
        #expect(TransportFailure.socketErrno("/tmp") == 0) // root may write anywhere
    }

    @Test func httpErrorsQuoteDockersMessage() {
        let body = Array(#"{"message":"Container abc is not running"}"#.utf8)
        #expect(TransportFailure.error(status: 409, body: body, request: "POST /containers/abc/kill", container: "abc")
            == .http(status: 409, message: "Container abc is not running", request: "POST /containers/abc/kill"))
        #expect(TransportFailure.error(status: 404, body: Array(#"{"message":"No such container: abc"}"#.utf8),
                                       request: "GET /containers/abc/json", container: "abc") == .noSuchContainer("abc"))
        #expect(TransportFailure.error(status: 404, body: [], request: "GET /nope", container: nil)
            == .http(status: 404, message: "(no message)", request: "GET /nope"))
        #expect(TransportFailure.message(Array("page not found\n".utf8)) == "page not found")
        #expect(DockerError.http(status: 500, message: "boom", request: "POST /containers/x/restart").description
            == "Docker answered 500 to POST /containers/x/restart: boom")
        let request = HTTPRequest(method: .post, path: "/v1.41/containers/abc/restart?t=3600", timeoutSeconds: 60)
        #expect(request.summary == "POST /containers/abc/restart")
    }

    @Test func eventsParseFromNewlineDelimitedJSONInArbitraryChunks() throws {
        let die = #"{"status":"die","id":"c1","from":"img","Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"exitCode":"137","image":"img","name":"p-worker-1","com.docker.compose.project":"p"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}"#
        let health = #"{"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"c2","Attributes":{"name":"x"}},"time":1700000001,"timeNano":1700000001000000000}"#
        let kill = #"{"Type":"container","Action":"kill","Actor":{"ID":"c1","Attributes":{"signal":"9"}},"time":1,"timeNano":1000000000}"#
        let text = Array((die + "\n" + health + "\r\n\n" + kill + "\n").utf8)
        // Every split point, and byte-by-byte: the same three events.
        for cut in stride(from: 0, through: text.count, by: 7) {
            var splitter = LineSplitter()
            var lines = splitter.append(text[..<cut]) ?? []
            lines += splitter.append(text[cut...]) ?? []
            #expect(lines.count == 3)
            #expect(splitter.bufferedCount == 0)
        }
        var splitter = LineSplitter()
        var lines: [ArraySlice<UInt8>] = []
        for byte in text { lines += splitter.append([byte]) ?? [] }
        let events = try lines.map { try DockerEvent.decode($0) }
        #expect(events.count == 3)

        #expect(events[0].action == .die)
        #expect(events[0].containerID == "c1")
        #expect(events[0].exitCode == 137)
        #expect(events[0].name == "p-worker-1")
        #expect(events[0].labels == ["com.docker.compose.project": "p"])
        #expect(events[0].timeNano == 1_700_000_000_123_456_789)
        #expect(events[1].action == .healthStatus("unhealthy"))
        #expect(events[1].rawAction == "health_status: unhealthy")
        #expect(events[2].action == .kill)
        #expect(events[2].signal == "9")

        #expect(DockerEvent.Action("health_status: healthy") == .healthStatus("healthy"))
        #expect(DockerEvent.Action("oom") == .oom)
        #expect(DockerEvent.Action("exec_start: sh -c true") == .other("exec_start: sh -c true"))

        var partial = LineSplitter()
        #expect(partial.append(Array(die.utf8))?.isEmpty == true)
        #expect(partial.bufferedCount == die.utf8.count)
    }

    @Test func inspectAnswerDecodes() throws {
        let json = #"""
        {"Id":"abc","Name":"/p-worker-1","Image":"sha256:1","RestartCount":2,
         "State":{"Status":"exited","Running":false,"Paused":false,"Restarting":false,"OOMKilled":true,"Dead":false,
                  "Pid":0,"ExitCode":137,"Error":"","StartedAt":"2024-05-01T12:00:00.5Z","FinishedAt":"0001-01-01T00:00:00Z",
                  "Health":{"Status":"unhealthy","FailingStreak":3,"Log":[]}},
         "Config":{"Image":"agent:1","Labels":{"a":"b"},"StopTimeout":3600},
         "HostConfig":{"NetworkMode":"host","RestartPolicy":{"Name":"on-failure","MaximumRetryCount":5}}}
        """#
        let container = try DockerContainer.decode(Array(json.utf8))
        #expect(container.name == "p-worker-1")
        #expect(container.image == "agent:1")
        #expect(container.state.oomKilled)
        #expect(container.state.exitCode == 137)
        #expect(container.state.health == DockerContainer.Health(status: "unhealthy", failingStreak: 3))
        #expect(container.restartPolicy == DockerContainer.RestartPolicy(name: "on-failure", maximumRetryCount: 5))
        #expect(container.stopTimeout == 3600)
        #expect(container.networkMode == "host")
        #expect(container.restartCount == 2)
        #expect(container.state.startedDate == Date(timeIntervalSince1970: 1_714_564_800.5))
        #expect(container.state.finishedDate == nil)
        #expect(throws: DockerError.self) { try DockerContainer.decode(Array("{}".utf8)) }
    }

    @Test func timestamps() {
        #expect(DockerTimestamp.date("2024-05-01T12:00:00Z") == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(DockerTimestamp.date("2024-05-01T14:00:00+02:00") == Date(timeIntervalSince1970: 1_714_564_800))
        let nanos = DockerTimestamp.date("2024-05-01T12:00:00.123456789Z")?.timeIntervalSince1970 ?? 0
        #expect(abs(nanos - 1_714_564_800.123456789) < 1e-6)
        #expect(DockerTimestamp.date("0001-01-01T00:00:00Z") == nil)
        #expect(DockerTimestamp.date("yesterday") == nil)
    }

    @Test func filtersAndQueryEncoding() {
        let filters = DockerFilters().type("container").label("com.docker.compose.project", "voice")
        #expect(filters.json == #"{"label":["com.docker.compose.project=voice"],"type":["container"]}"#)
        #expect(QueryEncoding.query([("filters", #"{"a":["b=c"]}"#), ("all", "1")])
            == "?filters=%7B%22a%22%3A%5B%22b%3Dc%22%5D%7D&all=1")
        #expect(QueryEncoding.query([]) == "")
    }

    @Test func reconnectBackoff() {
        let backoff = DockerReconnectBackoff.default
        #expect(backoff.delay(attempt: 1) == .zero)
        #expect(backoff.delay(attempt: 2) == .milliseconds(100))
        #expect(backoff.delay(attempt: 3) == .milliseconds(200))
        #expect(backoff.delay(attempt: 8) == .milliseconds(6400))
        #expect(backoff.delay(attempt: 9) == .seconds(10))
        #expect(backoff.delay(attempt: 10) == .seconds(10))
        #expect(backoff.delay(attempt: 10_000) == .seconds(10))
    }
}
