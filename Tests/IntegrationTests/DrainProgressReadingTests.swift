import SuperviseProbes
import Testing

/// The live-call count in a drain-progress answer (`GET /worker`).
@Suite struct DrainProgressReadingTests {
    func read(_ body: String, field: String = "active_jobs") -> Int? {
        try? DrainProgressReading.activeCalls(in: body, field: field).get()
    }

    func failure(_ body: String, field: String = "active_jobs") -> String? {
        guard case .failure(let f) = DrainProgressReading.activeCalls(in: body, field: field) else { return nil }
        return f.description
    }

    @Test func theFieldIsTheCount() {
        #expect(read(#"{"active_jobs": 3, "draining": true}"#) == 3)
        #expect(read(#"{"active_jobs": 0}"#) == 0)
        #expect(read(#"{"calls": 7, "active_jobs": 1}"#, field: "calls") == 7)
    }

    /// LiveKit's `/worker` is protobuf JSON, which leaves zero values out.
    @Test func aJSONObjectWithoutTheFieldMeansNoLiveCalls() {
        #expect(read(#"{"agent_name": "voice", "worker_type": "JT_ROOM"}"#) == 0)
        #expect(read("{}") == 0)
        #expect(read(#"{"active_jobs": null}"#) == 0)
        #expect(read(#"{"active_jobs": 2}"#, field: "calls") == 0)
    }

    /// Protobuf JSON writes 64-bit integers as strings.
    @Test func aCountWrittenAsAStringIsRead() {
        #expect(read(#"{"active_jobs": "4"}"#) == 4)
    }

    @Test func aBodyThatIsNoJSONObjectLeavesTheCountUnknown() {
        #expect(failure("OK") == "not a JSON object: OK")
        #expect(failure("") == "not a JSON object: an empty body")
        #expect(failure("[1, 2]") == "not a JSON object: [1, 2]")
        #expect(failure("3") == "not a JSON object: 3")
        #expect(failure(#"{"active_jobs": 3"#) != nil)
        #expect(failure("<html>busy</html>")?.hasPrefix("not a JSON object: <html>") == true)
    }

    @Test func aFieldThatIsNoCountLeavesTheCountUnknown() {
        #expect(failure(#"{"active_jobs": "many"}"#) == #""active_jobs" is "many", expected a number of live calls, in {"active_jobs": "many"}"#)
        #expect(failure(#"{"active_jobs": -1}"#)?.hasPrefix(#""active_jobs" is -1"#) == true)
        #expect(failure(#"{"active_jobs": 1.5}"#)?.hasPrefix(#""active_jobs" is 1.5"#) == true)
        #expect(failure(#"{"active_jobs": true}"#)?.hasPrefix(#""active_jobs" is true"#) == true)
        #expect(failure(#"{"active_jobs": [1]}"#)?.hasPrefix(#""active_jobs" is an array or object"#) == true)
    }

    @Test func aLongBodyIsQuotedShort() throws {
        let body = "x" + String(repeating: "y", count: 500)
        let text = try #require(failure(body))
        #expect(text.count < 160)
    }
}
