import Testing
@testable import SuperviseCore

private func workerSelector(policy: RestartPolicy = .always, burst: Int = 5, liveness: ProbeSpec? = nil) -> ContainerSelector {
    var template = unit("worker", policy: policy, burst: burst, interval: .seconds(60))
    template.command = []
    template.stopTimeout = .seconds(30)
    template.liveness = liveness
    return ContainerSelector(key: "worker", match: .compose(project: "voice", service: "worker"), template: template)
}

@Suite struct ContainerTests {
    @Test func composeReplicasBecomeUnitsNamedServiceN() {
        var d = DockerPlay(selectors: [workerSelector()])
        d.boot([DockerPlay.replica("worker", 1), DockerPlay.replica("worker", 2), DockerPlay.replica("worker", 3),
                DockerPlay.replica("worker", 4, oneoff: true), DockerPlay.replica("worker", 5, project: "other"),
                DockerPlay.replica("api", 1)])
        #expect(d.h.core.unitNames == ["worker-1", "worker-2", "worker-3"])
        #expect(d.phase("worker-2") == .running)
        #expect(d.h.core.unit("worker-2")?.pid == 4002)
        #expect(d.h.core.unit("worker-2")?.container?.replica == 2)
        #expect(d.h.core.dockerConnected)
    }

    @Test func aKilledProcessIsRestartedAtOnceThroughTheAPI() {
        var d = DockerPlay(selectors: [workerSelector()])
        d.boot([DockerPlay.replica("worker", 1), DockerPlay.replica("worker", 2)])
        d.die("worker-2", exitCode: 137)
        #expect(d.actions == ["worker-2:restart"])
        #expect(d.phase("worker-2") == .running)
        #expect(d.h.core.unit("worker-2")?.restarts == 1)
        #expect(d.h.core.unit("worker-2")?.lastExit == .signaled(signal: 9, coreDumped: false))
        let restart = d.h.effects.first { if case .container(_, _, .restart(let t)) = $0 { return t == .seconds(30) } else { return false } }
        #expect(restart != nil, "restart?t= carries the unit's stop timeout")
    }

    @Test func aCrashLoopBacksOffThenFailsAndStaysDown() {
        var d = DockerPlay(selectors: [workerSelector(burst: 4)])
        d.boot([DockerPlay.replica("worker", 1)])
        var gaps: [Duration] = []
        for _ in 0..<6 {
            let before = d.h.now
            let count = d.actions.count
            d.die("worker-1", exitCode: 1)
            while d.actions.count == count && d.h.now - before < .seconds(120) { d.advance(.milliseconds(10)) }
            if d.actions.count > count { gaps.append(d.h.now - before) }
        }
        #expect(gaps.count == 4, "burst 4: four restarts within the window, then it gives up")
        #expect(gaps[0] == .zero && gaps[1] >= .milliseconds(90) && gaps[2] >= .milliseconds(180) && gaps[3] >= .milliseconds(360))
        #expect(d.phase("worker-1") == .failed)
        #expect(d.h.core.unit("worker-1")?.reason?.contains("start limit") == true)
        let issued = d.actions.count
        d.advance(.seconds(600))
        #expect(d.actions.count == issued, "a failed container is never looped")
    }

    @Test func dockerStopByHandIsNotFought() {
        var d = DockerPlay(selectors: [workerSelector()])
        d.boot([DockerPlay.replica("worker", 1)])
        d.dockerStop("worker-1")
        d.advance(.seconds(60))
        #expect(d.actions.isEmpty)
        #expect(d.phase("worker-1") == .inactive)
        #expect(d.h.core.unit("worker-1")?.reason?.contains("stopped outside supervise") == true)
        // Started again by hand: supervised again.
        var c = d.containers.values.first!
        c.running = true
        c.pid = 777
        d.send(.container(id: c.id, .started))
        d.send(.containerSeen(c))
        #expect(d.phase("worker-1") == .running)
        d.die("worker-1", exitCode: 137)
        #expect(d.actions == ["worker-1:restart"])
    }

    @Test func exitsAreLeftToDockersOwnRestartPolicyButUnhealthyIsHealed() {
        var d = DockerPlay(selectors: [workerSelector()])
        d.boot([DockerPlay.replica("worker", 1, dockerPolicy: "always")])
        d.die("worker-1", exitCode: 1)
        #expect(d.actions.isEmpty)
        #expect(d.phase("worker-1") == .exited)
        #expect(d.h.core.status(of: "worker-1", now: d.h.now)?.container?.exitsLeftToDocker == true)
        #expect(d.h.core.unit("worker-1")?.reason?.contains("Docker restarts it") == true)
        // Docker restarts it; then Docker's HEALTHCHECK turns unhealthy.
        var c = d.containers.values.first!
        c.running = true
        d.send(.containerSeen(c))
        #expect(d.phase("worker-1") == .running)
        d.send(.container(id: c.id, .health(.unhealthy, detail: "exit 1: not serving")))
        #expect(d.actions == ["worker-1:restart"])
        #expect(d.h.logReasons.contains("unhealthy: Docker HEALTHCHECK failed: exit 1: not serving"))
    }

