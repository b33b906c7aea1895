import NIOHTTP1

/// A response to send, and what to do once it has been flushed.
struct Response: Sendable {
    /// Work that must wait until the response is on the wire.
    enum Afterwards: Sendable, Equatable {
        case nothing
        /// The drain had nothing to wait for: exit 0 (after the linger).
        case finishDrain
        /// `POST /control/crash`: abort().
        case crash
        /// `POST /control/exit`: exit with this code.
        case exit(Int32)
    }

    var status: HTTPResponseStatus
    var body: String
    var contentType: String
    var extraHeaders: [(String, String)] = []
    /// Close the connection after this response even if the client asked for keep-alive.
    var closeConnection = false
    var afterwards: Afterwards = .nothing

    /// A `text/plain` response.
    static func text(_ status: HTTPResponseStatus, _ body: String) -> Response {
        Response(status: status, body: body, contentType: "text/plain; charset=utf-8")
    }

    /// An `application/json` response.
    static func json(_ status: HTTPResponseStatus, _ body: String) -> Response {
        Response(status: status, body: body, contentType: "application/json")
    }
}

/// The endpoints, by path, with the methods each one allows.
enum Route: String, CaseIterable, Sendable {
    case health = "/"
    case worker = "/worker"
    case calls = "/calls"
    case unhealthy = "/control/unhealthy"
    case healthy = "/control/healthy"
    case hang = "/control/hang"
    case crash = "/control/crash"
    case exit = "/control/exit"
    case drain = "/drain"

    /// Methods the endpoint answers; others get 405.
    var methods: [HTTPMethod] {
        switch self {
        case .health, .worker: [.GET, .HEAD]
        default: [.POST]
        }
    }
}

/// Maps a request to its response, changing the worker's state as the endpoint says.
/// Runs on the worker's event loop.
enum Router {
    /// Delay between a flushed crash/exit response and the crash/exit itself, so the client has
    /// the response and the connection's FIN before the process goes.
    static let actionDelay: Double = 0.05

    static func respond(to head: HTTPRequestHead, worker: Worker) -> Response {
        let target = RequestTarget(head.uri)
        guard let route = Route(rawValue: target.path) else {
            return .text(.notFound, "not found: \(target.path)")
        }
        guard route.methods.contains(head.method) else {
            var response = Response.text(.methodNotAllowed, "method \(head.method.rawValue) not allowed on \(route.rawValue)")
            response.extraHeaders.append(("Allow", route.methods.map(\.rawValue).joined(separator: ", ")))
            return response
        }
        switch route {
        case .health:
            return worker.isHealthy ? .text(.ok, "OK") : .text(.serviceUnavailable, "unhealthy")
        case .worker:
            return .json(.ok, worker.statusJSON())
        case .calls:
            return startCall(target, worker: worker)
        case .unhealthy:
            worker.setHealthy(false)
            return .text(.ok, "unhealthy")
        case .healthy:
            worker.setHealthy(true)
            return .text(.ok, "healthy")
        case .hang:
            worker.hang()
            return .text(.ok, "hanging")
        case .crash:
            var response = Response.text(.ok, "crashing")
            response.closeConnection = true
            response.afterwards = .crash
            return response
        case .exit:
            return exit(target, worker: worker)
        case .drain:
            let outcome = worker.beginDrain(trigger: "POST /drain")
            var response = Response.json(.accepted, worker.statusJSON())
            if case .started(_, finished: true) = outcome { response.afterwards = .finishDrain }
            return response
        }
    }

    private static func startCall(_ target: RequestTarget, worker: Worker) -> Response {
        guard let text = target.query["duration"] else {
            return .json(.badRequest, JSONObject.error(
                "missing query parameter 'duration' (seconds, e.g. POST /calls?duration=12.5)").text)
        }
        guard let duration = Double(text), duration.isFinite, duration >= 0, duration <= Worker.maximumSeconds else {
            return .json(.badRequest, JSONObject.error(
                "invalid duration '\(text)': expected seconds from 0 to \(Int(Worker.maximumSeconds))").text)
        }
        switch worker.startCall(duration: duration) {
        case .started(let id):
            var object = JSONObject()
            object.add("id", id)
            object.add("duration", duration)
            return .json(.created, object.text)
        case .refused:
            return .json(.serviceUnavailable, JSONObject.error("not accepting calls (draining)").text)
        }
    }

    private static func exit(_ target: RequestTarget, worker: Worker) -> Response {
        let text = target.query["code"] ?? "0"
        guard let code = Int32(text), (0...255).contains(code) else {
            return .json(.badRequest, JSONObject.error("invalid exit code '\(text)': expected 0 to 255").text)
        }
        var response = Response.text(.ok, "exiting \(code)")
        response.closeConnection = true
        response.afterwards = .exit(code)
        return response
    }
}
