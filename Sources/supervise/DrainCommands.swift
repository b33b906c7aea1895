import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore
import SuperviseDaemon
import SuperviseHTTPClient

/// Sends a POST and prints the daemon's message; errors exit with the documented codes.
func sendPost(_ path: String, socket: SocketOptions) throws {
    let response: LocalHTTPResponse
    do {
        response = try socket.client.request("POST", path)
    } catch {
        fail("\(error)", code: ExitCodes.failure)
    }
    if response.status == 200, let answer = try? ControlJSON.decoder().decode(CommandResponse.self, from: Data(response.body)) {
        writeLine(answer.message)
        if let warning = answer.warning { writeWarning(warning) }
        return
    }
    try failFromDaemon(response)
}

struct Drain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drain a unit so its live calls finish: one drain signal (or HTTP request), never a second.",
        discussion: """
            The unit stops taking calls and exits once its live calls have ended; at the deadline it is \
            killed and the calls cut are counted and logged. With --then stop (the default) it stays out of \
            service until `supervise undrain NAME`; with --then restart a fresh one replaces it. At most \
            max_unavailable units of a service are drained at once; --force overrides that.
            """)
    @Argument(help: "Unit name, such as worker-3.") var name: String
    @Option(help: ArgumentHelp("Deadline, such as 90s, 10m or 1h (default: the unit's drain timeout, 1h).", valueName: "duration"))
    var timeout: String?
    @Option(help: ArgumentHelp("What follows the drain: stop or restart.", valueName: "stop|restart")) var then: DrainThen = .stop
    @Flag(help: "Show live progress (calls, elapsed, deadline) until the drain ends.") var wait = false
    @Flag(help: "Drain even beyond the service's max_unavailable.") var force = false
    @OptionGroup var socket: SocketOptions

    func validate() throws {
        if let timeout, DurationText.parse(timeout).map({ $0 <= .zero }) ?? true {
            throw ValidationError("--timeout \(timeout): expected a duration greater than zero, such as 90s, 10m or 1h")
        }
    }

    func run() throws {
        var query = ["then=\(then.rawValue)"]
        if let timeout { query.append("timeout=\(timeout)") }
        if force { query.append("force=1") }
        try sendPost("/v1/units/\(percentEncode(name))/drain?\(query.joined(separator: "&"))", socket: socket)
        guard wait else { return }
        try waitForDrain(name, socket: socket)
    }
}

/// Polls the unit every second, printing its drain progress, until the drain has ended.
/// Exits 1 when the deadline cut calls.
func waitForDrain(_ name: String, socket: SocketOptions) throws {
    var last = ""
    while true {
        let response = try socket.client.request("GET", "/v1/units/\(percentEncode(name))")
        guard response.status == 200 else { try failFromDaemon(response) }
        let unit = try ControlJSON.decoder().decode(UnitStatus.self, from: Data(response.body))
        if let d = unit.drain {
            let line = "\(name): draining, \(StatusTable.liveCalls(d.activeCalls)), \(DurationText.format(.seconds(Int(d.elapsedSeconds)))) elapsed, "
                + "deadline in \(DurationText.format(.seconds(Int(d.deadlineInSeconds))))" + (d.cut ? " (deadline reached: killing)" : "")
            if line != last { writeLine(line); last = line }
            Thread.sleep(forTimeInterval: 1)
            continue
        }
        guard let outcome = unit.lastDrain else {
            writeLine("\(name): \(unit.state) (\(unit.reason ?? "no drain recorded"))")
            return
        }
        let cut = outcome.callsCut
        writeLine("\(name): drain ended after \(DurationText.format(.seconds(Int(outcome.durationSeconds.rounded())))): "
              + (cut == 0 ? "no call cut" : "\(cut.map(String.init) ?? "an unknown number of") live calls cut")
              + "; now \(unit.state)")
        if cut != 0 { throw ExitCode(ExitCodes.failure) }
        return
    }
}

extension DrainThen: ExpressibleByArgument {}

struct Undrain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Put a drained unit back in service (start it again).")
    @Argument(help: "Unit name.") var name: String
    @OptionGroup var socket: SocketOptions
    func run() throws { try sendPost("/v1/units/\(percentEncode(name))/undrain", socket: socket) }
}
