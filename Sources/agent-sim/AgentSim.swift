import ArgumentParser
import Dispatch
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `agent-sim`: a simulated call-handling worker (modelled on a LiveKit Agents worker) with an
/// HTTP control surface, for demos and tests of the supervisor.
@main
struct AgentSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent-sim",
        abstract: "A simulated call-handling worker with health, call, drain and fault-injection endpoints.",
        discussion: """
            Endpoints:
              GET  /                      200 OK, or 503 unhealthy (stays 200 while draining)
              GET  /worker                JSON worker state (zero values left out with --protobuf-json)
              POST /calls?duration=S      start a call lasting S seconds (201; 503 while draining)
              POST /control/unhealthy     make GET / answer 503
              POST /control/healthy       make GET / answer 200
              POST /control/hang          answer this, then never answer anything again
              POST /control/crash         answer, then abort() (SIGABRT)
              POST /control/exit?code=N   answer, then exit with N
              POST /drain                 start a drain (202 with the worker state)

            SIGTERM drains: calls are refused, live calls finish, then (after --drain-linger) the
            worker exits 0. A second SIGTERM exits 1 at once. SIGINT exits at once: 0 when no
            calls were live, else 1.
            """
    )

    @Option(help: "TCP port to listen on (0 picks a free one).")
    var port: Int = 8081

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Worker name, shown in log lines and /worker.")
    var name: String = "agent-sim"

    @Flag(help: "Start unhealthy (GET / answers 503).")
    var unhealthy = false

    @Flag(help: "Start hung: accept connections, never answer.")
    var hang = false

    @Option(help: ArgumentHelp("abort() (SIGABRT) after this many seconds.", valueName: "seconds"))
    var crashAfter: Double?

    @Option(help: ArgumentHelp("Exit with --exit-code after this many seconds.", valueName: "seconds"))
    var exitAfter: Double?

    @Option(help: "Exit status for --exit-after.")
    var exitCode: Int32 = 0

    @Option(help: ArgumentHelp("Wait this long before listening.", valueName: "seconds"))
    var startupDelay: Double = 0

    @Option(help: ArgumentHelp(
        "Keep serving this long after a drain finished, before exiting 0.", valueName: "seconds"))
    var drainLinger: Double = 0

    @Flag(help: "Answer /worker as LiveKit does, in protobuf JSON: fields at their zero value (0, false) are left out.")
    var protobufJSON = false

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be from 0 to 65535, not \(port).")
        }
        guard (0...255).contains(exitCode) else {
            throw ValidationError("--exit-code must be from 0 to 255, not \(exitCode).")
        }
        let durations: [(String, Double?)] = [
            ("--crash-after", crashAfter), ("--exit-after", exitAfter),
            ("--startup-delay", startupDelay), ("--drain-linger", drainLinger),
        ]
        for case let (flag, seconds?) in durations where !(seconds.isFinite && seconds >= 0 && seconds <= Worker.maximumSeconds) {
            throw ValidationError("\(flag) must be a number of seconds from 0 to \(Int(Worker.maximumSeconds)), not \(seconds).")
        }
    }

    func run() throws {
        // One thread: the worker's state is confined to this loop (see `Worker`).
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let worker = Worker(
            name: name, loop: group.next(), healthy: !unhealthy, hanging: hang, drainLinger: drainLinger,
            protobufJSON: protobufJSON)
        let log = worker.log
        let signalSources = SignalHandling.install(worker: worker)

        if let crashAfter { worker.crash(after: crashAfter, reason: "--crash-after \(formatSeconds(crashAfter))") }
        if let exitAfter {
            worker.exit(code: exitCode, after: exitAfter, reason: "--exit-after \(formatSeconds(exitAfter))")
        }
        if startupDelay > 0 {
            log("starting in \(formatSeconds(startupDelay))s")
            Self.sleep(seconds: startupDelay)
        }

        let channel: any Channel
        do {
            channel = try Server.listen(host: host, port: port, worker: worker)
        } catch {
            log.toStandardError("error: cannot listen on \(host):\(port): \(Server.describe(error))")
            Termination.exit(1)
        }
        let boundPort = channel.localAddress?.port ?? port
        worker.onLoop { worker in
            worker.log("listening on \(host):\(boundPort)")
            if !worker.isHealthy { worker.log("unhealthy") }
            if worker.isHanging { worker.log("hanging") }
        }

        // Everything else happens on the event loop and the signal queue; the process ends
        // through `Termination`. Keep the signal sources, channel and group alive until then.
        withExtendedLifetime((signalSources, channel, group)) {
            dispatchMain()
        }
    }

    /// Sleeps on the calling (main) thread, resuming after signal interruptions.
    private static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }
}
