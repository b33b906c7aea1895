import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore
import SuperviseDaemon

struct Scale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set how many replicas a replicated service runs; replicas leave only by drain.",
        discussion: """
            Up: new replicas (the lowest free numbers, NAME-N with {port} = port + N) start and join once in \
            service. Down: the replicas with the fewest live calls are drained and removed once empty; no call \
            that ends before the drain deadline is cut. An autoscaled service refuses a count until \
            `supervise autoscale pause NAME`. The count survives a daemon restart; a reload changes it only when \
            the file's replicas: changes.
            """)
    @Argument(help: "Service name: a unit with replicas:, such as worker.") var service: String
    @Argument(help: "Replica count, 0 or more.") var replicas: Int
    @OptionGroup var socket: SocketOptions

    func validate() throws {
        if replicas < 0 { throw ValidationError("the replica count is 0 or more") }
    }

    func run() throws {
        try sendPost("/v1/services/\(percentEncode(service))/scale?replicas=\(replicas)", socket: socket)
    }
}

struct Rollout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace every replica of a service, new ones first, so capacity never drops below its count.",
        discussion: """
            At most max_surge new replicas above the count start at once; each is waited for until in service \
            (ready, or running without a readiness probe), then an old one is drained and removed. A new replica \
            not in service within progress_deadline (10 min by default) aborts the rollout: the new replicas \
            are drained away and the old ones keep serving. Waits and shows progress until the rollout ends; \
            exits 0 when done, 1 when aborted (the reason is printed). A rollout survives a daemon restart.
            """)
    @Argument(help: "Service name.") var service: String
    @Option(help: "The image new replicas run (Compose services only).") var image: String?
    @Flag(help: "Show the rollout's progress and exit.") var status = false
    @Flag(name: .customLong("no-wait"), help: "Start the rollout and return at once.") var noWait = false
    @OptionGroup var socket: SocketOptions

    func run() throws {
        if status {
            let current = try serviceStatus(service, socket: socket)
            if let roll = current.rollout {
                writeLine("\(service): rollout: \(roll.text)")
            } else {
                let last = current.lastRollout.map { end in
                    "; the last one " + (end.aborted.map { "was aborted: \($0)" } ?? "was done")
                        + " \(DurationText.format(.seconds(end.secondsAgo.rounded()))) ago"
                } ?? ""
                writeLine("\(service): no rollout under way (\(current.ready) of \(current.desired) in service)\(last)")
            }
            return
        }
        let query = image.map { "?image=\(percentEncode($0))" } ?? ""
        let sent = ContinuousClock.now
        try sendPost("/v1/services/\(percentEncode(service))/rollout\(query)", socket: socket)
        guard !noWait else { return }
        var last = ""
        var abort: String?
        var done: ServiceStatus
        while true {
            done = try serviceStatus(service, socket: socket)
            guard let roll = done.rollout else { break }
            abort = roll.aborting ?? abort
            let line = "\(service): \(roll.text)"
            if line != last { writeLine(line); last = line }
            Thread.sleep(forTimeInterval: 1)
        }
        // A rollout that ended before the first look (Docker refused its first replica at once) says how in
        // the service's last rollout.
        let waited = (ContinuousClock.now - sent) / .seconds(1)
        if let end = done.lastRollout, end.secondsAgo <= waited + 1 { abort = end.aborted ?? abort }
        if let abort {
            writeLine("\(service): rollout aborted: \(abort); \(done.ready) of \(done.desired) in service")
            throw ExitCode(ExitCodes.failure)
        }
        writeLine("\(service): rollout done; \(done.ready) of \(done.desired) in service")
    }
}

struct Autoscale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pause or resume a service's autoscaler.",
        discussion: """
            Paused, the count stays where it is and `supervise scale` sets it; resumed, the autoscaler takes over \
            from the current count. The pause survives a daemon restart.
            """)
    @Argument(help: "pause or resume.") var action: Action
    @Argument(help: "Service name.") var service: String
    @OptionGroup var socket: SocketOptions

    enum Action: String, ExpressibleByArgument, CaseIterable { case pause, resume }

    func run() throws {
        try sendPost("/v1/services/\(percentEncode(service))/autoscale/\(action.rawValue)", socket: socket)
    }
}

/// `GET /v1/services/NAME`.
func serviceStatus(_ name: String, socket: SocketOptions) throws -> ServiceStatus {
    let response = try socket.client.request("GET", "/v1/services/\(percentEncode(name))")
    guard response.status == 200 else { try failFromDaemon(response) }
    return try ControlJSON.decoder().decode(ServiceStatus.self, from: Data(response.body))
}
