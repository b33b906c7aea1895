import Testing
@testable import SuperviseCore

/// `depends_on` conditions with Compose's names.
@Suite struct DependencyConditionTests {
    func probed(_ name: String) -> UnitSpec {
        var spec = unit(name)
        spec.liveness = ProbeSpec(check: .tcp(host: "127.0.0.1", port: 5432), failureThreshold: 1)
        return spec
    }

    func liveness(_ h: Harness, _ name: String) -> UInt64? {
        h.effects.reversed().lazy.compactMap { e -> UInt64? in
            if case .startProbe(name, .liveness, let g, _) = e { return g } else { return nil } }.first
    }

    @Test func serviceHealthyWaitsForTheLivenessVerdict() throws {
        var h = Harness([unit("api", dependsOn: [DependencySpec("db", condition: .healthy)]), probed("db")])
        h.boot()
        #expect(h.spawns == ["db"])
        #expect(h.core.status(of: "api", now: h.now)?.reason == "waiting for db (service_healthy: liveness unknown)")
        #expect(h.core.status(of: "api", now: h.now)?.dependsOn == ["db (service_healthy)"])
        let g = try #require(liveness(h, "db"))
        h.send(.probeResult(unit: "db", role: .liveness, generation: g, result: ProbeResult(healthy: true, latency: .zero)))
        #expect(h.spawns == ["db", "api"])
    }

    @Test func serviceHealthyOfAUnitWithoutProbesIsRunning() {
        var h = Harness([unit("api", dependsOn: [DependencySpec("cache", condition: .healthy)]), unit("cache")])
        h.boot()
        #expect(h.spawns == ["cache", "api"])
    }

    @Test func serviceHealthyOfAContainerReadsDockersHealthcheck() {
        var template = unit("db")
        template.kind = .container
        let selector = ContainerSelector(key: "db", match: .compose(project: nil, service: "db"), template: template)
        var config = SupervisorConfig(units: [unit("api", dependsOn: [DependencySpec("db-1", condition: .healthy)])])
        config.containers = [selector]
        var h = Harness([])
        h.core = Supervisor(config: config, seed: 1)
        h.boot()
        let snapshot = ContainerSnapshot(id: "c1", name: "p-db-1", image: "postgres", labels: [
            "com.docker.compose.service": "db", "com.docker.compose.container-number": "1"], running: true, pid: 50,
            health: .starting)
        h.send(.dockerConnection(connected: true, detail: "test"))
        h.send(.containerResync([snapshot]))
        #expect(h.spawns.isEmpty)
        #expect(h.core.status(of: "api", now: h.now)?.reason == "waiting for db-1 (service_healthy: HEALTHCHECK unknown)")
        h.send(.container(id: "c1", .health(.healthy, detail: nil)))
        #expect(h.spawns == ["api"])
    }

    @Test func serviceCompletedSuccessfullyWaitsForExitZeroOfAOneShot() {
        var migrate = unit("migrate", policy: .onFailure)
        migrate.command = ["/usr/bin/migrate"]
        var h = Harness([unit("api", dependsOn: [DependencySpec("migrate", condition: .completedSuccessfully)]), migrate])
        h.boot()
        #expect(h.spawns == ["migrate"])
        #expect(h.core.status(of: "api", now: h.now)?.reason == "waiting for migrate (service_completed_successfully: running)")
        // A failed run is restarted by its policy; the dependent still waits.
        h.exit("migrate", .exited(code: 1))
        h.advance(.seconds(1))
        #expect(h.spawns == ["migrate", "migrate"])
        #expect(h.core.status(of: "api", now: h.now)?.reason?.hasPrefix("waiting for migrate") == true)
        h.exit("migrate", .exited(code: 0))
        #expect(h.phase("migrate") == .exited)
        #expect(h.spawns == ["migrate", "migrate", "api"])
    }

    @Test func serviceStartedIsTheDefault() {
        let dependency: DependencySpec = "db"
        #expect(dependency.condition == .started)
        var h = Harness([unit("api", dependsOn: ["db"]), unit("db")])
        h.autoSpawn = false
        h.boot()
        #expect(h.core.status(of: "api", now: h.now)?.reason == "waiting for db (starting)")
    }
}
