import Foundation
import Testing

/// A real daemon's log when a unit floods its output or writes a huge line: the `output` limits hold.
@Suite(.serialized) struct OutputLimitIntegrationTests {
    /// The daemon's log lines that are `unit`'s output (`unit[PID]: ...`) or its suppression warnings
    /// (`unit: suppressed N lines ...`), in order.
    static func unitLines(_ output: String, _ unit: String) -> [Substring] {
        output.split(separator: "\n").filter { $0.contains(" \(unit)[") || $0.contains(" \(unit): suppressed ") }
    }

    /// The count in a suppression warning of `unit`, nil for any other line.
    static func suppressed(_ line: Substring, _ unit: String, burst: Int, interval: String) -> Int? {
        let suffix = " lines of output (rate limit \(burst) lines per \(interval))"
        guard let start = line.range(of: " \(unit): suppressed "), line.hasSuffix(suffix) else { return nil }
        return Int(line[start.upperBound..<line.index(line.endIndex, offsetBy: -suffix.count)])
    }

    @Test("a unit writing flat out gets at most burst lines per window, then one warning with the count")
    func flood() throws {
        let daemon = try DaemonHarness(config: """
            units:
              flood:
                command: [yes, flood-line]
                output: {rate_limit_burst: 100, rate_limit_interval: 2s}
              ticker:
                command: [sh, -c, "while :; do echo tick; sleep 0.2; done"]
            """)
        defer { daemon.stop() }
        // Two windows over and a third begun.
        let warned = eventually(timeout: 30) {
            Self.unitLines(daemon.output, "flood").filter { $0.contains(": suppressed ") }.count >= 2
        }
        #expect(warned, "no suppression warnings; output:\n\(daemon.output.suffix(2000))")
        #expect(try daemon.command("stop", "flood").status == 200)
        // Stopping ends the process: what the current window dropped is reported then.
        #expect(eventually(timeout: 15) { (try? daemon.unit("flood"))?.state == "inactive" })

        let lines = Self.unitLines(daemon.output, "flood")
        var segment = 0, segments: [Int] = [], dropped: [Int] = []
        for line in lines {
            if let count = Self.suppressed(line, "flood", burst: 100, interval: "2s") {
                segments.append(segment)
                dropped.append(count)
                segment = 0
            } else {
                #expect(line.hasSuffix("]: flood-line"), "not the unit's line: \(line)")
                segment += 1
            }
        }
        #expect(segments.count >= 2, "\(segments)")
        #expect((segments + [segment]).allSatisfy { $0 <= 100 }, "lines between warnings: \(segments), then \(segment)")
        // The windows before the stop were full; each warning names what was dropped.
        #expect(segments.prefix(2) == [100, 100], "\(segments)")
        #expect(dropped.allSatisfy { $0 > 0 }, "\(dropped)")
        // The flood does not starve the other units' output, read on the same thread.
        let ticks = Self.unitLines(daemon.output, "ticker").count
        #expect(ticks >= 10, "ticker logged \(ticks) lines during the flood")
        // The log stays small however much the unit wrote.
        #expect(daemon.output.utf8.count < 200_000)
    }

    @Test("a unit that goes quiet after a burst still gets its warning, with the exact count")
    func quietAfterBurst() throws {
        let daemon = try DaemonHarness(config: """
            units:
              quiet:
                command: [sh, -c, "yes quiet-line | head -n 5000; exec sleep 1000"]
                output: {rate_limit_burst: 100, rate_limit_interval: 2s}
            """)
        defer { daemon.stop() }
        let warning = "quiet: suppressed 4900 lines of output (rate limit 100 lines per 2s)"
        #expect(eventually(timeout: 15) { daemon.output.contains(warning) }, "output:\n\(daemon.output.suffix(2000))")
        let lines = Self.unitLines(daemon.output, "quiet")
        #expect(lines.count == 101)
        #expect(lines.prefix(100).allSatisfy { $0.hasSuffix("]: quiet-line") })
        #expect(lines.last?.hasSuffix(warning) == true)
    }

    @Test("a 1 MiB line is cut at max_line and marked; nothing more of it is logged")
    func longLine() throws {
        let daemon = try DaemonHarness(config: """
            units:
              long:
                command: [sh, -c, "head -c 1048576 /dev/zero | tr '\\\\0' x; echo; echo after; exec sleep 1000"]
                output: {max_line: 1024}
            """)
        defer { daemon.stop() }
        #expect(eventually(timeout: 15) { daemon.output.contains("]: after\n") }, "output:\n\(daemon.output.suffix(2000))")
        let lines = Self.unitLines(daemon.output, "long")
        #expect(lines.count == 2, "\(lines.map { $0.prefix(120) })")
        #expect(lines.first?.hasSuffix("]: " + String(repeating: "x", count: 1024)
                                       + " [… line cut: 1048576 bytes, first 1024 shown]") == true)
        #expect(lines.last?.hasSuffix("]: after") == true)
        #expect(daemon.output.components(separatedBy: "xxxxxxxx").count - 1 == 1024 / 8)
        #expect(daemon.output.utf8.count < 20_000)
    }
}