    @Test func repeatedUnhealthyWaitsOutTheBackoffWhileRunning() {
        var d = DockerPlay(selectors: [workerSelector()])
        d.boot([DockerPlay.replica("worker", 1)])
        let id = d.containers.keys.first!
        d.send(.container(id: id, .health(.unhealthy, detail: nil)))
        #expect(d.actions.count == 1)
        d.send(.container(id: id, .health(.starting, detail: nil)))
        d.advance(.seconds(1))
        d.send(.container(id: id, .health(.unhealthy, detail: nil)))
        #expect(d.actions.count == 1, "second restart of the streak waits for the backoff")
        #expect(d.phase("worker-1") == .backoff)
        d.advance(.milliseconds(150))
        #expect(d.actions.count == 2)
        #expect(d.phase("worker-1") == .running)
    }

    @Test func removedContainersAndScaleDownAreForgotten() {
        var d = DockerPlay(selectors: [workerSelector()])
        let replicas = (1...4).map { DockerPlay.replica("worker", $0) }
        d.boot(replicas)
        #expect(d.h.core.unitNames.count == 4)
        d.send(.container(id: replicas[3].id, .destroyed))
        #expect(d.h.core.unitNames == ["worker-1", "worker-2", "worker-3"])
        d.send(.containerResync(Array(replicas.prefix(2))))
        #expect(d.h.core.unitNames == ["worker-1", "worker-2"])
        d.send(.containerSeen(DockerPlay.replica("worker", 5)))
        #expect(d.h.core.unitNames == ["worker-1", "worker-2", "worker-5"])
        #expect(d.actions.isEmpty)
    }

    @Test func noRestartFromAStalePictureAndDeathsInTheGapAreHealedAfterResync() {
        var d = DockerPlay(selectors: [workerSelector()])
        let replicas = (1...3).map { DockerPlay.replica("worker", $0) }
        d.boot(replicas)
        d.die("worker-1", exitCode: 1)
        d.die("worker-1", exitCode: 1) // in backoff now
        #expect(d.phase("worker-1") == .backoff)
        d.send(.dockerConnection(connected: false, detail: "connection refused"))
        d.advance(.seconds(5))
        #expect(d.actions == ["worker-1:restart"], "the backoff ran out while disconnected: no restart issued")
        #expect(d.phase("worker-1") == .waiting)
        // Reconnected: worker-1 is still down, worker-3 died in the gap, worker-2 is fine.
        var gap = replicas
        gap[0].running = false
        gap[2].running = false
        gap[2].exitCode = 137
        d.containers[gap[2].id] = gap[2]
        d.containers[gap[0].id] = gap[0]
        d.send(.containerResync(gap))
        #expect(d.actions.sorted() == ["worker-1:restart", "worker-1:restart", "worker-3:restart"])
        #expect(d.phase("worker-2") == .running)
        #expect(d.h.core.unit("worker-3")?.lastExit == .signaled(signal: 9, coreDumped: false))
    }

    @Test func giveUpsAndDeathsWhileSuperviseWasDownSurviveARestart() {
        var d = DockerPlay(selectors: [workerSelector(burst: 1)])
        let replicas = [DockerPlay.replica("worker", 1), DockerPlay.replica("worker", 2)]
        d.boot(replicas)
        d.die("worker-1", exitCode: 1)
        d.die("worker-1", exitCode: 1)
        d.advance(.seconds(1))
        #expect(d.phase("worker-1") == .failed)
        let saved = d.h.core.persistedState(bootID: "b", now: d.h.now)
        #expect(saved.units["worker-2"]?.containerID == replicas[1].id)

        // A new daemon: worker-2 died while none ran.
        var next = DockerPlay(selectors: [workerSelector(burst: 1)])
        var dead = replicas
        dead[0].running = false
        dead[1].running = false
        dead[1].exitCode = 137
        for c in dead { next.containers[c.id] = c }
        next.boot(dead, persisted: saved)
        #expect(next.phase("worker-1") == .failed)
        #expect(next.actions == ["worker-2:restart"])
        #expect(next.phase("worker-2") == .running)
    }

