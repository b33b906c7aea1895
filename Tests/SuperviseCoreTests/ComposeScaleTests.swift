import Testing
@testable import SuperviseCore

/// The Compose service `worker` of project `voice` as a replicated service: HTTP drain with a progress URL inside
/// the container's network, so live calls are known and an emptied replica is stopped by Docker's `stop`.
func composeWorker(replicas: Int? = nil, autoscale: AutoscaleSpec? = nil, maxSurge: Int = 1, maxUnavailable: Int = 1,
                   progressDeadline: Duration = .seconds(600)) -> ContainerSelector {
    var template = unit("worker", policy: .always, burst: 5, interval: .seconds(60))
    template.command = []
    template.stopTimeout = .seconds(30)
    template.maxUnavailable = maxUnavailable
    template.drain = DrainSpec(start: .http(url: "http://127.0.0.1:8081/drain"),
                               progress: DrainProgress(url: "http://127.0.0.1:8081/worker"), timeout: .seconds(60), network: .container)
    return ContainerSelector(key: "worker", match: .compose(project: "voice", service: "worker"), template: template,
                             replicas: ReplicaSettings(replicas: replicas, maxSurge: maxSurge, progressDeadline: progressDeadline,
                                                       autoscale: autoscale))
}

extension DockerPlay {
    /// Container units of `worker` the core knows, by name.
    var workers: [String] { h.core.units.filter { $0.isContainer && $0.spec.service == "worker" }.map(\.name) }

    /// Replicas of `worker` that belong to it (not leaving).
    var members: [String] { h.core.units.filter { $0.isContainer && $0.spec.service == "worker" && !$0.retired }.map(\.name) }

    mutating func scale(to count: Int) -> CommandOutcome {
        let (outcome, fx) = h.core.scale(service: "worker", to: count, now: h.now)
        play(fx)
        return outcome
    }

    mutating func rollout(image: String?) -> CommandOutcome {
        let (outcome, fx) = h.core.rollout(service: "worker", image: image, now: h.now)
        play(fx)
        return outcome
    }

    /// `name`'s drain reports `calls` live calls (0 ends it: Docker's stop follows).
    mutating func drainProgress(_ name: String, calls: Int) {
        guard let generation = h.core.unit(name)?.probes[.drain]?.generation else {
            Issue.record("\(name) is not draining"); return
        }
        send(.drainProgress(unit: name, generation: generation, activeCalls: calls, error: nil))
    }

    /// Every running replica reports its live calls (its liveness of the drain contract's progress URL).
    mutating func liveCalls(_ counts: [String: Int]) {
        for (name, calls) in counts {
            guard let i = h.core.index(name) else { continue }
            h.core.units[i].liveCalls = calls
        }
    }
}

@Suite struct ComposeScaleTests {
    @Test func scalingUpCopiesARunningReplicaOneAtATimeNumberedAfterTheHighest() {
        var d = DockerPlay(selectors: [composeWorker()])
        d.makesReplicas = false
        // Replica 3 is stopped: Compose numbers after it, and so does supervise.
        d.boot([DockerPlay.replica("worker", 1), DockerPlay.replica("worker", 2), DockerPlay.replica("worker", 3, running: false)])
        #expect(d.h.core.scaling["worker"]?.desired == 3, "without replicas: the count is what Compose made")
        let outcome = d.scale(to: 5)
        guard case .accepted = outcome else { Issue.record("\(outcome)"); return }
        #expect(d.creations.map(\.unit) == ["worker-4"], "one at a time")
        #expect(d.creations.first?.source == DockerPlay.replica("worker", 1).id)
        #expect(d.creations.first?.image == nil)
        #expect(d.h.core.serviceStatus(of: "worker", now: d.h.now)?.adding == ["worker-4"])
        d.make()
        #expect(d.creations.map(\.unit) == ["worker-5"])
        d.make()
        #expect(d.creations.isEmpty)
        #expect(d.workers == ["worker-1", "worker-2", "worker-3", "worker-4", "worker-5"])
        #expect(d.phase("worker-5") == .running)
        #expect(d.h.core.serviceStatus(of: "worker", now: d.h.now)?.running == 4)
    }

    @Test func nothingIsMadeBeforeDockerIsResynced() {
        var d = DockerPlay(selectors: [composeWorker(replicas: 3)])
        d.h.boot()
        #expect(d.actions.isEmpty, "no picture of Docker yet: no replica is judged missing")
        d.containers[DockerPlay.replica("worker", 1).id] = DockerPlay.replica("worker", 1)
        d.send(.containerResync([DockerPlay.replica("worker", 1)]))
        #expect(d.workers == ["worker-1", "worker-2", "worker-3"])
    }

