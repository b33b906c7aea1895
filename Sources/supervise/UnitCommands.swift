import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore
import SuperviseDaemon
import SuperviseHTTPClient

/// Sends `POST /v1/units/NAME/ACTION` and reports the answer.
func sendCommand(_ action: OperatorCommand, unit: String, socket: SocketOptions) throws {
    try sendPost("/v1/units/\(percentEncode(unit))/\(action.rawValue)", socket: socket)
}

/// Turns an error answer into a message and the documented exit code.
func failFromDaemon(_ response: LocalHTTPResponse) throws -> Never {
    let message = (try? ControlJSON.decoder().decode(ErrorResponse.self, from: Data(response.body)))?.error
        ?? String(decoding: response.body, as: UTF8.self)
    let code: Int32 = switch response.status {
    case 404: ExitCodes.unknownUnit
    case 403: ExitCodes.permissionDenied
    default: ExitCodes.failure
    }
    fail(message, code: code)
}

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("supervise: \(message)\n".utf8))
    exit(code)
}

func percentEncode(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a stopped, exited, failed or drained unit.")
    @Argument(help: "Unit name.") var name: String
    @OptionGroup var socket: SocketOptions
    func run() throws { try sendCommand(.start, unit: name, socket: socket) }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a unit (stop signal to its process group, SIGKILL after stop_timeout); it stays stopped.",
        discussion: "A unit with a drain contract is drained first, so its live calls finish, and ends drained.")
    @Argument(help: "Unit name.") var name: String
    @OptionGroup var socket: SocketOptions
    func run() throws { try sendCommand(.stop, unit: name, socket: socket) }
}

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restart a unit; also retries a unit that gave up (failed), clearing its start limit.",
        discussion: "With --rolling, NAME is a service (worker for worker-1, worker-2, ...): each running unit is drained and replaced, the next one only after the previous one is ready again.")
    @Argument(help: "Unit name, or a service name with --rolling.") var name: String
    @Flag(help: "Drain and restart the units of service NAME one by one.") var rolling = false
    @OptionGroup var socket: SocketOptions
    func run() throws {
        if rolling {
            try sendPost("/v1/services/\(percentEncode(name))/rolling-restart", socket: socket)
        } else {
            try sendCommand(.restart, unit: name, socket: socket)
        }
    }
}

struct Reset: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clear a unit's restart counters and start limit; a failed unit is started again.")
    @Argument(help: "Unit name.") var name: String
    @OptionGroup var socket: SocketOptions
    func run() throws { try sendCommand(.reset, unit: name, socket: socket) }
}