    @Test func aRestartDueWhenTheDaemonStoppedIsStillMade() throws {
        var d = DockerPlay(selectors: [workerSelector()])
        let replicas = [DockerPlay.replica("worker", 1), DockerPlay.replica("worker", 2)]
        d.boot(replicas)
        d.die("worker-1", exitCode: 1) // restarted at once
        d.die("worker-1", exitCode: 1) // the second restart waits out a backoff
        #expect(d.actions == ["worker-1:restart"])
        #expect(d.phase("worker-1") == .backoff)
        let saved = d.h.core.persistedState(bootID: "b", now: d.h.now)
        #expect(saved.units["worker-1"]?.restartPending == true)

        // The daemon died in the backoff; the container is still down when the new one looks.
        var next = DockerPlay(selectors: [workerSelector()])
        var seen = replicas
        seen[0].running = false
        seen[0].exitCode = 1
        for c in seen { next.containers[c.id] = c }
        next.boot(seen, persisted: saved)
        #expect(next.phase("worker-1") == .backoff, "\(String(describing: next.h.core.unit("worker-1")?.reason))")
        #expect(next.actions.isEmpty)
        next.advance(.milliseconds(200))
        #expect(next.actions == ["worker-1:restart"])
        #expect(next.phase("worker-1") == .running && next.phase("worker-2") == .running)
    }

    @Test func aRollingRestartOfContainersWaitsForDockerThenCarriesOn() throws {
        var d = DockerPlay(selectors: [workerSelector()])
        let replicas = (1...3).map { DockerPlay.replica("worker", $0) }
        d.boot(replicas)
        // Started, and the daemon dies while worker-1 drains (Docker's answers never arrive).
        let (outcome, fx) = d.h.core.rollingRestart(service: "worker", now: d.h.now)
        d.h.absorb(fx)
        guard case .accepted = outcome else { Issue.record("\(outcome)"); return }
        #expect(d.phase("worker-1") == .draining)
        let saved = d.h.core.persistedState(bootID: "b", now: d.h.now)
        #expect(saved.rolling?.first?.current == "worker-1")

        // The new daemon knows no container before Docker answers: the roll waits, it is not dropped.
        var next = DockerPlay(selectors: [workerSelector()])
        for c in replicas { next.containers[c.id] = c }
        next.h.boot(persisted: saved)
        #expect(next.h.logEvents.contains("-:rolling-resume"))
        #expect(next.h.core.rolling["worker"]?.current == "worker-1")
        next.send(.containerResync(replicas))
        #expect(next.phase("worker-1") == .draining, "its drain resumes")
        #expect(next.phase("worker-2") == .running && next.actions.isEmpty)
        // worker-1 ends its drain; then each replica in turn.
        next.die("worker-1", exitCode: 0)
        #expect(next.actions == ["worker-1:restart", "worker-2:stop", "worker-2:restart", "worker-3:stop", "worker-3:restart"])
        #expect(next.h.core.rolling.isEmpty && next.h.logEvents.contains("-:rolling-done"))

        // A replica gone while no daemon ran is dropped from the roll once Docker has answered.
        var third = DockerPlay(selectors: [workerSelector()])
        for c in replicas.prefix(2) { third.containers[c.id] = c }
        third.h.boot(persisted: saved)
        third.send(.containerResync(Array(replicas.prefix(2))))
        third.die("worker-1", exitCode: 0)
        #expect(third.actions == ["worker-1:restart", "worker-2:stop", "worker-2:restart"])
        #expect(third.h.core.rolling.isEmpty)
    }

    @Test func unseenContainerUnitsKeepTheirSavedState() {
        var d = DockerPlay(selectors: [workerSelector()])
        let saved = PersistedState(bootID: "b", units: ["worker-9": PersistedUnit(failedReason: "gave up", containerID: "abc")])
        d.h.boot(persisted: saved)
        #expect(d.h.core.persistedState(bootID: "b", now: d.h.now).units["worker-9"]?.failedReason == "gave up")
    }

    @Test func shutdownLeavesContainersRunning() {
        var d = DockerPlay(selectors: [workerSelector()], units: [unit("local")])
        d.boot([DockerPlay.replica("worker", 1)])
        d.send(.shutdown)
        #expect(d.actions.isEmpty)
        d.h.exit("local", .signaled(signal: 15, coreDumped: false))
        #expect(d.h.effects.contains(.shutdownComplete))
        #expect(d.phase("worker-1") == .running)
    }

