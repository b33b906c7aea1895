import Testing
@testable import SuperviseCore

@Suite struct DependencyAndReloadTests {
    @Test func startsInDependencyOrder() {
        var h = Harness([unit("worker", dependsOn: ["api"]), unit("api", dependsOn: ["db"]), unit("db")])
        h.autoSpawn = false
        h.boot()
        #expect(h.spawns == ["db"])
        #expect(h.core.unit("worker")?.reason == "waiting for api (waiting)")
        h.send(.spawned(unit: "db", pid: 1))
        #expect(h.spawns == ["db", "api"])
        h.send(.spawned(unit: "api", pid: 2))
        #expect(h.spawns == ["db", "api", "worker"])
    }

    @Test func shutdownStopsInReverseDependencyOrderAndCompletes() {
        var h = Harness([unit("worker", dependsOn: ["api"]), unit("api", dependsOn: ["db"]), unit("db")])
        h.boot()
        h.send(.shutdown)
        #expect(h.signals.map(\.unit) == ["worker"])
        h.exit("worker", .signaled(signal: 15, coreDumped: false))
        #expect(h.signals.map(\.unit) == ["worker", "api"])
        h.exit("api", .exited(code: 0))
        #expect(h.signals.map(\.unit) == ["worker", "api", "db"])
        #expect(!h.effects.contains(.shutdownComplete))
        h.exit("db", .exited(code: 0))
        #expect(h.effects.contains(.shutdownComplete))
        #expect(h.spawns.count == 3) // nothing restarted during shutdown
    }

    @Test func diffClassifiesUnits() {
        let old = SupervisorConfig(units: [unit("a"), unit("b"), unit("c")])
        var changedB = unit("b")
        changedB.command = ["/bin/sleep", "5"]
        let new = SupervisorConfig(units: [unit("a"), changedB, unit("d")])
        let diff = ConfigDiff(old: old, new: new)
        #expect(diff.added == ["d"])
        #expect(diff.removed == ["c"])
        #expect(diff.changed == ["b"])
        #expect(diff.unchanged == ["a"])
    }

    @Test func reloadAppliesExactlyTheDiff() {
        var h = Harness([unit("a"), unit("b"), unit("c")])
        h.boot()
        let pidA = h.pid("a")!, pidB = h.pid("b")!, pidC = h.pid("c")!
        var changedB = unit("b")
        changedB.command = ["/bin/sleep", "5"]
        h.send(.reload(SupervisorConfig(units: [unit("a"), changedB, unit("d")])))
        #expect(h.pid("a") == pidA)                 // untouched
        #expect(h.phase("b") == .stopping)          // changed: restarting
        #expect(h.phase("c") == .stopping)          // removed: stopping
        #expect(h.phase("d") == .running)           // added: started
        h.send(.exited(unit: "b", pid: pidB, status: .signaled(signal: 15, coreDumped: false)))
        h.send(.exited(unit: "c", pid: pidC, status: .signaled(signal: 15, coreDumped: false)))
        #expect(h.phase("b") == .running)
        #expect(h.core.unit("b")?.spec.command == ["/bin/sleep", "5"])
        #expect(h.core.unit("c") == nil)
        #expect(h.core.unitNames == ["a", "b", "d"])
        #expect(h.signals.map(\.unit).sorted() == ["b", "c"])
    }

    @Test func summaryCountsStates() {
        var h = Harness([unit("a"), unit("b", burst: 1), unit("c", jitter: 0)])
        h.boot()
        h.exit("b", .exited(code: 1))
        h.exit("c", .exited(code: 1))
        h.exit("c", .exited(code: 1))
        #expect(h.core.summary.description == "1 running, 1 backing off, 1 failed")
    }
}
