import Foundation
import SuperviseControl
import Testing

/// An `accepted` answer from the control API means the change is already in the state file: a
/// daemon killed right after the answer still knows it, and a state that cannot be written is
/// said in the answer.
@Suite(.serialized) struct AcceptedStateTests {
    @Test func anAcceptedDrainSurvivesADaemonKilledRightAfterTheAnswer() throws {
        let w = try DrainIntegrationTests.Workers(linger: 1)
        defer { w.stop() }
        let old = try w.waitUntilServing()
        let calls = LoopbackCalls()
        #expect(calls.place(on: w.target("worker-1"), duration: 5).accepted)

        let answer = try w.daemon.client.request("POST", "/v1/units/worker-1/drain")
        let process = try #require(w.daemon.process)
        process.signal(SIGKILL)
        #expect(process.waitForExit(timeout: 5) != nil)
        #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
        let body = try DaemonHarness.decoder.decode(CommandResponse.self, from: Data(answer.body))
        #expect(body.outcome == "accepted")
        #expect(body.warning == nil)
        #expect(processAlive(old[0]), "the worker outlives its daemon")

        try w.daemon.start()
        let unit = try #require(try w.daemon.unit("worker-1"))
        #expect(unit.state == "draining", "\(unit.state): \(unit.reason ?? "")\n\(w.daemon.output)")
        #expect(unit.pid == old[0])
        #expect(w.daemon.output.contains("still draining from before the restart (pid \(old[0]))"), "\(w.daemon.output)")
        // The drain runs to its end in the adopted worker, and the unit stays out of service.
        #expect(eventually(timeout: 15) { w.state("worker-1") == "drained" }, "\(w.daemon.output)")
        #expect(try w.daemon.unit("worker-1")?.lastDrain?.callsCut == 0)
    }

    @Test func aStateThatCannotBeWrittenIsSaidInTheAnswer() throws {
        let daemon = try DaemonHarness(config: """
            units:
              w: {command: [sleep, "1000"]}
            """, start: false)
        defer { daemon.stop() }
        // A file where the state directory should be: nothing can be written under it, even by root.
        try Data("not a directory\n".utf8).write(to: URL(fileURLWithPath: daemon.stateDirectory))
        try daemon.start()
        let pid = try #require(daemon.waitForRunning("w"))

        let stop = try daemon.client.request("POST", "/v1/units/w/stop")
        #expect(stop.status == 200)
        let body = try DaemonHarness.decoder.decode(CommandResponse.self, from: Data(stop.body))
        #expect(body.outcome == "accepted")
        let warning = try #require(body.warning, "\(String(decoding: stop.body, as: UTF8.self))")
        #expect(warning.hasPrefix("accepted, but the state could not be saved: cannot write state file \(daemon.stateDirectory)/state.json: "),
                "\(warning)")
        // Carried out all the same.
        #expect(eventually(timeout: 5) { (try? daemon.unit("w"))?.state == "inactive" })
        #expect(!processAlive(pid))

        // The CLI prints the answer, and the warning on stderr; the command itself succeeded.
        let start = try daemon.cli(["start", "w"])
        #expect(start.code == 0, "\(start.output)")
        #expect(start.output.contains("supervise: warning: accepted, but the state could not be saved: "), "\(start.output)")
        // An unchanged answer changed nothing, so it has nothing to warn of.
        _ = try #require(daemon.waitForRunning("w"))
        let unchanged = try daemon.cli(["undrain", "w"])
        #expect(unchanged.code == 0 && !unchanged.output.contains("warning"), "\(unchanged.output)")
    }
}
