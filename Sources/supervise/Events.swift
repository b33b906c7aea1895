import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore
import SuperviseDaemon
import SuperviseHTTPClient

/// `supervise events`: follows the daemon's events as `docker events` does (`GET /v1/events`).
struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow events (starts, exits, restarts, give-ups, drains) as they happen.",
        discussion: """
            Prints one line per event until interrupted. --since replays the events the daemon still \
            keeps (the last 1,000) from that long ago first; --after resumes after a sequence number \
            (the `seq` of --json). A reader that falls 1,000 events behind is dropped with a last line \
            saying where to resume.
            """)

    @Option(name: .long, help: "Only this unit's events.") var unit: String?
    @Option(name: .long, help: "First replay what happened this long ago (10m, 2h) or since a UTC time (2026-11-29T18:00:00Z).")
    var since: String?
    @Option(name: .long, help: "First replay the events after this sequence number.") var after: UInt64?
    @Flag(name: .long, help: "Print each event as the API's JSON line.") var json = false
    @OptionGroup var socket: SocketOptions

    func validate() throws {
        if since != nil && after != nil { throw ValidationError("--since and --after both say where to start: give one") }
        if let since, EventCutoff.parse(since) == nil {
            throw ValidationError("--since \(since): expected a duration such as 10m or 2h, or a UTC time such as 2026-11-29T18:00:00Z")
        }
    }

    var path: String {
        var query: [String] = []
        if let unit { query.append("unit=\(percentEncode(unit))") }
        if let since { query.append("since=\(percentEncode(since))") }
        if let after { query.append("after=\(after)") }
        return "/v1/events" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    func run() throws {
        let decoder = ControlJSON.decoder()
        let response: LocalHTTPResponse
        do {
            response = try socket.client.stream(path) { line in
                if json {
                    writeLine(String(decoding: line, as: UTF8.self))
                } else if let event = try? decoder.decode(SupervisionEvent.self, from: Data(line)) {
                    writeLine(Self.text(event))
                }
                return true
            }
        } catch {
            fail("\(error)", code: ExitCodes.failure)
        }
        guard response.status == 200 else { try failFromDaemon(response) }
    }

    /// `2026-11-29T18:42:28.042Z  error    worker-3  gave-up  gave up: …` (the level padded to 7, then two spaces)
    static func text(_ event: SupervisionEvent) -> String {
        let level = event.level.padding(toLength: 7, withPad: " ", startingAt: 0)
        let unit = event.unit.map { "\($0)  " } ?? ""
        return "\(event.time)  \(level)  \(unit)\(event.event)  \(event.message)"
    }
}
