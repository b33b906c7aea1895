import Testing
@testable import SuperviseCore

@Suite struct BackoffTests {
    @Test func nominalSequenceDoublesFromInitialToCap() {
        let b = BackoffPolicy.default
        let delays = (1...12).map { b.nominalDelay(attempt: $0) }
        #expect(delays[0] == .zero)
        #expect(delays[1] == .milliseconds(100))
        #expect(delays[2] == .milliseconds(200))
        #expect(delays[3] == .milliseconds(400))
        #expect(delays[4] == .milliseconds(800))
        #expect(delays[10] == .milliseconds(51_200))
        #expect(delays[11] == .seconds(60))
    }

    @Test func jitterStaysWithinBoundsAndCap() {
        var b = BackoffPolicy.default
        b.jitter = 0.2
        var rng = SplitMix64(seed: 42)
        var seenLow = false, seenHigh = false
        for _ in 0..<10_000 {
            let d = b.delay(attempt: 3, unitRandom: rng.unit())
            #expect(d >= .milliseconds(160) && d <= .milliseconds(240))
            if d < .milliseconds(170) { seenLow = true }
            if d > .milliseconds(230) { seenHigh = true }
            let capped = b.delay(attempt: 40, unitRandom: rng.unit())
            #expect(capped <= .seconds(60) && capped >= .seconds(48))
        }
        #expect(seenLow && seenHigh)
    }

    @Test func crashLoopFollowsTheSequenceInVirtualTime() {
        var h = Harness([unit("w", jitter: 0)])
        h.boot()
        var restartDelays: [Duration] = []
        for _ in 0..<5 {
            let before = h.now
            h.exit("w", .exited(code: 1))
            // Advance in 1 ms steps until the unit runs again.
            while h.phase("w") != .running { h.advance(.milliseconds(1)) }
            restartDelays.append(h.now - before)
        }
        #expect(restartDelays == [.zero, .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(h.core.unit("w")?.restarts == 5)
    }

    @Test func streakResetsAfterStayingUp() {
        var h = Harness([unit("w", jitter: 0, resetAfter: .seconds(10))])
        h.boot()
        h.exit("w", .exited(code: 1))       // immediate
        h.exit("w", .exited(code: 1))       // 100 ms
        #expect(h.phase("w") == .backoff)
        h.advance(.milliseconds(100))
        #expect(h.phase("w") == .running)
        h.advance(.seconds(10))             // stays up for reset_after
        h.exit("w", .exited(code: 1))
        #expect(h.phase("w") == .running)   // immediate again: the streak was reset
        #expect(h.core.unit("w")?.streak == 1)
    }
}
