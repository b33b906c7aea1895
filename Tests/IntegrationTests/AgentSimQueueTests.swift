@testable import AgentSimQueue
import Foundation
import Testing

/// `GET /worker` of an agent-sim taking calls from a queue.
private struct QueueWorkerStatus: Decodable {
    let activeJobs: Int
    let draining: Bool
    let callsStarted: Int
    let callsCompleted: Int
    let callsCut: Int
    let maxCalls: Int
    let queue: String
    let queueConnected: Bool
    let queueTaken: Int
    let queueInvalid: Int
    let queueReturned: Int
}

/// An agent-sim taking calls from `location` on a free loopback port, stopped by its PID (SIGTERM, then SIGKILL).
private final class QueueWorker: Sendable {
    let process: TestProcess
    let port: Int
    let name: String

    init(name: String, location: CallQueueLocation, maxCalls: Int, extra: [String] = [],
         environment: [String: String]? = nil) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Binaries.agentSim), "agent-sim not built at \(Binaries.agentSim)")
        self.name = name
        port = freeLoopbackPort()
        process = try TestProcess(Binaries.agentSim, ["--port", "\(port)", "--name", name, "--queue", location.description,
                                                      "--max-calls", "\(maxCalls)"] + extra, environment: environment)
        let listening = process.waitForOutput(timeout: 15) { $0.contains("listening on 127.0.0.1:\(port)") }
        if !listening { process.stop() }
        try #require(listening, "agent-sim \(name) did not start listening; output:\n\(process.output)")
    }

    func status() throws -> QueueWorkerStatus {
        let response = try #require(httpRequest("GET", port: port, path: "/worker"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(QueueWorkerStatus.self, from: Data(response.body.utf8))
    }

    /// The ids of the queue jobs this worker started calls for, from its log, in order.
    var takenJobs: [String] {
        process.output.split(separator: "\n").compactMap { line in
            line.range(of: "from queue job ").map { String(line[$0.upperBound...]) }
        }
    }

    func stop() { process.stop() }
}

/// A producer on its own connection (closed after each call), as the benchmark and the demo queue calls.
private func enqueue(_ count: Int, duration: Double, first: Int = 1, on location: CallQueueLocation,
                     password: String? = nil) throws {
    try CallQueue.enqueue(CallQueue.jobs(count: count, duration: duration, firstNumber: first), to: location, password: password)
}

/// agent-sim workers taking their calls from a real redis-server on loopback (`--queue`), as the platform's workers
/// take theirs from `call-queue`.
@Suite(.serialized)
struct AgentSimQueueTests {
    @Test func twoWorkersTakeABurstWithinTheirCapacityAndEmptyTheQueue() throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let location = CallQueueLocation(host: "127.0.0.1", port: redis.port, list: "call-queue")
        let workers = [try QueueWorker(name: "q1", location: location, maxCalls: 3),
                       try QueueWorker(name: "q2", location: location, maxCalls: 3)]
        defer { workers.forEach { $0.stop() } }
        #expect(try eventually(timeout: 10) { try workers.allSatisfy { try $0.status().queueConnected } })

        try enqueue(12, duration: 1.0, on: location)

        // Sampled every 20 ms until every call has ended: never more than 3 live on a worker, and while both were
        // full the rest waited in Redis.
        var mostLive = [0, 0]
        var queuedWhileBothFull: [Int] = []
        let done = try eventually(timeout: 20) {
            let statuses = try workers.map { try $0.status() }
            for (index, status) in statuses.enumerated() {
                #expect(status.activeJobs <= 3, "worker \(workers[index].name) had \(status.activeJobs) calls live")
                mostLive[index] = max(mostLive[index], status.activeJobs)
            }
            if statuses.allSatisfy({ $0.activeJobs == 3 }) {
                queuedWhileBothFull.append(Int(redis.cli(["LLEN", "call-queue"]).output) ?? -1)
            }
            return statuses.map(\.callsCompleted).reduce(0, +) == 12
        }
        #expect(done, "the 12 calls did not all end")
        #expect(mostLive == [3, 3], "each worker should have filled its capacity")
        #expect(queuedWhileBothFull.contains { $0 > 0 }, "jobs should have waited in Redis while both workers were full")
        #expect(redis.cli(["LLEN", "call-queue"]).output == "0")

        let statuses = try workers.map { try $0.status() }
        #expect(statuses.map(\.queueTaken).reduce(0, +) == 12)
        #expect(statuses.allSatisfy { $0.queueTaken >= 3 && $0.callsCut == 0 && $0.maxCalls == 3 })
        #expect(statuses.allSatisfy { $0.queue == "redis://127.0.0.1:\(redis.port)/0/call-queue" })
        let taken = workers.flatMap(\.takenJobs)
        #expect(taken.sorted() == (1...12).map { "c-\($0)" }.sorted(), "every job taken exactly once: \(taken)")

