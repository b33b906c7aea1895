import SuperviseCore
import Testing

/// A unit's output through the loop's rate limit, on the manual clock: which lines reach the log, and
/// when the count of the dropped ones does. No process and no timed sleep: the fake launcher hands
/// lines over as the output pump would.
@Suite(.timeLimit(.minutes(1))) struct OutputLimitTests {
    static let yaml = """
        units:
          w:
            command: [w]
            output: {rate_limit_burst: 3, rate_limit_interval: 10s}
        """

    /// The running pid of `w`.
    func runningPid(_ loop: LoopHarness, notPid old: Int32? = nil) async throws -> Int32 {
        var pid: Int32?
        _ = try await eventually {
            pid = try await loop.unit("w").flatMap { $0.state == "running" && $0.pid != old ? $0.pid : nil }
            return pid != nil
        }
        return try #require(pid)
    }

    func outputLines(_ loop: LoopHarness) -> [String] {
        loop.logs.all.filter { $0.hasPrefix("info w: line") || $0.hasPrefix("warning w: suppressed") }
    }

    @Test("over the burst, lines are dropped; one warning says how many once the window is over")
    func dropsAndReportsAtWindowEnd() async throws {
        let loop = try LoopHarness(Self.yaml)
        let pid = try await runningPid(loop)
        loop.launcher.write(pid, (0..<10).map { "line \($0)" })
        #expect(outputLines(loop) == ["info w: line 0", "info w: line 1", "info w: line 2"])

        // The unit goes quiet: the warning comes at the window's end all the same.
        loop.clock.advance(by: .seconds(9))
        #expect(outputLines(loop).count == 3)
        loop.clock.advance(by: .seconds(1))
        let warning = "warning w: suppressed 7 lines of output (rate limit 3 lines per 10s)"
        #expect(await eventually { outputLines(loop).last == warning })

        // A new window: the burst again.
        loop.launcher.write(pid, ["line 10", "line 11", "line 12", "line 13"])
        #expect(outputLines(loop).suffix(4) == [warning, "info w: line 10", "info w: line 11", "info w: line 12"])
        try await loop.shutDown()
    }

    @Test("a line after the window's end reports the count before it")
    func nextLineReportsFirst() async throws {
        let loop = try LoopHarness(Self.yaml)
        let pid = try await runningPid(loop)
        loop.launcher.write(pid, (0..<5).map { "line \($0)" }, stream: .stderr)
        // Both streams count together.
        loop.launcher.write(pid, ["line 5"], stream: .stdout)
        loop.clock.advance(by: .seconds(10))
        loop.launcher.write(pid, ["line 6"])
        #expect(await eventually { outputLines(loop).count == 5 })
        #expect(outputLines(loop) == [
            "info w: line 0", "info w: line 1", "info w: line 2",
            "warning w: suppressed 3 lines of output (rate limit 3 lines per 10s)", "info w: line 6",
        ])
        try await loop.shutDown()
    }

    @Test("the count is the unit's across restarts; the process's end reports what it had dropped")
    func acrossRestarts() async throws {
        let loop = try LoopHarness(Self.yaml)
        let first = try await runningPid(loop)
        loop.launcher.write(first, (0..<5).map { "line \($0)" })
        loop.launcher.end(first, .exited(code: 1))
        #expect(outputLines(loop).last == "warning w: suppressed 2 lines of output (rate limit 3 lines per 10s)")

        // Restarted at once (the first restart has no backoff), in the same window: still over the burst.
        let second = try await runningPid(loop, notPid: first)
        loop.launcher.write(second, ["line 5", "line 6"])
        #expect(outputLines(loop).count == 4)
        loop.clock.advance(by: .seconds(10))
        #expect(await eventually { outputLines(loop).count == 5 })
        #expect(outputLines(loop).last == "warning w: suppressed 2 lines of output (rate limit 3 lines per 10s)")
        try await loop.shutDown()
    }

    @Test("rate_limit_burst 0 logs every line")
    func unlimited() async throws {
        let loop = try LoopHarness("""
            units:
              w: {command: [w], output: {rate_limit_burst: 0}}
            """)
        let pid = try await runningPid(loop)
        loop.launcher.write(pid, (0..<20_000).map { "line \($0)" })
        #expect(outputLines(loop).count == 20_000)
        try await loop.shutDown()
    }
}
