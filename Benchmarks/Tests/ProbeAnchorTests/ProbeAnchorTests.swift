import CProbeFloor
import Foundation
import Testing

/// The probe benchmark's anchors (bare libcurl, bare sockets) against real agent-sim servers on
/// loopback: they must do the load they report, or their CPU figures mean nothing. Figures are
/// not judged here (that is the benchmark's job on a quiet machine).
@Suite(.serialized) struct ProbeAnchorTests {
    typealias Loop = (UnsafePointer<Int32>, Int32, Int32, Int32, Int32, UnsafeMutablePointer<csupervise_floor_result>) -> Int32

    @Test(arguments: ["curl", "sockets"])
    func anchorCompletesItsLoad(_ anchor: String) throws {
        let loop: Loop = anchor == "curl" ? csupervise_floor_curl : csupervise_floor_sockets
        let ports = loopbackPortBlock(2)
        let sims = try ports.enumerated().map { try TestProcess(Binaries.agentSim, ["--port", "\($1)", "--name", "anchor-\($0)"]) }
        defer { sims.forEach { $0.stop() } }
        for port in ports { #expect(eventually(timeout: 10) { httpRequest("GET", port: port, path: "/")?.status == 200 }) }

        // 200 GETs a second over both servers, 25 ms slots (5 per slot), for 2 s after the warm-up.
        var result = csupervise_floor_result()
        let status = ports.map(Int32.init).withUnsafeBufferPointer { loop($0.baseAddress!, 2, 200, 25, 2, &result) }
        #expect(status == 0)
        #expect(result.failed == 0)
        #expect(result.elapsed_seconds >= 2 && result.elapsed_seconds < 3)
        // 400 GETs in the window, give or take the slots a busy machine delays across its edges.
        let completed = Int(result.completed)
        #expect((360...440).contains(completed), "\(completed) GETs completed in \(result.elapsed_seconds) s")
        #expect(result.user_seconds + result.system_seconds > 0)
    }
}
