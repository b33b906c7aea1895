import Foundation
import Testing

/// `GET /worker` as agent-sim reports it.
private struct AgentSimStatus: Decodable, Equatable {
    let name: String
    let pid: Int32
    let activeJobs: Int
    let draining: Bool
    let accepting: Bool
    let healthy: Bool
    let callsStarted: Int
    let callsCompleted: Int
    let callsRefused: Int
    let callsCut: Int
}

/// `POST /calls` as agent-sim answers it.
private struct AgentSimCall: Decodable {
    let id: Int
    let duration: Double
}

private func decodeAgentSim<T: Decodable>(_ type: T.Type, _ body: String) throws -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(type, from: Data(body.utf8))
}

/// A running agent-sim on a free loopback port; stopped (SIGTERM, then SIGKILL) by `stop()` or deinit.
private struct RunningSim {
    let process: TestProcess
    let port: Int

    /// Starts agent-sim and waits until it logs that it is listening.
    static func start(_ arguments: [String] = [], name: String = "test") throws -> RunningSim {
        try #require(FileManager.default.isExecutableFile(atPath: Binaries.agentSim), "agent-sim not built at \(Binaries.agentSim)")
        let port = freeLoopbackPort()
        let process = try TestProcess(Binaries.agentSim, ["--port", "\(port)", "--name", name] + arguments)
        let listening = process.waitForOutput(timeout: 15) { $0.contains("listening on 127.0.0.1:\(port)") }
        if !listening { process.stop() }
        try #require(listening, "agent-sim did not start listening; output:\n\(process.output)")
        return RunningSim(process: process, port: port)
    }

    func request(_ method: String, _ path: String, timeout: Double = 5) -> (status: Int, body: String)? {
        httpRequest(method, port: port, path: path, timeout: timeout)
    }

    func status() throws -> AgentSimStatus {
        let response = try #require(request("GET", "/worker"))
        #expect(response.status == 200)
        return try decodeAgentSim(AgentSimStatus.self, response.body)
    }

    func stop() { process.stop() }
}

@Suite(.serialized)
struct AgentSimTests {
    @Test func healthTogglesBetween200And503() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        let healthy = try #require(sim.request("GET", "/"))
        #expect(healthy.status == 200)
        #expect(healthy.body == "OK")

        #expect(sim.request("POST", "/control/unhealthy")?.status == 200)
        let unhealthy = try #require(sim.request("GET", "/"))
        #expect(unhealthy.status == 503)
        #expect(unhealthy.body == "unhealthy")
        #expect(try sim.status().healthy == false)

