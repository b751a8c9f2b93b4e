import SeededRandom
import Testing

@Suite struct Xoshiro256Tests {
    @Test func sameSeedGivesSameStreamAndDifferentSeedsDiffer() {
        var a = Xoshiro256(seed: 7), b = Xoshiro256(seed: 7), c = Xoshiro256(seed: 8)
        let xs = (0..<16).map { _ in a.next() }
        #expect(xs == (0..<16).map { _ in b.next() })
        #expect(xs != (0..<16).map { _ in c.next() })
    }

    @Test func savedStateResumesTheStreamExactly() {
        var rng = Xoshiro256(seed: 3)
        for _ in 0..<100 { _ = rng.next() }
        var restored = Xoshiro256(stateWords: rng.stateWords)!
        #expect((0..<32).map { _ in rng.next() } == (0..<32).map { _ in restored.next() })
        #expect(Xoshiro256(stateWords: [0, 0, 0, 0]) == nil)
        #expect(Xoshiro256(stateWords: [1, 2, 3]) == nil)
    }

    @Test func nextIndexIsUniformByChiSquare() {
        var rng = Xoshiro256(seed: 11)
        let bins = 10, draws = 100_000
        var counts = [Int](repeating: 0, count: bins)
        for _ in 0..<draws { counts[rng.nextIndex(below: bins)] += 1 }
        let expected = Double(draws) / Double(bins)
        let chiSquare = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        // 9 degrees of freedom: the 99.9% quantile is 27.88.
        #expect(chiSquare < 27.88)
    }

    @Test func unitDrawsStayInTheHalfOpenInterval() {
        var rng = Xoshiro256(seed: 5)
        for _ in 0..<10_000 {
            let d = rng.nextUnitDouble(), f = rng.nextUnitFloat()
            #expect(d >= 0 && d < 1)
            #expect(f >= 0 && f < 1)
        }
    }

    @Test func standardNormalHasMeanZeroAndUnitVariance() {
        var rng = Xoshiro256(seed: 9)
        let n = 200_000
        let xs = (0..<n).map { _ in rng.nextStandardNormal() }
        let mean = xs.reduce(0, +) / Double(n)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.02)
    }
}