    @Test func scalingDownDrainsTheFewestCallsAndDeletesTheirContainersOnceStopped() {
        var d = DockerPlay(selectors: [composeWorker()])
        d.boot((1...4).map { DockerPlay.replica("worker", $0) })
        d.liveCalls(["worker-1": 5, "worker-2": 0, "worker-3": 2, "worker-4": 7])
        _ = d.scale(to: 2)
        #expect(d.phase("worker-2") == .draining && d.phase("worker-3") == .draining)
        #expect(d.members == ["worker-1", "worker-4"])
        d.drainProgress("worker-2", calls: 0)
        #expect(d.actions == ["worker-2:stop", "worker-2:remove"], "stopped by Docker's stop once empty, then deleted")
        #expect(d.workers == ["worker-1", "worker-3", "worker-4"])
        d.drainProgress("worker-3", calls: 1)
        #expect(d.phase("worker-3") == .draining, "a call still live: it waits")
        d.drainProgress("worker-3", calls: 0)
        #expect(d.workers == ["worker-1", "worker-4"])
        #expect(d.h.core.unit("worker-3") == nil)
        #expect(!d.h.effects.contains { if case .container(_, _, .kill) = $0 { true } else { false } }, "no call cut")
        // Scaled up again: numbered after the highest left.
        _ = d.scale(to: 3)
        #expect(d.workers == ["worker-1", "worker-4", "worker-5"])
    }

    @Test func aComposeServiceKeepsOneReplica() {
        var d = DockerPlay(selectors: [composeWorker()])
        d.boot([DockerPlay.replica("worker", 1)])
        #expect(d.scale(to: 0).message.contains("keeps at least 1 replica"))
    }

    @Test func aContainerBeingDeletedIsNoReplicaIfAResyncListsItMeanwhile() {
        var d = DockerPlay(selectors: [composeWorker()])
        d.boot((1...2).map { DockerPlay.replica("worker", $0) })
        // Docker's stop of worker-2 answered, its delete not yet.
        let id = DockerPlay.replica("worker", 2).id
        var stopped = DockerPlay.replica("worker", 2)
        stopped.running = false
        _ = d.h.core.scale(service: "worker", to: 1, now: d.h.now)
        d.h.send(.drainProgress(unit: "worker-2", generation: d.h.core.unit("worker-2")!.probes[.drain]!.generation, activeCalls: 0, error: nil))
        d.h.send(.container(id: id, .died(exitCode: 0)))
        #expect(d.h.core.unit("worker-2") == nil)
        d.h.send(.containerResync([DockerPlay.replica("worker", 1), stopped]))
        #expect(d.h.core.unit("worker-2") == nil, "being deleted: not taken back as a stopped replica")
        d.h.send(.container(id: id, .destroyed))
        #expect(d.h.core.removingReplicas.isEmpty)
    }

    @Test func aFailedCreationWaitsTenSecondsAndIsTriedAgain() {
        var d = DockerPlay(selectors: [composeWorker()])
        d.boot([DockerPlay.replica("worker", 1)])
        d.images = []
        _ = d.scale(to: 2)
        #expect(d.actions == ["worker-2:create"])
        #expect(d.h.logReasons.contains { $0.contains("No such image") })
        #expect(d.h.core.serviceStatus(of: "worker", now: d.h.now)?.held?.contains("could not be made") == true)
        d.advance(.seconds(9))
        #expect(d.actions == ["worker-2:create"], "not before the wait is over")
        d.images = ["agent-sim:test"]
        d.advance(.seconds(2))
        #expect(d.actions == ["worker-2:create", "worker-2:create"])
        #expect(d.workers == ["worker-1", "worker-2"])
        #expect(d.h.core.serviceStatus(of: "worker", now: d.h.now)?.held == nil)
        #expect(d.h.core.nextDeadline == nil, "no timer left due")
    }

    @Test func aRolloutToANewImageAddsNewReplicasFirstThenDrainsTheOldOnes() {
        var d = DockerPlay(selectors: [composeWorker(replicas: 2)])
        d.boot((1...2).map { DockerPlay.replica("worker", $0) })
        let outcome = d.rollout(image: "agent-sim:next")
        guard case .accepted = outcome else { Issue.record("\(outcome)"); return }
        // worker-3 made with the new image; in service (no probes, no healthcheck): an old one drains.
        #expect(d.creations.isEmpty)
        #expect(d.h.core.unit("worker-3")?.container?.image == "agent-sim:next")
        #expect(d.phase("worker-1") == .draining || d.phase("worker-2") == .draining)
        let first = d.phase("worker-1") == .draining ? "worker-1" : "worker-2"
        d.drainProgress(first, calls: 0)
        let second = first == "worker-1" ? "worker-2" : "worker-1"
        #expect(d.h.core.unit("worker-4")?.container?.image == "agent-sim:next")
        #expect(d.phase(second) == .draining)
        d.drainProgress(second, calls: 0)
        #expect(d.workers == ["worker-3", "worker-4"])
        #expect(d.h.core.scaling["worker"]?.rollout == nil)
        #expect(d.h.logEvents.contains("-:rollout-done"))
        #expect(d.containers.values.map(\.image).sorted() == ["agent-sim:next", "agent-sim:next"])
    }

