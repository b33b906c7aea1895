import Foundation
import SuperviseConfig
import SuperviseControl
import SuperviseCore
import SuperviseDaemon
import Testing

/// The supervision loop in-process: the real core and service group, doubles for every adapter
/// (see each double for why). Nothing here starts a process or touches a signal or a file.
@Suite(.timeLimit(.minutes(1))) struct SupervisionLoopTests {
    @Test func aSpawnReachesTheLauncherAndItsAnswerMakesTheUnitRunning() async throws {
        let loop = try LoopHarness("""
            units:
              w: {command: [w]}
            """, launcher: FakeLauncher(answersAtOnce: false))
        #expect(await eventually { loop.launcher.unanswered == ["w"] })
        #expect(try await loop.unit("w")?.state == "starting")

        let pid = try #require(loop.launcher.answerSpawn(of: "w"))
        #expect(try await eventually { try await loop.unit("w")?.state == "running" })
        #expect(try await loop.unit("w")?.pid == pid)
        #expect(loop.launcher.spawns == ["w"])
        try await loop.shutDown()
    }

    @Test func anAcceptedDrainIsAnsweredOnlyOnceTheStateWriterHasWrittenIt() async throws {
        let loop = try LoopHarness("""
            units:
              w: {command: [w]}
            """)
        #expect(try await eventually { try await loop.unit("w")?.state == "running" })
        loop.store.holdCompletions(true)
        let journal = loop.store.journal
        let answer = Task {
            let response = await loop.control("POST", "/v1/units/w/drain")
            journal.note("answered \(response.status)")
            return response
        }
        #expect(await eventually { loop.store.waitingCompletions == 1 })
        // The writer has the drain, and the request is still waiting for the write.
        #expect(loop.store.saves.last?.units["w"]?.drain != nil)
        #expect(journal.all.isEmpty)

        loop.store.complete()
        let response = await answer.value
        #expect(journal.all == ["state written", "answered 200"])
        let body = try ControlJSON.decoder().decode(CommandResponse.self, from: Data(response.body))
        #expect(body.outcome == "accepted")
        #expect(body.warning == nil)
        try await loop.shutDown()
    }

    @Test func aStateThatCannotBeWrittenIsAcceptedWithAWarning() async throws {
        let loop = try LoopHarness("""
            units:
              w: {command: [w]}
            """)
        #expect(try await eventually { try await loop.unit("w")?.state == "running" })
        loop.store.holdCompletions(true)
        let answer = Task { await loop.control("POST", "/v1/units/w/stop") }
        #expect(await eventually { loop.store.waitingCompletions == 1 })
        loop.store.complete(failure: "disk full")
        let body = try ControlJSON.decoder().decode(CommandResponse.self, from: Data(await answer.value.body))
        #expect(body.outcome == "accepted")
        #expect(body.warning?.contains("disk full") == true)
        try await loop.shutDown()
    }

    @Test func aUnitRemovedAndAddedBackBeforeItsProcessEndsKeepsOneEntryAndStartsOnceAfterTheExit() async throws {
        let withW = """
            units:
              w: {command: [w]}
              other: {command: [other]}
            """
        let withoutW = """
            units:
              other: {command: [other]}
            """
        let loop = try LoopHarness(withW, launcher: FakeLauncher(exitsOnStopSignal: false))
        #expect(try await eventually { try await loop.units().allSatisfy { $0.state == "running" } })
        let old = try #require(try await loop.unit("w")?.pid)

        loop.send(.reload(.success(try ConfigLoader.parse(yaml: withoutW, file: "test.yaml"))))
        loop.send(.reload(.success(try ConfigLoader.parse(yaml: withW, file: "test.yaml"))))
        // The loop answers in order: both reloads are behind it.
        let units = try await loop.units()
        #expect(units.filter { $0.name == "w" }.count == 1)
        #expect(loop.launcher.stopSignals.map(\.pid) == [old], "the removal stops the old process")
        #expect(loop.launcher.spawns == ["w", "other"], "nothing starts while the old process still stops")

        loop.launcher.end(old, .signaled(signal: SIGTERM, coreDumped: false))
        #expect(try await eventually {
            guard let w = try await loop.unit("w") else { return false }
            return w.state == "running" && w.pid != old
        })
        #expect(try await loop.units().filter { $0.name == "w" }.count == 1)
        #expect(loop.launcher.spawns == ["w", "other", "w"])
        loop.launcher.exitsOnStopSignal = true
        try await loop.shutDown()
    }

    @Test func theTimerFiresAtTheCoresNextDeadline() async throws {
        let loop = try LoopHarness("""
            units:
              w:
                command: [w]
                restart:
                  policy: always
                  backoff: {initial: 2s, max: 1m, multiplier: 2, jitter: 0}
            """)
        #expect(try await eventually { try await loop.unit("w")?.state == "running" })
        // The first restart of a streak is immediate; the second waits out `initial`.
        let first = try #require(try await loop.unit("w")?.pid)
        loop.launcher.end(first, .exited(code: 1))
        #expect(try await eventually { (try await loop.unit("w")?.pid).map { $0 != first } ?? false })
        #expect(loop.launcher.spawns == ["w", "w"])
        let second = try #require(try await loop.unit("w")?.pid)

        let exitedAt = loop.clock.now()
        loop.launcher.end(second, .exited(code: 1))
        #expect(try await eventually { try await loop.unit("w")?.state == "backoff" })
        let due = exitedAt + .seconds(2)
        #expect(await eventually { loop.clock.sleepingUntil.contains(due) }, "sleeping until \(loop.clock.sleepingUntil)")

        loop.clock.advance(by: .milliseconds(1999))
        #expect(try await loop.unit("w")?.state == "backoff")
        #expect(loop.clock.sleepingUntil.contains(due))
        #expect(loop.launcher.spawns == ["w", "w"])

        loop.clock.advance(by: .milliseconds(1))
        #expect(try await eventually { try await loop.unit("w")?.state == "running" })
        #expect(loop.launcher.spawns == ["w", "w", "w"])
        try await loop.shutDown()
    }

    @Test func aLivenessProbeRunsWhileItsUnitRunsAndItsResultsReachTheCore() async throws {
        let loop = try LoopHarness("""
            units:
              w:
                command: [w]
                liveness: {http: "http://127.0.0.1:9/", interval: 1s, failure_threshold: 3}
            """)
        #expect(try await eventually { try await loop.unit("w")?.state == "running" })
        #expect(await eventually { loop.probes.probed.map(\.unit) == ["w"] })
        let key = try #require(loop.probes.probed.first)
        #expect(key.role == .liveness)

        let failed = ProbeResult(healthy: false, latency: .milliseconds(3), failure: "connection refused")
        loop.send(.probeResults([.probeResult(unit: "w", role: .liveness, generation: key.generation, result: failed)]))
        #expect(try await eventually { try await loop.unit("w")?.probes.first?.failingStreak == 1 })
        try await loop.shutDown()
        #expect(loop.probes.removed.contains(key))
        #expect(loop.probes.shutDown)
    }

    @Test func aContainerSelectorStartsTheContainerDriverAndTheEndStopsIt() async throws {
        let loop = try LoopHarness("""
            containers:
              redis:
                container: redis
            """)
        #expect(await eventually { loop.docker.started })
        #expect(loop.logs.contains("watching Docker at /nonexistent/docker.sock"), "\(loop.logs.all)")
        try await loop.shutDown()
        #expect(loop.docker.stopped)
    }
}
