import AgentSimQueue
import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `agent-sim enqueue`: the producer side of `--queue`, for demos, benchmarks and by hand.
struct Enqueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue calls for workers started with --queue (one RPUSH of N jobs).",
        discussion: """
            Appends --count jobs {"id":"PREFIXn","duration":S} to the list of --queue (required:
            redis://[USER@]HOST[:PORT][/DB]/LIST), numbered from --first, and prints the list's
            length afterwards. --queue and --redis-password-file are agent-sim's own options, as
            for a worker: `agent-sim enqueue --queue redis://127.0.0.1:6379/0/call-queue
            --count 50 --duration 20`. The password comes from --redis-password-file or else
            AGENT_SIM_REDIS_PASSWORD.
            """
    )

    /// `--queue` and `--redis-password-file` are agent-sim's own, given before or after `enqueue`.
    @ParentCommand var sim: AgentSim

    @Option(help: "How many jobs to queue.")
    var count: Int = 1

    @Option(help: ArgumentHelp("Seconds each call lasts.", valueName: "seconds"))
    var duration: Double = 10

    @Option(help: "Prefix of the jobs' ids.")
    var idPrefix: String = "c-"

    @Option(help: "Number of the first job's id.")
    var first: Int = 1

    func validate() throws {
        guard sim.queue != nil else { throw ValidationError("enqueue needs --queue redis://[USER@]HOST[:PORT][/DB]/LIST.") }
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be from 1 to 1000000, not \(count).") }
        guard duration.isFinite, duration >= 0, duration <= QueuedCall.maximumDuration else {
            throw ValidationError("--duration must be seconds from 0 to \(Int(QueuedCall.maximumDuration)), not \(duration).")
        }
    }

    func run() throws {
        let location: CallQueueLocation
        let password: String?
        do {
            location = try CallQueueLocation(parsing: sim.queue ?? "")
            password = try CallQueuePassword.resolve(file: sim.redisPasswordFile, environment: CallQueuePassword.processEnvironment)
        } catch {
            throw ValidationError("\(error)")
        }
        do {
            let jobs = CallQueue.jobs(count: count, duration: duration, idPrefix: idPrefix, firstNumber: first)
            let length = try CallQueue.enqueue(jobs, to: location, password: password)
            print("queued \(count) \(count == 1 ? "call" : "calls") of \(duration)s on \(location); \(length) in the list")
        } catch {
            Log(name: "enqueue", fd: 2)("error: \(error)")
            throw ExitCode(1)
        }
    }
}