        for worker in workers { worker.process.signal(SIGTERM) }
        #expect(workers.allSatisfy { $0.process.waitForExit(timeout: 5) == 0 })
    }

    @Test func aDrainStopsTakingJobsAndFinishesTheLiveCalls() throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let location = CallQueueLocation(host: "127.0.0.1", port: redis.port, list: "call-queue")
        let worker = try QueueWorker(name: "drainer", location: location, maxCalls: 2)
        defer { worker.stop() }

        try enqueue(5, duration: 2.0, on: location)
        #expect(try eventually(timeout: 5) { try worker.status().activeJobs == 2 })
        let drained = try #require(httpRequest("POST", port: worker.port, path: "/drain"))
        #expect(drained.status == 202)
        let drainStarted = Date()

        // Jobs queued after the drain began stay queued too, also one that a waiting BLPOP might have popped.
        try enqueue(2, duration: 2.0, first: 6, on: location)
        #expect(worker.process.waitForOutput(timeout: 3) { $0.contains("queue: draining: taking no more calls") })
        let draining = try worker.status()
        #expect(draining.draining && draining.activeJobs == 2 && draining.queueTaken == 2)

        #expect(worker.process.waitForExit(timeout: 10) == 0, "the worker should exit 0 once its calls ended")
        #expect(Date().timeIntervalSince(drainStarted) >= 1.0, "it exited before its live calls could end")
        let output = worker.process.output
        #expect(output.contains("call 1 ended") && output.contains("call 2 ended"))
        #expect(!output.contains("cut"))
        #expect(worker.takenJobs == ["c-1", "c-2"])
        let left = redis.cli(["LRANGE", "call-queue", "0", "-1"]).output.split(separator: "\n").map(String.init)
        #expect(left == (3...7).map { #"{"id":"c-\#($0)","duration":2.0}"# }, "jobs not taken stay queued, in order")
    }

    @Test func aJobPoppedAfterTheDrainBeganGoesBackToTheHeadOfTheList() throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let location = CallQueueLocation(host: "127.0.0.1", port: redis.port, list: "call-queue")
        let worker = try QueueWorker(name: "returner", location: location, maxCalls: 5)
        defer { worker.stop() }

        // One call keeps the drain going; the worker has room for more and waits in BLPOP (0.5 s at a time).
        try enqueue(1, duration: 3.0, on: location)
        #expect(try eventually(timeout: 5) { try worker.status().activeJobs == 1 })
        // Drain, then queue jobs over the drain's first half second: the BLPOP that was waiting when the drain began
        // pops the first of them (almost always: unless it was between two BLPOPs), and gives it back.
        #expect(httpRequest("POST", port: worker.port, path: "/drain")?.status == 202)
        for number in 2...11 {
            try enqueue(1, duration: 1.0, first: number, on: location)
            usleep(50_000)
        }
        #expect(worker.process.waitForOutput(timeout: 3) { $0.contains("queue: draining: taking no more calls") })
        let status = try worker.status()
        #expect(status.queueTaken == 1)
        #expect(status.queueReturned <= 1)
        if status.queueReturned == 1 {
            #expect(worker.process.output.contains("refused: draining; giving it back to the queue"))
        }
        let left = redis.cli(["LRANGE", "call-queue", "0", "-1"]).output.split(separator: "\n").map(String.init)
        #expect(left == (2...11).map { #"{"id":"c-\#($0)","duration":1.0}"# }, "no job lost, the one given back first")
        #expect(worker.process.waitForExit(timeout: 8) == 0)
    }

    @Test func aRestartedRedisIsTakenFromAgainAndLiveCallsGoOn() throws {
        let redis = try QueueRedisServer()
        defer { redis.finish() }
        let location = CallQueueLocation(host: "127.0.0.1", port: redis.port, list: "call-queue")
        let worker = try QueueWorker(name: "survivor", location: location, maxCalls: 4)
        defer { worker.stop() }

        try enqueue(2, duration: 3.0, on: location)
        #expect(try eventually(timeout: 5) { try worker.status().activeJobs == 2 })
        redis.kill()
        #expect(try eventually(timeout: 5) { try !worker.status().queueConnected }, "the worker should notice Redis is gone")
        #expect(worker.process.waitForOutput(timeout: 5) { $0.contains("connection refused; retrying in") })
        #expect(try worker.status().activeJobs == 2, "live calls go on without Redis")

        try redis.start()
        #expect(try eventually(timeout: 10) { try worker.status().queueConnected }, "the worker should connect again")
        try enqueue(3, duration: 0.5, first: 3, on: location)
        #expect(try eventually(timeout: 10) { try worker.status().callsCompleted == 5 })
        let status = try worker.status()
        #expect(status.queueTaken == 5 && status.callsCut == 0)
        #expect(worker.takenJobs == (1...5).map { "c-\($0)" })
        #expect(redis.cli(["LLEN", "call-queue"]).output == "0")
    }

    @Test func thePasswordComesFromAFileAndAWrongOneIsLoggedAndRetried() throws {
        let redis = try QueueRedisServer(password: "s3cret-pass")
        defer { redis.finish() }
        let location = CallQueueLocation(host: "127.0.0.1", port: redis.port, database: 2, list: "calls")
        let directory = makeTemporaryDirectory("agent-sim-queue")
        defer { try? FileManager.default.removeItem(at: directory) }
        let passwordFile = directory.appendingPathComponent("password").path
        try "s3cret-pass\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)

        let worker = try QueueWorker(name: "authed", location: location, maxCalls: 2, extra: ["--redis-password-file", passwordFile])
        defer { worker.stop() }
        var environment = ProcessInfo.processInfo.environment
        environment[CallQueuePassword.environmentVariable] = "wrong"
        let refused = try QueueWorker(name: "refused", location: location, maxCalls: 2, environment: environment)
        defer { refused.stop() }

        try enqueue(2, duration: 0.3, on: location, password: "s3cret-pass")
        #expect(try eventually(timeout: 10) { try worker.status().callsCompleted == 2 })
        #expect(redis.cli(["-n", "2", "LLEN", "calls"]).output == "0")
        #expect(refused.process.waitForOutput(timeout: 5) { $0.contains("authentication failed") })
        #expect(!refused.process.output.contains("wrong"), "the password must not be logged")
        #expect(try refused.status().queueTaken == 0)
        #expect(throws: CallQueueError.self) { try enqueue(1, duration: 1, on: location, password: nil) }
    }

    @Test func jobsAndLocationsParse() throws {
        #expect(try QueuedCall(parsing: Array(#"{"id":"c-17","duration":12.5}"#.utf8)) == QueuedCall(id: "c-17", duration: 12.5))
        #expect(try QueuedCall(parsing: Array(" 3 ".utf8)) == QueuedCall(duration: 3))
        #expect(try QueuedCall(parsing: Array(#"{"duration":1e1,"id":42,"meta":{"a":[1,true,null]}}"#.utf8))
            == QueuedCall(id: "42", duration: 10))
        #expect(try QueuedCall(parsing: Array(#"{"id":"\u00e9\"x","duration":0}"#.utf8)) == QueuedCall(id: "é\"x", duration: 0))
        for bad in ["", "garbage", #"{"id":"x"}"#, #"{"duration":"5"}"#, #"{"duration":-1}"#, "[1]", #"{"duration":1"#,
                    #"{"duration":1} x"#, "1e9"] {
            #expect(throws: QueuedCallError.self, "\(bad)") { try QueuedCall(parsing: Array(bad.utf8)) }
        }
        let job = QueuedCall(id: "a\"b", duration: 2.5)
        #expect(try QueuedCall(parsing: Array(job.json.utf8)) == job)

        #expect(try CallQueueLocation(parsing: "redis://127.0.0.1:6379/0/call-queue")
            == CallQueueLocation(host: "127.0.0.1", port: 6379, database: 0, list: "call-queue"))
        #expect(try CallQueueLocation(parsing: "redis://redis/call-queue") == CallQueueLocation(host: "redis", list: "call-queue"))
        #expect(try CallQueueLocation(parsing: "redis://worker@[::1]:6380/2/calls/eu")
            == CallQueueLocation(host: "::1", port: 6380, database: 2, list: "calls/eu", username: "worker"))
        #expect(try CallQueueLocation(parsing: "redis://h/5").list == "5")
        #expect(CallQueueLocation(host: "::1", port: 6380, database: 2, list: "q", username: "u").description
            == "redis://u@[::1]:6380/2/q")
        for bad in ["http://h/q", "redis://h", "redis://h/", "redis://u:pw@h/q", "redis://h:0/q", "redis://:6379/q"] {
            #expect(throws: CallQueueLocationError.self, "\(bad)") { try CallQueueLocation(parsing: bad) }
        }
        #expect(CallQueueConnection.secondsText(0.5) == "0.500")
        #expect(CallQueueConnection.secondsText(2) == "2")
        #expect(CallQueueConnection.secondsText(0) == "0.001")
    }
}
