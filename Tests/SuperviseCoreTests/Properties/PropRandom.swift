/// The property tests' own generator (SplitMix64): histories, and the world's choices within a
/// step, come from it, so a seed (or a step's salt) replays exactly.
struct PropRNG: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed ^ 0x6A09_E667_F3BC_C908 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<1`.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

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
