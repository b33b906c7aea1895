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
    static func handle(_ request: ControlRequest, core: inout Supervisor, now: Instant) -> (ControlResponse, [Effect]) {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch (request.method, parts.count >= 1 && parts[0] == "v1" ? Array(parts.dropFirst()) : []) {
        case ("GET", ["units"]):
            return (json(200, UnitsResponse(units: core.status(now: now), summary: core.summary.description)), [])
        case ("GET", let p) where p.count == 2 && p[0] == "units":
            guard let status = core.status(of: p[1], now: now) else {
                return (unknown(p[1], core), [])
            }
            return (json(200, status), [])
        case ("POST", let p) where p.count == 3 && p[0] == "units":
            guard let command = OperatorCommand(rawValue: p[2]) else {
                return (error(404, "unknown action \"\(p[2])\"; expected one of: \(OperatorCommand.allCases.map(\.rawValue).joined(separator: ", "))"), [])
            }
            guard core.unit(p[1]) != nil else { return (unknown(p[1], core), []) }
            guard request.mayChangeState else {
                return (error(403, request.refusal ?? "permission denied"), [])
            }
            let (outcome, effects) = core.command(command, unit: p[1], now: now)
            switch outcome {
            case .accepted(let m): return (json(200, CommandResponse(outcome: "accepted", message: m)), effects)
            case .unchanged(let m): return (json(200, CommandResponse(outcome: "unchanged", message: m)), effects)
            case .refused(let m): return (error(409, m), effects)
            case .unknownUnit: return (unknown(p[1], core), effects)
            }
        case ("GET", ["version"]):
            return (json(200, VersionResponse(version: superviseVersion, pid: getpid())), [])
        case (_, let p) where !p.isEmpty && (p[0] == "units" || p == ["version"]):
            return (error(405, "method \(request.method) not allowed on \(request.path)"), [])
        default:
            return (error(404, "no such endpoint: \(request.method) \(request.path); see GET /v1/units"), [])
        }
    }

    static func json<T: Encodable>(_ status: Int, _ value: T) -> ControlResponse {
        let data = (try? ControlJSON.encoder().encode(value)) ?? Data()
        return ControlResponse(status: status, body: Array(data))
    }

    static func error(_ status: Int, _ message: String, units: [String]? = nil) -> ControlResponse {
        json(status, ErrorResponse(error: message, units: units))
    }

    static func unknown(_ name: String, _ core: Supervisor) -> ControlResponse {
        let outcome = CommandOutcome.unknownUnit(name: name, known: core.unitNames)
        return error(404, outcome.message, units: core.unitNames)
    }
}
