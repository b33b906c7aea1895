import Foundation
import SuperviseControl
import SuperviseCore

/// JSON coding shared by the daemon and the CLI: snake_case keys, so `curl` users read `uptime_seconds`.
public enum ControlJSON {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}

/// Maps control requests onto the core. Runs inside the supervision loop, which owns `core`.
enum ControlRoutes {
    /// What a request comes to: the answer and the core's effects. An accepted command changed
    /// state, and its answer must wait until that state is on disk: `accepted` holds its message,
    /// and ``accepted(_:unsaved:)`` makes the answer once the state file is written.
    struct Routed {
        /// The answer as it is, or a status answer still to say what each unit's processes use.
        enum Answer {
            case ready(ControlResponse)
            case accounting(Accounting)
        }

        var answer: Answer
        var effects: [Effect] = []
        var accepted: String?

        init(response: ControlResponse, effects: [Effect] = [], accepted: String? = nil) {
            (self.answer, self.effects, self.accepted) = (.ready(response), effects, accepted)
        }

        init(accounting: Accounting) { answer = .accounting(accounting) }
    }

    /// A status answer finished off the loop: reading what `units` use (a look at `/proc` or every unit's cgroup,
    /// milliseconds at 1,000 units) and encoding the answer would otherwise hold up every restart behind it.
    struct Accounting: Sendable {
        /// The process units of the answer, with their main processes.
        var units: [(name: String, main: Int32?)]
        /// The answer, given what `units` use.
        var answer: @Sendable ([String: UnitResources]) -> ControlResponse

        /// `statuses`, to be answered with each unit's resources by `answer`.
        init(_ statuses: [UnitStatus], core: Supervisor, answer: @escaping @Sendable ([UnitStatus]) -> ControlResponse) {
            units = statuses.compactMap { core.unit($0.name) }.filter { !$0.isContainer }.map { ($0.name, $0.pid) }
            self.answer = { used in
                answer(statuses.map { status in
                    var status = status
                    status.resources = used[status.name]
                    return status
                })
            }
        }
    }

    /// The answer to a request that arrives once the last unit has stopped.
    static let shuttingDown = error(503, "the daemon is shutting down")

