/// NumPy's `SeedSequence` for an integer seed (no spawn key, pool of 4 words): what Gymnasium's
/// `reset(seed=s)` turns `s` into before it seeds PCG64 (`np.random.default_rng(s)`).
///
/// The algorithm follows NumPy's published description (Melissa O'Neill's seed_seq hash, mixed
/// into a pool of four 32-bit words); `Tests/SeededRandomTests/NumPyGeneratorTests.swift`
/// checks it against NumPy itself.
///
///     let words = SeedSequence(seed: 42).generateState64(count: 4)   // as generate_state(4, np.uint64)
public struct SeedSequence: Sendable, Equatable {
    static let initA: UInt32 = 0x43b0_d7e5
    static let multA: UInt32 = 0x931e_8875
    static let initB: UInt32 = 0x8b51_f9dd
    static let multB: UInt32 = 0x58f3_8ded
    static let mixMultL: UInt32 = 0xca01_f9dd
    static let mixMultR: UInt32 = 0x4973_f715
    static let poolSize = 4

    /// The mixed entropy pool.
    public private(set) var pool: [UInt32]

    /// The sequence NumPy builds for the non-negative integer `seed`.
    public init(seed: UInt64) {
        // The integer as little-endian 32-bit words (0 is one zero word).
        var entropy: [UInt32] = [UInt32(truncatingIfNeeded: seed)]
        if seed >> 32 != 0 { entropy.append(UInt32(truncatingIfNeeded: seed >> 32)) }
        var hashConstant = Self.initA
        func hashmix(_ value: UInt32) -> UInt32 {
            var value = value ^ hashConstant
            hashConstant = hashConstant &* Self.multA
            value = value &* hashConstant
            return value ^ (value >> 16)
        }
        func mix(_ x: UInt32, _ y: UInt32) -> UInt32 {
            let result = Self.mixMultL &* x &- Self.mixMultR &* y
            return result ^ (result >> 16)
        }
        var pool = (0..<Self.poolSize).map { i in hashmix(i < entropy.count ? entropy[i] : 0) }
        for source in 0..<Self.poolSize {
            for destination in 0..<Self.poolSize where source != destination {
                pool[destination] = mix(pool[destination], hashmix(pool[source]))
            }
        }
        // Entropy beyond the pool's four words (never for a 64-bit seed) would be mixed in here.
        self.pool = pool
    }

    /// `generate_state(count, np.uint32)`.
    public func generateState32(count: Int) -> [UInt32] {
        var hashConstant = Self.initB
        return (0..<count).map { i in
            var value = pool[i % Self.poolSize] ^ hashConstant
            hashConstant = hashConstant &* Self.multB
            value = value &* hashConstant
            return value ^ (value >> 16)
        }
    }

    /// `generate_state(count, np.uint64)`: pairs of 32-bit words, the first the low half.
    public func generateState64(count: Int) -> [UInt64] {
        let words = generateState32(count: 2 * count)
        return (0..<count).map { UInt64(words[2 * $0]) | UInt64(words[2 * $0 + 1]) << 32 }
    }
}
