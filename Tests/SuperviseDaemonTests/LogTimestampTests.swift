import Foundation
import Testing
@testable import SuperviseDaemon

@Suite struct LogTimestampTests {
    @Test("log lines carry RFC 3339 UTC times with zero-padded fields and milliseconds")
    func formatted() {
        #expect(LineLogHandler.timestamp(seconds: 0, milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        // 2026-11-29T18:42:28Z
        #expect(LineLogHandler.timestamp(seconds: 1_795_977_748, milliseconds: 42) == "2026-11-29T18:42:28.042Z")
        #expect(LineLogHandler.timestamp(seconds: 1_795_977_748, milliseconds: 999) == "2026-11-29T18:42:28.999Z")
        // The last second of a leap year.
        #expect(LineLogHandler.timestamp(seconds: 1_735_689_599, milliseconds: 7) == "2024-12-31T23:59:59.007Z")
    }

    @Test("the current time has the same shape")
    func now() {
        let text = LineLogHandler.timestamp()
        #expect(text.utf8.count == 24)
        #expect(text.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
    }
}
