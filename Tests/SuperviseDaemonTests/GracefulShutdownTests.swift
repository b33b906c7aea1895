import Foundation
import SuperviseCore
import SuperviseDaemon
import Testing
import UnixSignals

/// The service group's graceful shutdown, as SIGTERM and SIGINT bring it about: the units stop in
/// reverse dependency order and the service, then the group, returns.
@Suite(.timeLimit(.minutes(1))) struct GracefulShutdownTests {
    static let chain = """
        units:
          db: {command: [db]}
          api: {command: [api], depends_on: [db]}
          worker: {command: [worker], depends_on: [api]}
        """

    @Test func gracefulShutdownStopsUnitsInReverseDependencyOrderAndTheGroupEnds() async throws {
        let loop = try LoopHarness(Self.chain)
        #expect(try await eventually { try await loop.units().map(\.state) == ["running", "running", "running"] })
        #expect(loop.launcher.spawns == ["db", "api", "worker"])

        try await loop.shutDown()
        #expect(loop.launcher.stopSignals.map(\.unit) == ["worker", "api", "db"])
        #expect(loop.launcher.stopSignals.allSatisfy { $0.signal == SIGTERM })
        #expect(loop.launcher.live.isEmpty)
        #expect(loop.notifier.notifications.contains("STOPPING=1"))
        #expect(loop.logs.contains("graceful shutdown requested: stopping all units"), "\(loop.logs.all)")
        #expect(loop.store.flushes == 1, "the final state is written before the service returns")
        #expect(await loop.control("GET", "/v1/units").status == 503, "a request after the end is refused, not left waiting")
    }

    @Test func aSIGTERMTakenByTheSignalWatcherShutsTheGroupDownAndASecondIsOnlyLogged() async throws {
        let (signals, raise) = AsyncStream.makeStream(of: UnixSignal.self)
        let loop = try LoopHarness(Self.chain, signals: signals)
        #expect(try await eventually { try await loop.units().map(\.state) == ["running", "running", "running"] })

        raise.yield(.sigterm)
        raise.yield(.sigint)
        try await loop.running.value
        #expect(loop.launcher.stopSignals.map(\.unit) == ["worker", "api", "db"])
        #expect(loop.logs.contains("SIGTERM received: stopping all units"), "\(loop.logs.all)")
        #expect(loop.logs.contains("SIGINT again: already stopping all units"), "\(loop.logs.all)")
    }

    /// As a SIGTERM that arrives while the daemon still loads its configuration: taken before the
    /// group runs, it is remembered, and whatever was started is stopped again.
    @Test func aSIGTERMBeforeTheGroupRunsStillEndsItCleanly() async throws {
        let (signals, raise) = AsyncStream.makeStream(of: UnixSignal.self)
        raise.yield(.sigterm)
        let loop = try LoopHarness(Self.chain, signals: signals)
        try await loop.running.value
        #expect(loop.launcher.live.isEmpty, "still running: \(loop.launcher.live)")
        #expect(loop.logs.contains("SIGTERM received: stopping all units"), "\(loop.logs.all)")
        #expect(loop.store.flushes == 1)
    }
}
