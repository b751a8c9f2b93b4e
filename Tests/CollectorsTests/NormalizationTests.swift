import Collectors
import Envs
import Foundation
import Memory
import SeededRandom
import StateDictIO
import Testing

@Suite struct NormalizationTests {
    /// Moments folded from segments equal the moments of the whole stream.
    @Test func segmentMomentsFoldIntoTheMomentsOfTheWholeStream() {
        var rng = Xoshiro256(seed: 2)
        let rows = (0..<300).map { _ in [Float(rng.nextStandardNormal() * 3 + 1), Float(rng.nextUnitDouble() * 10)] }
        let whole = RunningMoments(size: 2)
        for row in rows { row.withUnsafeBufferPointer { whole.add($0.baseAddress!) } }
        let folded = RunningMoments(size: 2)
        for part in [rows[0..<17], rows[17..<200], rows[200..<300]] {
            let segment = RunningMoments(size: 2)
            for row in part { row.withUnsafeBufferPointer { segment.add($0.baseAddress!) } }
            folded.absorb(segment)
            #expect(segment.count == 0)
        }
        #expect(folded.count == 300)
        for j in 0..<2 {
            #expect(abs(folded.mean[j] - whole.mean[j]) < 1e-9)
            #expect(abs(folded.variance(j) - whole.variance(j)) < 1e-9)
        }
    }

    /// Observations become clip((x − μ)/√(σ² + ε), ±10) and rewards r/√(σ²_R + ε) with the
    /// statistics frozen at the last fold; saved and restored statistics normalise identically.
    @Test func normalisationIsFrozenBetweenFoldsAndSurvivesACheckpoint() throws {
        let normalization = Normalization(observationSize: 2, observations: true, rewards: true, segments: 2)
        let samples: [[Float]] = [[1, 10], [3, 10], [5, 10], [7, 1000]]
        for (i, sample) in samples.enumerated() {
            sample.withUnsafeBufferPointer { normalization.record(observations: $0.baseAddress!, rows: 1, segment: i % 2) }
            normalization.returnDelta(segment: i % 2).add(Double(i))
        }
        var out: [Float] = [0, 0]
        let probe: [Float] = [4, 10]
        probe.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { normalization.normalize(p.baseAddress!, rows: 1, into: $0.baseAddress!) } }
        #expect(out == probe, "nothing folded yet: the identity")
        normalization.absorbSegments()
        probe.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { normalization.normalize(p.baseAddress!, rows: 1, into: $0.baseAddress!) } }
        // Component 0: mean 4, variance 5 → 0. Component 1: mean 257.5, variance 3 · 247.5² → (10 − 257.5)/428.7.
        #expect(abs(out[0]) < 1e-6)
        #expect(abs(Double(out[1]) - (10 - 257.5) / (3 * 247.5 * 247.5 + 1e-8).squareRoot()) < 1e-5)
        #expect(abs(Double(normalization.scale(reward: 2)) - 2 / (1.25 + 1e-8).squareRoot()) < 1e-5)   // returns 0…3: variance 1.25
        #expect(normalization.scale(reward: 1e6) == 10)

        let restored = Normalization(observationSize: 2, observations: true, rewards: true, segments: 1)
        try restored.loadStateDict(normalization.stateDict())
        var again: [Float] = [0, 0]
        probe.withUnsafeBufferPointer { p in again.withUnsafeMutableBufferPointer { restored.normalize(p.baseAddress!, rows: 1, into: $0.baseAddress!) } }
        #expect(again == out)
        #expect(restored.scale(reward: 2) == normalization.scale(reward: 2))

        var damaged = normalization.stateDict()
        damaged["observations.count"] = Tensor(scalar: -1.0)
        #expect(throws: StateDictError.self) { try restored.loadStateDict(damaged) }
    }
}
