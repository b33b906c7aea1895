import AgentSimQueue
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
              POST /calls?duration=S      start a call lasting S seconds (201; 503 while draining;
                                          --max-calls does not limit these)
              POST /control/unhealthy     make GET / answer 503
              POST /control/healthy       make GET / answer 200
              POST /control/hang          answer this, then never answer anything again
              POST /control/crash         answer, then abort() (SIGABRT)
              POST /control/exit?code=N   answer, then exit with N
              POST /drain                 start a drain (202 with the worker state)

            SIGTERM drains: calls are refused, live calls finish, then (after --drain-linger) the
            worker exits 0. A second SIGTERM exits 1 at once. SIGINT exits at once: 0 when no
            calls were live, else 1.

            Calls from a Redis queue (--queue redis://[USER@]HOST[:PORT][/DB]/LIST), as the
            platform's workers take theirs: while fewer than --max-calls calls are live (calls
            placed over HTTP count) and no drain has begun, the worker pops one job at a time
            (BLPOP, waiting at most 0.5 s) and starts it as POST /calls would. A job is one list
            item, a JSON object {"id":"c-17","duration":12.5} (duration in seconds, required; id
            a string or number, optional; other members ignored) or a bare number of seconds.
            Items that are neither are logged and dropped. A drain stops the popping at once:
            jobs still queued stay in Redis for other workers, and a job popped by a BLPOP that
            was already waiting is pushed back to the head of the list (LPUSH). When Redis is
            unreachable or goes away the worker logs why, keeps its live calls, and reconnects
            after 0.2 s doubling to 5 s. /worker then also shows max_calls, queue,
            queue_connected, queue_taken, queue_invalid and queue_returned. The password, if
            Redis wants one, comes from --redis-password-file or else the environment variable
            AGENT_SIM_REDIS_PASSWORD (never the command line); a user name goes in the URL
            (redis://USER@HOST...), for AUTH USER PASSWORD. Redis 6 or newer (fractional BLPOP
            timeouts).

            Queue calls for such workers with `agent-sim enqueue --queue URL --count N
            --duration S`.
            """,
        subcommands: [Enqueue.self]
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

    @Option(help: ArgumentHelp("Also take calls from this Redis list: redis://[USER@]HOST[:PORT][/DB]/LIST.",
                               valueName: "url"))
    var queue: String?

    @Option(help: "Take a job from --queue only while fewer calls than this are live (the platform's ~10 per worker).")
    var maxCalls: Int = 10

    @Option(help: ArgumentHelp("Read the Redis password of --queue from this file (else $AGENT_SIM_REDIS_PASSWORD).",
                               valueName: "path"))
    var redisPasswordFile: String?

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be from 0 to 65535, not \(port).")
        }
        guard maxCalls >= 1 else {
            throw ValidationError("--max-calls must be 1 or more, not \(maxCalls).")
        }
        if let queue {
            do { _ = try CallQueueLocation(parsing: queue) } catch { throw ValidationError("--queue: \(error)") }
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
        let location = try queue.map { text in
            do { return try CallQueueLocation(parsing: text) } catch { throw ValidationError("--queue: \(error)") }
        }
        var password: String?
        if location != nil {
            do {
                password = try CallQueuePassword.resolve(file: redisPasswordFile, environment: CallQueuePassword.processEnvironment)
            } catch {
                throw ValidationError("--redis-password-file: \(error)")
            }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let worker = Worker(
            name: name, loop: group.next(), healthy: !unhealthy, hanging: hang, drainLinger: drainLinger,
            protobufJSON: protobufJSON, queue: location?.description, maxCalls: maxCalls)
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
            // Logged as the bind completes on the loop: a call taken at once is logged after this line, so
            // the `listening on` line starts each generation of the log.
            channel = try Server.listen(host: host, port: port, worker: worker) { channel in
                worker.log("listening on \(host):\(channel.localAddress?.port ?? port)")
                if !worker.isHealthy { worker.log("unhealthy") }
                if worker.isHanging { worker.log("hanging") }
            }
        } catch {
            log.toStandardError("error: cannot listen on \(host):\(port): \(Server.describe(error))")
            Termination.exit(1)
        }
        // Calls from the queue only once the worker listens (and so answers /worker and health checks).
        if let location {
            QueueTaker(worker: worker, location: location, password: password).start()
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