    @Test func operatorStopAndStartGoThroughTheAPI() {
        var d = DockerPlay(selectors: [workerSelector()])
        d.boot([DockerPlay.replica("worker", 1)])
        let (stop, fx) = d.h.core.command(.stop, unit: "worker-1", now: d.h.now)
        #expect(stop == .accepted("stopping worker-1"))
        d.h.effects += fx
        // Feed the stop effect through the Docker play.
        if case .container(_, let id, .stop)? = fx.first(where: { if case .container = $0 { true } else { false } }) {
            d.containers[id]?.running = false
            d.actions.append("worker-1:stop")
            d.send(.container(id: id, .killed(signal: 15)))
            d.send(.container(id: id, .died(exitCode: 143)))
            d.send(.container(id: id, .stopped))
        }
        #expect(d.phase("worker-1") == .inactive)
        #expect(d.h.core.unit("worker-1")?.operatorStopped == true)
        let (start, fx2) = d.h.core.command(.start, unit: "worker-1", now: d.h.now)
        #expect(start == .accepted("starting worker-1"))
        #expect(fx2.contains { if case .container(_, _, .restart) = $0 { true } else { false } })
    }

    @Test func livenessProbesOfAContainerRunInItsNetworkNamespace() throws {
        var probe = ProbeSpec(check: .http(HTTPCheck(url: "http://127.0.0.1:8081/replica/{replica}")), interval: .seconds(1), failureThreshold: 2)
        probe.network = .container
        var d = DockerPlay(selectors: [workerSelector(liveness: probe)])
        d.boot([DockerPlay.replica("worker", 3)])
        let started = d.h.effects.compactMap { e -> (UInt64, ProbeSpec)? in
            if case .startProbe("worker-3", .liveness, let g, let spec) = e { return (g, spec) } else { return nil }
        }
        let (generation, spec) = try #require(started.last)
        #expect(spec.networkNamespacePid == 4003)
        #expect(spec.check == .http(HTTPCheck(url: "http://127.0.0.1:8081/replica/3")))
        for _ in 0..<2 {
            d.send(.probeResult(unit: "worker-3", role: .liveness, generation: generation,
                                result: ProbeResult(healthy: false, latency: .milliseconds(1), failure: "connection refused")))
        }
        #expect(d.actions == ["worker-3:restart"])
        #expect(d.h.logReasons.contains("unhealthy: connection refused"))
    }

    @Test func anEmptiedHTTPDrainStopsTheContainerThroughDockersStop() throws {
        var selector = workerSelector()
        selector.template.drain = DrainSpec(start: .http(url: "http://127.0.0.1:8081/drain"),
                                            progress: DrainProgress(url: "http://127.0.0.1:8081/worker"), timeout: .seconds(60),
                                            network: .container)
        var d = DockerPlay(selectors: [selector])
        d.boot([DockerPlay.replica("worker", 1)])
        let (outcome, fx) = d.h.core.drain("worker-1", timeout: nil, now: d.h.now)
        d.h.absorb(fx)
        guard case .accepted = outcome else { Issue.record("\(outcome)"); return }
        let generation = try #require(d.h.core.unit("worker-1")?.probes[.drain]?.generation)
        d.send(.drainProgress(unit: "worker-1", generation: generation, activeCalls: 0, error: nil))
        // `stop?t=`: Docker kills it after the stop timeout if the signal is ignored; never a bare kill.
        #expect(d.actions == ["worker-1:stop"])
        let u = try #require(d.h.core.unit("worker-1"))
        #expect(u.phase == .drained)
        #expect(u.lastDrain?.callsCut == 0)
    }

    @Test func dockersOwnKillAtTheDrainDeadlineCountsTheCallsAsCut() throws {
        // `stop?t=3`: Docker kills the container at 3 s, and its `die` can arrive before the core's own deadline tick.
        var selector = workerSelector()
        selector.template.drain = DrainSpec(progress: DrainProgress(url: "http://127.0.0.1:8081/worker"), timeout: .seconds(60), network: .container)
        var d = DockerPlay(selectors: [selector])
        d.boot([DockerPlay.replica("worker", 1), DockerPlay.replica("worker", 2)])
        let (outcome, fx) = d.h.core.drain("worker-1", timeout: .seconds(3), now: d.h.now)
        d.h.absorb(fx)
        #expect(outcome.message.contains("deadline in 3s"), "\(outcome)")
        let generation = try #require(d.h.core.unit("worker-1")?.probes[.drain]?.generation)
        d.h.now = d.h.now + .seconds(2)
        d.h.send(.drainProgress(unit: "worker-1", generation: generation, activeCalls: 2, error: nil))
        d.h.now = d.h.now + .milliseconds(1005)
        let id = try #require(d.h.core.unit("worker-1")?.container?.id)
        d.h.send(.container(id: id, .killed(signal: 9)))
        d.h.send(.container(id: id, .died(exitCode: 137)))
        d.h.send(.container(id: id, .stopped))
        let u = try #require(d.h.core.unit("worker-1"))
        #expect(u.phase == .drained)
        #expect(u.lastDrain?.callsCut == 2)
    }
}
