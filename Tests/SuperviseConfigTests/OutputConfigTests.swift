import SuperviseConfig
import SuperviseCore
import Testing

let outputKeys = "rate_limit_interval, rate_limit_burst and max_line"
let burstExpected = "a whole number of lines, 0 or more, such as 10000 (0: no rate limit)"
let maxLineExpected = "a number of bytes from 256 to 1048576, such as 16384"

@Suite("output: rate limit and longest line")
struct OutputConfigTests {
    @Test("without output, a unit has journald's defaults: 10000 lines per 30s, lines of 16 KiB")
    func defaults() throws {
        let config = try ConfigLoader.parse(yaml: unitA(""), file: testFile)
        #expect(config.units[0].output == OutputLimits(rateLimitInterval: .seconds(30), rateLimitBurst: 10_000,
                                                       maxLine: 16_384))
        #expect(config.units[0].output == .default)
    }

    @Test("defaults.output is merged into each unit's field by field")
    func merged() throws {
        let config = try ConfigLoader.parse(yaml: """
            defaults:
              output: {rate_limit_interval: 10s, rate_limit_burst: 500}
            units:
              a:
                command: [x]
              b:
                command: [x]
                output: {rate_limit_burst: 0, max_line: 1024}
              c:
                command: [x]
                output:
                  rate_limit_interval: 1m
                  rate_limit_burst: 100000
                  max_line: 1048576
            """, file: testFile)
        #expect(config.units.map(\.output) == [
            OutputLimits(rateLimitInterval: .seconds(10), rateLimitBurst: 500, maxLine: 16_384),
            OutputLimits(rateLimitInterval: .seconds(10), rateLimitBurst: 0, maxLine: 1024),
            OutputLimits(rateLimitInterval: .seconds(60), rateLimitBurst: 100_000, maxLine: 1_048_576),
        ])
        #expect(!config.units[1].output.rateLimited)
    }

    @Test("container entries take no output key, and do not inherit defaults.output")
    func containers() throws {
        #expect(errors("containers:\n  w:\n    compose: w\n    output: {rate_limit_burst: 10}\n") == [
            error(4, 5, "containers.w.output", found: "unknown key \"output\"",
                  expected: "a key of a container entry (output applies to process units only: a container's "
                      + "output is not captured by supervise; Docker's logging driver has it)"),
        ])
        let config = try ConfigLoader.parse(
            yaml: "defaults:\n  output: {rate_limit_burst: 10}\ncontainers:\n  w: {compose: w}\n", file: testFile)
        #expect(config.containers.map(\.template.output) == [.default])
    }

    @Test("bad values name the file, line, column and key path, and say what was expected")
    func badValues() {
        let found = errors("""
            defaults:
              output: {rate_limit_burst: -1}
            units:
              a:
                command: [x]
                output:
                  rate_limit_interval: 0s
                  rate_limit_burst: lots
                  max_line: 16KiB
              b:
                command: [x]
                output: {rate_limit_interval: 30, max_line: 100}
              c:
                command: [x]
                output: {max_line: 2000000}
              d:
                command: [x]
                output: 100
            """)
        #expect(found == [
            error(2, 30, "defaults.output.rate_limit_burst", found: "-1", expected: burstExpected),
            error(7, 28, "units.a.output.rate_limit_interval", found: "\"0s\"", expected: positiveDurationExpected),
            error(8, 25, "units.a.output.rate_limit_burst", found: "\"lots\"", expected: burstExpected),
            error(9, 17, "units.a.output.max_line", found: "\"16KiB\"", expected: maxLineExpected),
            error(12, 35, "units.b.output.rate_limit_interval", found: "30", expected: durationExpected),
            error(12, 49, "units.b.output.max_line", found: "100", expected: maxLineExpected),
            error(15, 24, "units.c.output.max_line", found: "2000000", expected: maxLineExpected),
            error(18, 13, "units.d.output", found: "100", expected: "a mapping with the keys \(outputKeys)"),
        ])
        #expect(found.first?.description == "supervise.yaml:2:30: defaults.output.rate_limit_burst: found -1, "
            + "expected \(burstExpected)")
    }

    @Test("unknown and misplaced keys say where they go")
    func keys() {
        let found = errors("""
            output: {max_line: 1024}
            defaults:
              rate_limit_burst: 10
            units:
              a:
                command: [x]
                max_line: 1024
                output: {burst: 10, interval: 1s, max_lines: 1024}
            """)
        #expect(found == [
            error(1, 1, "output", found: "unknown key \"output\"",
                  expected: "a top-level key (output goes under units.NAME or defaults)"),
            error(3, 3, "defaults.rate_limit_burst", found: "unknown key \"rate_limit_burst\"",
                  expected: "a key allowed in defaults (rate_limit_burst goes under output: "
                      + "output: {rate_limit_burst: ...})"),
            error(7, 5, "units.a.max_line", found: "unknown key \"max_line\"",
                  expected: "a key of a unit (max_line goes under output: output: {max_line: ...})"),
            error(8, 14, "units.a.output.burst", found: "unknown key \"burst\"",
                  expected: "a key of output (the lines allowed per window are rate_limit_burst)"),
            error(8, 25, "units.a.output.interval", found: "unknown key \"interval\"",
                  expected: "a key of output (the rate limit's window is rate_limit_interval)"),
            error(8, 39, "units.a.output.max_lines", found: "unknown key \"max_lines\"",
                  expected: "a known key (did you mean \"max_line\"?)"),
        ])
    }
}
