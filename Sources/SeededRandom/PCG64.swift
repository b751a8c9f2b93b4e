/// NumPy's default bit generator, PCG64 (O'Neill's 128-bit LCG with the XSL-RR output), seeded
/// as NumPy seeds it from a `SeedSequence`. Serialisable as four 64-bit words.
public struct PCG64: Sendable, Equatable {
    static let multiplier: UInt128 = 0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645
    public private(set) var state: UInt128
    public private(set) var increment: UInt128

    /// `np.random.PCG64(SeedSequence(seed))`: the sequence's first two 64-bit words are the
    /// initial state (high word first), the next two the stream (increment) selector.
    public init(seed: UInt64) {
        let words = SeedSequence(seed: seed).generateState64(count: 4)
        let initialState = UInt128(words[0]) << 64 | UInt128(words[1])
        let sequence = UInt128(words[2]) << 64 | UInt128(words[3])
        state = 0
        increment = sequence << 1 | 1
        advance()
        state &+= initialState
        advance()
    }

    /// A generator continuing from `stateWords` (as `stateWords` returned them); nil when the
    /// increment is even, which no PCG64 has.
    public init?(stateWords: [UInt64]) {
        guard stateWords.count == 4, stateWords[3] & 1 == 1 else { return nil }
        state = UInt128(stateWords[0]) << 64 | UInt128(stateWords[1])
        increment = UInt128(stateWords[2]) << 64 | UInt128(stateWords[3])
    }

    /// State (high, low) then increment (high, low).
    public var stateWords: [UInt64] {
        [UInt64(truncatingIfNeeded: state >> 64), UInt64(truncatingIfNeeded: state),
         UInt64(truncatingIfNeeded: increment >> 64), UInt64(truncatingIfNeeded: increment)]
    }

    mutating func advance() { state = state &* Self.multiplier &+ increment }

    /// The next 64 random bits (`next_uint64`): advance, then XSL-RR of the new state.
    public mutating func next() -> UInt64 {
        advance()
        let folded = UInt64(truncatingIfNeeded: state >> 64) ^ UInt64(truncatingIfNeeded: state)
        let rotation = UInt64(truncatingIfNeeded: state >> 122)
        return folded.rotatedRight(by: rotation)
    }

    /// A double in [0, 1) from the top 53 bits (`next_double`).
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}

extension UInt64 {
    func rotatedRight(by count: UInt64) -> UInt64 {
        let k = count & 63
        return k == 0 ? self : (self >> k) | (self << (64 - k))
    }
}