    @Test func aRolloutToAnImageThatCannotBeMadeIsCalledOffAndTheOldReplicasServe() {
        var d = DockerPlay(selectors: [composeWorker(replicas: 2)])
        d.boot((1...2).map { DockerPlay.replica("worker", $0) })
        _ = d.rollout(image: "agent-sim:missing")
        #expect(d.h.core.scaling["worker"]?.rollout == nil)
        #expect(d.h.logEvents.contains("-:rollout-abort") && d.h.logEvents.contains("-:rollout-aborted"))
        #expect(d.h.logReasons.contains { $0.contains("No such image: agent-sim:missing") })
        #expect(d.h.core.serviceStatus(of: "worker", now: d.h.now)?.lastRollout?.aborted?.contains("could not be made") == true,
                "the CLI learns how a rollout that ended before it looked ended")
        #expect(d.members == ["worker-1", "worker-2"])
        #expect(d.phase("worker-1") == .running && d.phase("worker-2") == .running)
    }

    @Test func aNewReplicaNotInServiceByTheDeadlineCallsTheRolloutOffAndIsRemoved() {
        var selector = composeWorker(replicas: 1, progressDeadline: .seconds(60))
        selector.template.readiness = ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:8081/health")))
        var d = DockerPlay(selectors: [selector])
        d.boot([DockerPlay.replica("worker", 1)])
        d.h.ready("worker-1")
        _ = d.rollout(image: "agent-sim:next")
        #expect(d.workers == ["worker-1", "worker-2"])
        d.advance(.seconds(59))
        #expect(d.phase("worker-1") == .running, "the old replica serves until the new one is in service")
        d.advance(.seconds(2))
        #expect(d.h.core.scaling["worker"]?.rollout?.abort?.contains("progress deadline of 1m") == true)
        #expect(d.phase("worker-2") == .draining, "the new replica is drained away")
        d.drainProgress("worker-2", calls: 0)
        #expect(d.h.core.scaling["worker"]?.rollout == nil)
        #expect(d.workers == ["worker-1"])
        #expect(d.actions.contains("worker-2:remove"))
        #expect(d.containers.values.map(\.image) == ["agent-sim:test"])
    }

    @Test func aServiceWithoutACountFollowsComposeUntilScaled() {
        var d = DockerPlay(selectors: [composeWorker()])
        d.boot((1...2).map { DockerPlay.replica("worker", $0) })
        // `docker-compose up --scale worker=3` by hand: followed, not undone.
        let third = DockerPlay.replica("worker", 3)
        d.containers[third.id] = third
        d.send(.containerSeen(third))
        #expect(d.h.core.scaling["worker"]?.desired == 3)
        #expect(d.actions.isEmpty)
        _ = d.scale(to: 4)
        #expect(d.h.core.scaling["worker"]?.source == .scaleCommand)
        #expect(d.workers == ["worker-1", "worker-2", "worker-3", "worker-4"])
        // From now on the count is supervise's: a replica removed by hand is made again.
        d.send(.container(id: third.id, .destroyed))
        #expect(d.workers == ["worker-1", "worker-2", "worker-4", "worker-5"])
    }

    @Test func theAutoscalerScalesAComposeService() {
        let auto = AutoscaleSpec(min: 1, max: 5, queue: QueueTrigger(redis: .tcp(host: "127.0.0.1", port: 6379), list: "call-queue", target: 5))
        var d = DockerPlay(selectors: [composeWorker(autoscale: auto)])
        d.boot([DockerPlay.replica("worker", 1)])
        d.send(.autoscaleReading(service: "worker", AutoscaleReading(queueLength: 12)))
        #expect(d.h.core.scaling["worker"]?.desired == 3)
        #expect(d.workers == ["worker-1", "worker-2", "worker-3"])
    }

    @Test func theCountAndARolloutSurviveADaemonRestart() throws {
        var d = DockerPlay(selectors: [composeWorker(replicas: 2)])
        d.makesReplicas = false
        d.boot((1...2).map { DockerPlay.replica("worker", $0) })
        _ = d.scale(to: 3)
        _ = d.rollout(image: "agent-sim:next")
        let saved = d.h.core.persistedState(bootID: "b", now: d.h.now)
        var next = DockerPlay(selectors: [composeWorker(replicas: 2)])
        next.boot(Array(d.containers.values).sorted { $0.name < $1.name }, persisted: saved)
        #expect(next.h.core.scaling["worker"]?.desired == 3)
        #expect(next.h.core.scaling["worker"]?.source == .scaleCommand)
        #expect(next.h.core.scaling["worker"]?.rollout?.image == "agent-sim:next")
    }
}
