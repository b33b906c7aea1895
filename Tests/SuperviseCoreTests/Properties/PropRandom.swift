@testable import SuperviseCore

/// The property tests' own generator (SplitMix64): histories, and the world's choices within a
/// step, come from it, so a seed (or a step's salt) replays exactly.
struct PropRNG: RandomNumberGenerator, Sendable {
    /// The core's own SplitMix64, on a seed of its own so histories do not echo the core's jitter.
    private var source: SplitMix64

    init(seed: UInt64) { source = SplitMix64(seed: seed ^ 0x6A09_E667_F3BC_C908) }

    mutating func next() -> UInt64 { source.next() }

    /// A value in `0..<1`.
    mutating func unit() -> Double { source.unit() }

    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A value in `range` (which must not be empty). Not generic: a debug build does not specialise.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// An index into `weights`, each drawn with its weight.
    mutating func index(_ weights: [Int]) -> Int {
        var roll = int(0...(weights.reduce(0, +) - 1))
        for (i, weight) in weights.enumerated() {
            if roll < weight { return i }
            roll -= weight
        }
        return weights.count - 1
    }
}