        #expect(sim.request("POST", "/control/healthy")?.status == 200)
        #expect(sim.request("GET", "/")?.status == 200)
        #expect(try sim.status().healthy == true)
    }

    @Test func startsUnhealthyWithFlag() throws {
        let sim = try RunningSim.start(["--unhealthy"])
        defer { sim.stop() }
        #expect(sim.request("GET", "/")?.status == 503)
    }

    @Test func workerReportsItsState() throws {
        let sim = try RunningSim.start(name: "json-check")
        defer { sim.stop() }

        let status = try sim.status()
        #expect(status == AgentSimStatus(
            name: "json-check", pid: sim.process.pid, activeJobs: 0, draining: false, accepting: true,
            healthy: true, callsStarted: 0, callsCompleted: 0, callsRefused: 0, callsCut: 0))
    }

    @Test func unknownPathIs404AndWrongMethodIs405() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }
        #expect(sim.request("GET", "/no-such-thing")?.status == 404)
        #expect(sim.request("POST", "/worker")?.status == 405)
        #expect(sim.request("GET", "/calls")?.status == 405)
    }

    @Test func callIsActiveForItsDuration() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        let created = try #require(sim.request("POST", "/calls?duration=0.5"))
        #expect(created.status == 201)
        let call = try decodeAgentSim(AgentSimCall.self, created.body)
        #expect(call.id == 1)
        #expect(call.duration == 0.5)
        #expect(try sim.status().activeJobs == 1)

        #expect(try eventually(timeout: 5) { try sim.status().activeJobs == 0 })
        let after = try sim.status()
        #expect(after.callsStarted == 1)
        #expect(after.callsCompleted == 1)
        #expect(sim.process.waitForOutput(timeout: 2) { $0.contains("agent-sim[test] call 1 ended") })
    }

    @Test func callWithoutValidDurationIs400() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }
        for path in ["/calls", "/calls?duration=", "/calls?duration=abc", "/calls?duration=-1", "/calls?duration=nan"] {
            let response = try #require(sim.request("POST", path))
            #expect(response.status == 400, "\(path)")
            #expect(response.body.contains("duration"), "\(path)")
        }
        #expect(try sim.status().callsStarted == 0)
    }

    @Test func hangLeavesRequestsUnanswered() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        #expect(sim.request("POST", "/control/hang")?.status == 200)
        #expect(sim.request("GET", "/", timeout: 1) == nil)
        #expect(sim.process.process.isRunning)
    }

    @Test func controlExitExitsWithTheCode() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        #expect(sim.request("POST", "/control/exit?code=7")?.status == 200)
        #expect(sim.process.waitForExit(timeout: 5) == 7)
        #expect(sim.process.process.terminationReason == .exit)
    }

    @Test func controlCrashDiesBySignal() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        #expect(sim.request("POST", "/control/crash")?.status == 200)
        #expect(sim.process.waitForExit(timeout: 5) != nil)
        #expect(sim.process.process.terminationReason == .uncaughtSignal)
        #expect(sim.process.process.terminationStatus == SIGABRT)
    }

    @Test func sigtermDrainsLiveCallsThenExits0() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        #expect(sim.request("POST", "/calls?duration=1.5")?.status == 201)
        let callStarted = Date()
        sim.process.signal(SIGTERM)
        #expect(try eventually(timeout: 1) { try sim.status().draining })

        let refused = try #require(sim.request("POST", "/calls?duration=1"))
        #expect(refused.status == 503)
        #expect(refused.body.contains("not accepting calls (draining)"))
        #expect(sim.request("GET", "/")?.status == 200, "health stays 200 while draining")
        let draining = try sim.status()
        #expect(draining.activeJobs == 1)
        #expect(draining.accepting == false)
        #expect(draining.callsRefused == 1)
        #expect(Date().timeIntervalSince(callStarted) < 1.2, "checks ran too late to see the live call")
        #expect(sim.process.process.isRunning, "must not exit while a call is live")

        #expect(sim.process.waitForExit(timeout: 5) == 0)
        #expect(sim.process.process.terminationReason == .exit)
        #expect(Date().timeIntervalSince(callStarted) >= 1.4, "exited before the call ended")
        #expect(sim.process.output.contains("drained, exiting 0"))
    }

    @Test func sigtermWithoutCallsExits0Promptly() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        let sent = Date()
        sim.process.signal(SIGTERM)
        #expect(sim.process.waitForExit(timeout: 3) == 0)
        #expect(Date().timeIntervalSince(sent) < 2)
    }

    @Test func secondSigtermCutsCallsAndExits1() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        #expect(sim.request("POST", "/calls?duration=30")?.status == 201)
        sim.process.signal(SIGTERM)
        #expect(sim.process.waitForOutput(timeout: 3) { $0.contains("draining: 1 call live") })
        sim.process.signal(SIGTERM)
        #expect(sim.process.waitForExit(timeout: 3) == 1)
        #expect(sim.process.output.contains("1 call cut"))
    }

    @Test func drainEndpointAnswers202AndExitsWhenIdle() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        let response = try #require(sim.request("POST", "/drain"))
        #expect(response.status == 202)
        let status = try decodeAgentSim(AgentSimStatus.self, response.body)
        #expect(status.draining)
        #expect(status.accepting == false)
        #expect(sim.process.waitForExit(timeout: 3) == 0)
    }

    @Test func badPortArgumentFails() throws {
        for port in ["not-a-port", "70000"] {
            let process = try TestProcess(Binaries.agentSim, ["--port", port])
            defer { process.stop() }
            let status = process.waitForExit(timeout: 10)
            #expect(status != nil && status != 0, "--port \(port)")
        }
    }

    @Test func portInUseExits1NamingTheAddress() throws {
        let sim = try RunningSim.start()
        defer { sim.stop() }

        let second = try TestProcess(Binaries.agentSim, ["--port", "\(sim.port)"])
        defer { second.stop() }
        #expect(second.waitForExit(timeout: 10) == 1)
        #expect(second.output.contains("127.0.0.1:\(sim.port)"))
    }
}
