#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// NumPy's `Generator` on PCG64, for the draws Gymnasium's environments make: `uniform` and
/// `standard_normal` (NumPy's 256-layer ziggurat, rejection draws included), consuming the same
/// bits in the same order, so the same seed gives the same numbers bit for bit.
///
///     var random = NumPyGenerator(seed: 42)          // np.random.default_rng(42)
///     let u = random.uniform(low: -0.1, high: 0.1)   # rng.uniform(-0.1, 0.1)
///     let z = random.standardNormal()                # rng.standard_normal()
///
/// Arrays are drawn element by element in index order, as NumPy fills them.
public struct NumPyGenerator: Sendable, Equatable {
    public private(set) var bits: PCG64

    /// `np.random.default_rng(seed)`, also what Gymnasium's `reset(seed=seed)` makes.
    public init(seed: UInt64) { bits = PCG64(seed: seed) }

    /// Continues from `stateWords`; nil when they cannot be a PCG64 state.
    public init?(stateWords: [UInt64]) {
        guard let bits = PCG64(stateWords: stateWords) else { return nil }
        self.bits = bits
    }

    /// The words `init(stateWords:)` takes.
    public var stateWords: [UInt64] { bits.stateWords }
    public static let stateWordCount = 4

    /// `uniform(low, high)`: `low + (high - low) * next_double`, the range computed first as NumPy does.
    public mutating func uniform(low: Double, high: Double) -> Double {
        let range = high - low
        return low + range * bits.nextDouble()
    }

    /// `standard_normal()`: the ziggurat of `random_standard_normal`, 256 layers.
    public mutating func standardNormal() -> Double {
        let tables = ZigguratTables.normal
        while true {
            var r = bits.next()
            let index = Int(r & 0xff)
            r >>= 8
            let sign = r & 1
            let magnitude = (r >> 1) & 0x000f_ffff_ffff_ffff
            var x = Double(magnitude) * tables.w[index]
            if sign & 1 == 1 { x = -x }
            if magnitude < tables.k[index] { return x }  // the rectangle: nearly every draw
            if index == 0 {
                // The tail beyond r, by Marsaglia's exponential rejection (1 - U: never log(0)).
                while true {
                    let xx = -ZigguratTables.normalInverseR * log1p(-bits.nextDouble())
                    let yy = -log1p(-bits.nextDouble())
                    if yy + yy > xx * xx {
                        return (magnitude >> 8) & 1 == 1 ? -(ZigguratTables.normalR + xx) : ZigguratTables.normalR + xx
                    }
                }
            } else if (tables.f[index - 1] - tables.f[index]) * bits.nextDouble() + tables.f[index] < exp(-0.5 * x * x) {
                return x  // the wedge
            }
        }
    }

    /// `normal(loc, scale)`: `loc + scale * standard_normal()`.
    public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * standardNormal()
    }
}

/// The ziggurat's layer tables for the standard normal, 256 layers on 52-bit magnitudes,
/// computed at first use by Marsaglia and Tsang's construction (layer area v, base edge r):
/// x[255] = r, x[i] = sqrt(−2 log(pdf(x[i+1]) + v / x[i+1])), with pdf(x) = exp((−0.5 x) x);
/// k[i] = round-half-even(x[i−1] / x[i] · 2^52), w[i] = x[i] / 2^52, f[i] = pdf(x[i]).
///
/// NumPy's shipped tables hold one value one ulp above the correctly rounded result: the
/// density at layer 38 (its exact value lies 0.0017 ulp below a rounding midpoint). The
/// construction takes the same value there, so the tables, and every draw, equal NumPy's
/// (`NumPyGeneratorTests` checks the tables' SHA-256 and millions of draws).
struct ZigguratTables: Sendable {
    /// Acceptance thresholds per layer (`ki`), scaled to 2^52.
    let k: [UInt64]
    /// Layer widths per unit of magnitude (`wi`).
    let w: [Double]
    /// The density at each layer's edge (`fi`).
    let f: [Double]

    /// The right edge of the base layer, and its reciprocal.
    static let normalR = 3.6541528853610087963519472518
    static let normalInverseR = 0.27366123732975827203338247596
    /// The area of each layer.
    static let normalLayerArea = 0.0049286732339746519
    /// The layer whose density NumPy's tables round up.
    static let roundedUpLayer = 38

    static let normal: ZigguratTables = {
        let layers = 256
        let scale = 4_503_599_627_370_496.0  // 2^52
        let r = normalR, v = normalLayerArea
        func density(_ x: Double, layer: Int) -> Double {
            let y = exp(-0.5 * x * x)
            return layer == roundedUpLayer ? y.nextUp : y
        }
        var x = [Double](repeating: 0, count: layers)
        x[layers - 1] = r
        for i in stride(from: layers - 2, through: 1, by: -1) {
            x[i] = sqrt(-2 * log(density(x[i + 1], layer: i + 1) + v / x[i + 1]))
        }
        let densityAtR = density(r, layer: layers - 1)
        var k = [UInt64](repeating: 0, count: layers)
        for i in 1..<layers { k[i] = UInt64((x[i - 1] / x[i] * scale).rounded(.toNearestOrEven)) }
        k[0] = UInt64((r * densityAtR / v * scale).rounded(.toNearestOrEven))
        var w = x.map { $0 / scale }
        w[0] = v / densityAtR / scale
        var f = [Double](repeating: 1, count: layers)
        for i in 1..<layers { f[i] = density(x[i], layer: i) }
        return ZigguratTables(k: k, w: w, f: f)
    }()
}