    /// `containment` is the daemon's containment mode, for the status answers.
    static func handle(_ request: ControlRequest, core: inout Supervisor, now: Instant,
                       containment: ContainmentStatus? = nil, queues: [QueueStatus]? = nil) -> Routed {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch (request.method, parts.count >= 1 && parts[0] == "v1" ? Array(parts.dropFirst()) : []) {
        case ("GET", ["units"]):
            let services = core.serviceStatus(now: now)
            let summary = core.summary.description
            return Routed(accounting: Accounting(core.status(now: now), core: core) { units in
                json(200, UnitsResponse(units: units, summary: summary, containment: containment, queues: queues,
                                        services: services.isEmpty ? nil : services))
            })
        case ("GET", ["services"]):
            return Routed(response: json(200, core.serviceStatus(now: now)))
        case ("GET", let p) where p.count == 2 && p[0] == "services":
            guard let status = core.serviceStatus(of: p[1], now: now) else { return Routed(response: unknownService(p[1], core)) }
            return Routed(response: json(200, status))
        case ("POST", let p) where p.count == 3 && p[0] == "services" && p[2] == "scale":
            guard request.mayChangeState else { return Routed(response: error(403, request.refusal ?? "permission denied")) }
            guard let text = request.query["replicas"], let count = Int(text), count >= 0 else {
                return Routed(response: error(400, "replicas=\(request.query["replicas"] ?? ""): expected a whole number of replicas, 0 or more"))
            }
            return answer(core.scale(service: p[1], to: count, now: now))
        case ("POST", let p) where p.count == 3 && p[0] == "services" && p[2] == "rollout":
            guard request.mayChangeState else { return Routed(response: error(403, request.refusal ?? "permission denied")) }
            return answer(core.rollout(service: p[1], image: request.query["image"], now: now))
        case ("POST", let p) where p.count == 4 && p[0] == "services" && p[2] == "autoscale" && (p[3] == "pause" || p[3] == "resume"):
            guard request.mayChangeState else { return Routed(response: error(403, request.refusal ?? "permission denied")) }
            return answer(core.setAutoscalePaused(service: p[1], p[3] == "pause", now: now))
        case ("GET", let p) where p.count == 2 && p[0] == "units":
            guard let status = core.status(of: p[1], now: now) else {
                return Routed(response: unknown(p[1], core))
            }
            return Routed(accounting: Accounting([status], core: core) { json(200, $0[0]) })
        case ("POST", let p) where p.count == 3 && p[0] == "units" && (p[2] == "drain" || p[2] == "undrain"):
            guard core.unit(p[1]) != nil else { return Routed(response: unknown(p[1], core)) }
            guard request.mayChangeState else { return Routed(response: error(403, request.refusal ?? "permission denied")) }
            if p[2] == "undrain" { return answer(core.undrain(p[1], now: now)) }
            var timeout: Duration?
            if let text = request.query["timeout"] {
                guard let d = DurationText.parse(text), d > .zero else {
                    return Routed(response: error(400, "timeout=\(text): expected a duration greater than zero, such as 90s, 10m or 1h"))
                }
                timeout = d
            }
            guard let then = DrainThen(rawValue: request.query["then"] ?? "stop") else {
                return Routed(response: error(400, "then=\(request.query["then"] ?? ""): expected stop or restart"))
            }
            let force = request.query["force"] == "1" || request.query["force"] == "true"
            return answer(core.drain(p[1], timeout: timeout, then: then, force: force, now: now))
        case ("POST", let p) where p.count == 3 && p[0] == "services" && p[2] == "rolling-restart":
            guard request.mayChangeState else { return Routed(response: error(403, request.refusal ?? "permission denied")) }
            return answer(core.rollingRestart(service: p[1], now: now))
        case ("POST", let p) where p.count == 3 && p[0] == "units":
            guard let command = OperatorCommand(rawValue: p[2]) else {
                return Routed(response: error(404, "unknown action \"\(p[2])\"; expected one of: \(OperatorCommand.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            guard core.unit(p[1]) != nil else { return Routed(response: unknown(p[1], core)) }
            guard request.mayChangeState else {
                return Routed(response: error(403, request.refusal ?? "permission denied"))
            }
            return answer(core.command(command, unit: p[1], now: now))
        case ("GET", ["version"]):
            return Routed(response: json(200, VersionResponse(version: superviseVersion, pid: getpid())))
        case (_, let p) where !p.isEmpty && (p[0] == "units" || p[0] == "services" || p == ["version"]):
            return Routed(response: error(405, "method \(request.method) not allowed on \(request.path)"))
        default:
            return Routed(response: error(404, "no such endpoint: \(request.method) \(request.path); see GET /v1/units"))
        }
    }

    /// A command's outcome as an HTTP answer: 200 accepted/unchanged, 409 refused, 404 unknown.
    static func answer(_ result: (CommandOutcome, [Effect])) -> Routed {
        let (outcome, effects) = result
        switch outcome {
        case .accepted(let m): return Routed(response: accepted(m, unsaved: nil), effects: effects, accepted: m)
        case .unchanged(let m): return Routed(response: json(200, CommandResponse(outcome: "unchanged", message: m)), effects: effects)
        case .refused(let m): return Routed(response: error(409, m), effects: effects)
        case .unknownUnit(_, let known): return Routed(response: error(404, outcome.message, units: known), effects: effects)
        }
    }

    /// The answer to an accepted command once the state has been written; `unsaved` says why it
    /// could not be, and becomes the answer's warning (a daemon restarted now would not know).
    static func accepted(_ message: String, unsaved: String?) -> ControlResponse {
        json(200, CommandResponse(outcome: "accepted", message: message,
                                  warning: unsaved.map { "accepted, but the state could not be saved: \($0); a daemon restarted now would not know of this" }))
    }

    static func json<T: Encodable>(_ status: Int, _ value: T) -> ControlResponse {
        let data = (try? ControlJSON.encoder().encode(value)) ?? Data()
        return ControlResponse(status: status, body: Array(data))
    }

    static func error(_ status: Int, _ message: String, units: [String]? = nil) -> ControlResponse {
        json(status, ErrorResponse(error: message, units: units))
    }

    static func unknownService(_ name: String, _ core: Supervisor) -> ControlResponse {
        let known = core.config.services.map(\.name)
        return error(404, "no replicated service named \"\(name)\"; services: \(known.isEmpty ? "(none: give a unit replicas: N)" : known.joined(separator: ", "))",
                     units: known)
    }

    static func unknown(_ name: String, _ core: Supervisor) -> ControlResponse {
        let outcome = CommandOutcome.unknownUnit(name: name, known: core.unitNames)
        return error(404, outcome.message, units: core.unitNames)
    }
}
