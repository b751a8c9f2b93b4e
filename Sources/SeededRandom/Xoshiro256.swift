#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, seedable random stream whose whole state is four words, so it can be
/// saved in a checkpoint and restored exactly.
///
///     var rng = Xoshiro256(seed: 42)
///     let u = rng.nextUnitDouble()          // [0, 1)
///     let i = rng.nextIndex(below: 6)       // 0..<6, unbiased
///     let saved = rng.state; rng.state = saved   // resume the same stream
///
/// This is xoshiro256** (Blackman and Vigna), seeded through SplitMix64 as its authors
/// recommend. It is a value type: copying it forks the stream. Every component of the
/// project takes its generator as an argument; there is no global stream.
///
/// Not cryptographically secure. Costs a few instructions per call and never allocates.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Hashable {
    /// The four state words (save them to resume the stream with `init(state:)`).
    public var state: (UInt64, UInt64, UInt64, UInt64) { words }
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64)

    /// Seeds the stream from one 64-bit value; nearby seeds give unrelated streams.
    public init(seed: UInt64) {
        var splitMix = SplitMix64(seed: seed)
        words = (splitMix.next(), splitMix.next(), splitMix.next(), splitMix.next())
    }

    /// Restores a saved stream. Returns nil for the all-zero state, which xoshiro cannot leave.
    public init?(state: (UInt64, UInt64, UInt64, UInt64)) {
        if state == (0, 0, 0, 0) { return nil }
        self.words = state
    }

    /// The state as an array, for state dicts.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    /// Restores a stream from `stateWords`. Returns nil unless there are exactly four
    /// words and they are not all zero.
    public init?(stateWords: [UInt64]) {
        guard stateWords.count == 4 else { return nil }
        self.init(state: (stateWords[0], stateWords[1], stateWords[2], stateWords[3]))
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(words.1 &* 5, by: 7) &* 9
        let t = words.1 << 17
        words.2 ^= words.0
        words.3 ^= words.1
        words.1 ^= words.2
        words.0 ^= words.3
        words.2 ^= t
        words.3 = rotateLeft(words.3, by: 45)
        return result
    }

    /// A double uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A float uniform in [0, 1) with 24 random bits.
    @inlinable
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// A double uniform in [low, high), computed as `low + (high - low) * u` (numpy's formula).
    @inlinable
    public mutating func nextDouble(low: Double, high: Double) -> Double {
        low + (high - low) * nextUnitDouble()
    }

    /// An integer uniform in `0..<bound` without modulo bias (Lemire's multiply-shift with rejection).
    @inlinable
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "nextIndex(below:) needs a positive bound")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A standard normal sample (Box–Muller; uses two uniforms per call, keeps no cache so
    /// the state stays four words).
    @inlinable
    public mutating func nextStandardNormal() -> Double {
        // 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1.0 - nextUnitDouble()
        let u2 = nextUnitDouble()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    /// Splits off an independent stream (for a child component, e.g. one environment of many).
    public mutating func split() -> Xoshiro256 {
        Xoshiro256(seed: next())
    }

    public static func == (lhs: Xoshiro256, rhs: Xoshiro256) -> Bool { lhs.state == rhs.state }
    public func hash(into hasher: inout Hasher) { hasher.combine(stateWords) }
}

@inlinable @inline(__always)
func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

/// SplitMix64, used only to expand a seed into xoshiro's state.
@usableFromInline
struct SplitMix64 {
    @usableFromInline var state: UInt64
    @usableFromInline init(seed: UInt64) { state = seed }
    @usableFromInline mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A seed for one purpose of a run, derived from the run's seed: `deriveSeed(seed, 1, c)` for
/// collector c's environments, `deriveSeed(seed, 4)` for the final evaluation, and so on. The
/// SplitMix64 chain makes seeds of nearby runs and purposes unrelated, where `seed + c` would
/// give run 1's second collector the environments of run 2's first.
public func deriveSeed(_ seed: UInt64, _ streams: UInt64...) -> UInt64 {
    var mix = SplitMix64(seed: seed)
    var value = mix.next()
    for stream in streams {
        var next = SplitMix64(seed: value ^ (stream &* 0xD1B5_4A32_D192_ED03))
        value = next.next()
    }
    return value
}
