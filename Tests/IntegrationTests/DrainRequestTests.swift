import Dispatch
import Foundation
import SuperviseProbes
import Testing

/// The HTTP drain request (`drain: {http: URL}`) against a real agent-sim on loopback: what it
/// reports for an accepted drain, a wrong path and nothing listening.
@Suite(.serialized) struct DrainRequestTests {
    /// `DrainRequest.post`, waited for.
    func post(_ url: String) -> String? {
        let done = DispatchSemaphore(value: 0)
        let answer = Answer()
        DrainRequest.post(url, networkNamespacePid: nil, timeoutMs: 3000) { failure in
            answer.set(failure)
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        return answer.value
    }

    @Test func reportsAcceptedWrongPathAndUnreachable() throws {
        let port = freeLoopbackPort()
        let sim = try TestProcess(Binaries.agentSim, ["--port", "\(port)", "--name", "drain-request", "--drain-linger", "2"])
        defer { sim.stop() }
        #expect(eventually(timeout: 10) { httpRequest("GET", port: port, path: "/")?.status == 200 })

        #expect(post("http://127.0.0.1:\(port)/nope") == "POST http://127.0.0.1:\(port)/nope: HTTP 404")
        #expect(WorkerSnapshot.fetch(port: port)?.draining == false)
        #expect(post("http://127.0.0.1:\(port)/drain") == nil)
        #expect(WorkerSnapshot.fetch(port: port)?.draining == true, "lingers 2 s after its (empty) drain")

        let closed = freeLoopbackPort()
        let failure = try #require(post("http://127.0.0.1:\(closed)/drain"))
        #expect(failure.hasPrefix("POST http://127.0.0.1:\(closed)/drain: "), "\(failure)")
        #expect(failure.lowercased().contains("connect"), "\(failure)")
    }
}

/// The request's answer, handed from its thread to the test's.
private final class Answer: @unchecked Sendable {
    // @unchecked: written once before the semaphore is signalled, read after the wait.
    private(set) var value: String?
    func set(_ value: String?) { self.value = value }
}
