import Foundation
import Testing
import SuperviseCore

/// Property-based tests of the supervision core: thousands of random histories (operator
/// commands, process exits, probe results, drains, reloads, daemon restarts, time) against a
/// fake world, with the invariants of `PropInvariants.swift` checked after every step.
///
/// - `SUPERVISE_PROPERTY_HISTORIES=N`: how many histories (seeds 1...N; 10,000 by default).
/// - `SUPERVISE_PROPERTY_SEED=N`: replay exactly the history of seed N.
/// - `SUPERVISE_PROPERTY_SABOTAGE=name`: a deliberate break (see ``PropSabotage``), to see an invariant fail.
@Suite struct SupervisionProperties {
    /// The first history found breaking one invariant in one way, and how many did; also the
    /// first in which it is the first violation (not a consequence of another), if any.
    struct Found: Sendable {
        var violation: PropViolation
        var seed: UInt64
        var count: Int
        var firstSeed: UInt64?

        func merged(with other: Found) -> Found {
            let firsts = [firstSeed, other.firstSeed].compactMap { $0 }
            return Found(violation: seed <= other.seed ? violation : other.violation, seed: min(seed, other.seed),
                         count: count + other.count, firstSeed: firsts.min())
        }
    }

    struct ShardResult: Sendable {
        var found: [String: Found] = [:]
        var steps = 0
        var failing = 0
    }

    @Test func randomHistoriesKeepTheInvariants() async {
        let env = ProcessInfo.processInfo.environment
        let sabotage = env["SUPERVISE_PROPERTY_SABOTAGE"].flatMap(PropSabotage.init(rawValue:)) ?? .none
        let seeds: [UInt64]
        if let seed = env["SUPERVISE_PROPERTY_SEED"].flatMap({ UInt64($0) }) {
            seeds = [seed]
        } else {
            let n = env["SUPERVISE_PROPERTY_HISTORIES"].flatMap { Int($0) } ?? 10_000
            seeds = n > 0 ? Array(1...UInt64(n)) : []
        }
        let started = ContinuousClock.now
        let shards = max(1, min(ProcessInfo.processInfo.activeProcessorCount, seeds.count))
        let results = await withTaskGroup(of: ShardResult.self) { group in
            for shard in 0..<shards {
                let mine = stride(from: shard, to: seeds.count, by: shards).map { seeds[$0] }
                group.addTask { Self.run(mine, sabotage: sabotage) }
            }
            var all: [ShardResult] = []
            for await r in group { all.append(r) }
            return all
        }
        var found: [String: Found] = [:]
        for r in results {
            for (key, f) in r.found { found[key] = found[key].map { $0.merged(with: f) } ?? f }
        }
        let steps = results.reduce(0) { $0 + $1.steps }
        let failing = results.reduce(0) { $0 + $1.failing }
        let ran = ContinuousClock.now - started
        print("supervise properties: \(seeds.count) histories, \(steps) steps in \(ran)"
              + (sabotage == .none ? "" : " (sabotage: \(sabotage.rawValue))")
              + "; \(failing) break an invariant, \(found.count) distinct failures")

        // `SUPERVISE_PROPERTY_SHRINK=0`: report the failures unshrunk (for timing the histories alone).
        let shrink = env["SUPERVISE_PROPERTY_SHRINK"] != "0"
        let ordered = found.values.sorted { ($0.violation.invariant, $0.seed) < ($1.violation.invariant, $1.seed) }
        let reports = await withTaskGroup(of: (Int, String).self) { group in
            for (i, f) in ordered.enumerated() {
                group.addTask { (i, Self.report(f, histories: seeds.count, sabotage: sabotage, shrink: shrink)) }
            }
            var texts: [(Int, String)] = []
            for await t in group { texts.append(t) }
            return texts.sorted { $0.0 < $1.0 }.map(\.1)
        }
        for text in reports { Issue.record(Comment(rawValue: text)) }
        print("supervise properties: done in \(ContinuousClock.now - started) (shrinking included)")
    }

    /// Each invariant can fail: a deliberate break of the world or of the check (see
    /// ``PropSabotage``) makes some history break it, and that history breaks it first.
    @Test(arguments: PropSabotage.allCases.filter { $0 != .none })
    func aSabotagedRunBreaksItsInvariant(_ sabotage: PropSabotage) {
        let result = Self.run(Array(1...50), sabotage: sabotage)
        let broken = result.found.values.filter { $0.violation.invariant == sabotage.invariant && $0.firstSeed != nil }
        #expect(!broken.isEmpty, "sabotage \(sabotage.rawValue) broke no history's invariant \(sabotage.invariant) first; found: \(result.found.keys.sorted())")
    }

    static func run(_ seeds: [UInt64], sabotage: PropSabotage) -> ShardResult {
        var result = ShardResult()
        for seed in seeds {
            let history = PropHistory.generate(seed: seed)
            let outcome = PropRunner.run(history, sabotage: sabotage)
            result.steps += history.steps.count
            if !outcome.violations.isEmpty { result.failing += 1 }
            for (i, v) in outcome.violations.enumerated() {
                let this = Found(violation: v, seed: seed, count: 1, firstSeed: i == 0 ? seed : nil)
                result.found[v.key] = result.found[v.key].map { $0.merged(with: this) } ?? this
            }
        }
        return result
    }

    /// Shrinks the history of `found` and says what breaks, with the shrunk history one step per line.
    static func report(_ found: Found, histories: Int, sabotage: PropSabotage, shrink: Bool) -> String {
        let seed = found.firstSeed ?? found.seed
        let original = PropHistory.generate(seed: seed)
        let key = found.violation.key
        var shrinker = PropShrinker(key: key, first: found.firstSeed != nil, sabotage: sabotage)
        let small = shrink ? shrinker.shrink(original) : original
        let replay = PropRunner.run(small, trace: true, sabotage: sabotage)
        let shown = replay.violations.first { $0.key == key } ?? found.violation
        let earlier = replay.violations.prefix { $0.key != key }.map { "invariant \($0.invariant): \($0.kind)" }
        var lines = [
            "Invariant \(key)",
            "  \(shown.detail)",
            "  seed \(seed) (SUPERVISE_PROPERTY_SEED=\(seed) replays it); \(found.count) of \(histories) histories break it this way"
                + (found.firstSeed == nil ? ", always after another invariant broke" : ""),
            "  shrunk from \(original.steps.count) to \(small.steps.count) steps in \(shrinker.runs) replays"
                + " (one line per step: virtual time at its end, the step → what the core and the world did):",
        ]
        lines += replay.trace.map { "    " + $0 }
        if !earlier.isEmpty { lines.append("  (this shrunk history first breaks: \(earlier.joined(separator: "; ")))") }
        return lines.joined(separator: "\n")
    }
}
