import Foundation
import SeededRandom
import Testing

@Suite struct ColoredNoiseTests {
    /// `chunks` whole chunks of stream 0.
    func series(exponent: Double, length: Int = 1024, chunks: Int, seed: UInt64 = 3) -> [[Double]] {
        let noise = ColoredNoise(exponent: exponent, length: length, streams: 1, seed: seed)
        return (0..<chunks).map { _ in (0..<length).map { _ in Double(noise.next(stream: 0)) } }
    }

    /// The periodogram's log2-log2 slope over frequencies 2, 4, ..., 256 cycles per chunk,
    /// averaged over chunks (a direct DFT at those frequencies, independent of the FFT).
    func spectralSlope(_ chunks: [[Double]]) -> Double {
        let n = chunks[0].count
        let ks = (1...8).map { 1 << $0 }
        let powers = ks.map { k -> Double in
            chunks.map { x in
                var re = 0.0, im = 0.0
                for t in 0..<n {
                    let angle = 2 * Double.pi * Double(k * t) / Double(n)
                    re += x[t] * cos(angle)
                    im -= x[t] * sin(angle)
                }
                return re * re + im * im
            }.reduce(0, +) / Double(chunks.count)
        }
        let xs = ks.map { log2(Double($0)) }, ys = powers.map { log2($0) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let covariance = zip(xs, ys).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let variance = xs.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
        return covariance / variance
    }

    @Test(arguments: [0.0, 1.0, 2.0])
    func theSpectrumFallsAsOneOverFToTheBetaAndTheVarianceIsOne(exponent: Double) {
        let slope = spectralSlope(series(exponent: exponent, chunks: 48))
        #expect(abs(slope + exponent) < 0.25, "periodogram slope \(slope) for β = \(exponent)")
        // Red noise's few lowest bins dominate each chunk's power: many chunks for E[x²].
        let all = series(exponent: exponent, length: 256, chunks: 1_600, seed: 5).flatMap { $0 }
        let meanSquare = all.map { $0 * $0 }.reduce(0, +) / Double(all.count)
        #expect(abs(meanSquare - 1) < 0.1, "E[x²] = \(meanSquare)")
    }

    @Test func pinkNoiseIsCorrelatedFromStepToStepAndWhiteIsNot() {
        func lagOneCorrelation(_ exponent: Double) -> Double {
            let x = series(exponent: exponent, chunks: 16).flatMap { $0 }
            let m = x.reduce(0, +) / Double(x.count)
            let c1 = zip(x.dropFirst(), x).map { ($0 - m) * ($1 - m) }.reduce(0, +)
            let c0 = x.map { ($0 - m) * ($0 - m) }.reduce(0, +)
            return c1 / c0
        }
        #expect(abs(lagOneCorrelation(0)) < 0.05)
        #expect(lagOneCorrelation(1) > 0.5)
        #expect(lagOneCorrelation(2) > 0.95)
    }

    @Test func aRestoredStateContinuesExactlyAndStreamsDiffer() throws {
        let noise = ColoredNoise(exponent: 1, length: 256, streams: 3, seed: 11)
        for i in 0..<700 { _ = noise.next(stream: i % 3) }
        let saved = noise.state
        let expected = (0..<900).map { noise.next(stream: $0 % 3) }
        let copy = ColoredNoise(exponent: 1, length: 256, streams: 3, seed: 99)
        #expect(copy.restore(saved))
        #expect((0..<900).map { copy.next(stream: $0 % 3) } == expected)
        #expect(!ColoredNoise(exponent: 1, length: 128, streams: 3, seed: 11).restore(saved), "a state of other sizes is refused")

        let fresh = ColoredNoise(exponent: 1, length: 256, streams: 2, seed: 11)
        let a = (0..<256).map { _ in fresh.next(stream: 0) }, b = (0..<256).map { _ in fresh.next(stream: 1) }
        #expect(a != b)
        let again = ColoredNoise(exponent: 1, length: 256, streams: 2, seed: 11)
        #expect((0..<256).map { _ in again.next(stream: 0) } == a)
    }
}
