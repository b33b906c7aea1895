import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore
import SuperviseDaemon

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show every unit, or one, as a table or JSON.")

    @Argument(help: "Only this unit.") var name: String?
    @Flag(name: .long, help: "Print JSON (the control API's own answer).") var json = false
    @OptionGroup var socket: SocketOptions

    func run() throws {
        let path = name.map { "/v1/units/\(percentEncode($0))" } ?? "/v1/units"
        let response: (status: Int, body: [UInt8])
        do { response = try socket.client.request("GET", path) } catch { fail("\(error)", code: ExitCodes.failure) }
        guard response.status == 200 else { try failFromDaemon(response) }
        if json {
            print(String(decoding: response.body, as: UTF8.self))
            return
        }
        let decoder = ControlJSON.decoder()
        if name != nil {
            let unit = try decoder.decode(UnitStatus.self, from: Data(response.body))
            print(StatusTable.render([unit]))
        } else {
            let all = try decoder.decode(UnitsResponse.self, from: Data(response.body))
            print(StatusTable.render(all.units))
            print("\n\(all.summary)")
        }
    }
}

/// The `supervise status` table.
enum StatusTable {
    static let headers = ["NAME", "KIND", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "NEXT RESTART", "REASON"]

    static func render(_ units: [UnitStatus]) -> String {
        let rows = units.map { u in
            [u.name, u.kind, u.state, u.pid.map(String.init) ?? "-",
             u.uptimeSeconds.map { DurationText.format(.seconds(Int64($0))) } ?? "-",
             "\(u.restarts)", u.lastExit ?? "-",
             u.nextRestartInSeconds.map { DurationText.format(.milliseconds(Int64($0 * 1000))) } ?? "-",
             u.reason ?? ""]
        }
        let widths = headers.indices.map { i in ([headers[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}
