import Collectors
import Envs
import Foundation
@testable import Learner
import Memory
import NN
import SeededRandom
import StateDictIO
import Testing

/// An on-policy agent whose value is 10·s₀ + 1 and whose action is always 0 (log π = −1),
/// remembering every observation it was asked to value.
final class RecordingAgent: OnPolicyAgent {
    var valued: [[Float]] = []
    let observationSize: Int
    init(observationSize: Int) { self.observationSize = observationSize }
    func act(observations: UnsafeBufferPointer<Float>, count: Int, indices: UnsafeMutableBufferPointer<Int>, values: UnsafeMutableBufferPointer<Float>,
             logProbabilities: UnsafeMutablePointer<Float>, stateValues: UnsafeMutablePointer<Float>, rng: inout Xoshiro256) {
        for b in 0..<count { indices[b] = 0; logProbabilities[b] = -1; stateValues[b] = 10 * observations[b * observationSize] + 1 }
    }
    func stateValues(observations: UnsafeBufferPointer<Float>, count: Int, into values: UnsafeMutablePointer<Float>) {
        for b in 0..<count {
            valued.append(Array(observations[b * observationSize ..< (b + 1) * observationSize]))
            values[b] = 10 * observations[b * observationSize] + 1
        }
    }
    func act(observations: UnsafeBufferPointer<Float>, count: Int, environmentSteps: Int, indices: UnsafeMutableBufferPointer<Int>,
             values: UnsafeMutableBufferPointer<Float>, rng: inout Xoshiro256) {
        for b in 0..<count { indices[b] = 0 }
    }
}

@Suite struct RolloutCollectorTests {
    /// A truncated episode bootstraps from V of its true final observation (not the reset one),
    /// a terminated one from nothing, and the rollout's last step from V of the next observation.
    @Test func truncationBootstrapsFromTheFinalObservationAndTerminationFromNothing() throws {
        var registry = EnvironmentRegistry()
        // Observation t after t steps; terminates after 5 steps, truncated at 3 by the time limit.
        try registry.register(EnvironmentSpec(id: "Counting-v0", maxEpisodeSteps: 3) { _ in CountingEnvironment(length: 5) })
        try registry.register(EnvironmentSpec(id: "Counting-v1", maxEpisodeSteps: 10) { _ in CountingEnvironment(length: 2) })
        for (id, ends) in [("Counting-v0", "truncated"), ("Counting-v1", "terminated")] {
            let vector = try VectorEnvironment(registry: registry, id: id, count: 1)
            let buffer = RolloutBuffer(observationSize: 1, action: .discrete(n: 2), segments: 1, environments: 1, steps: 4)
            let agent = RecordingAgent(observationSize: 1)
            let statistics = CollectorStatistics()
            let collector = RolloutCollector(environments: vector, agent: agent, buffer: buffer, segment: 0, statistics: statistics, seed: 1,
                                             gamma: 0.5, lambda: 1)
            try collector.collectRollout()
            #expect(Array(buffer.observations) == (ends == "truncated" ? [0, 1, 2, 0] : [0, 1, 0, 1]))
            #expect(statistics.environmentSteps == 4)
            if ends == "truncated" {
                #expect(Array(buffer.truncated) == [0, 0, 1, 0] && Array(buffer.terminated) == [0, 0, 0, 0])
                // Valued: the final observation 3 (truncation), then 1, the observation after the rollout.
                #expect(agent.valued == [[3], [1]])
                #expect(buffer.bootstrapValues[2] == 31 && buffer.bootstrapValues[3] == 11)
                // A₂ = r + γV(3) − V(2) = 3 + 15.5 − 21 (chain cut at the truncation).
                #expect(buffer.advantages[2] == -2.5)
            } else {
                #expect(Array(buffer.terminated) == [0, 1, 0, 1] && Array(buffer.truncated) == [0, 0, 0, 0])
                #expect(agent.valued.isEmpty)   // nothing bootstraps: both episodes terminated, the last one at the rollout's end
                #expect(buffer.advantages[1] == 2 - 11)   // r − V(1): no bootstrap after termination
            }
            let batch = ReplayBatch(spec: buffer.spec, capacity: buffer.rows)
            try buffer.take(into: batch)
            #expect(batch.count == 4)
        }
    }
}

@Suite struct PPOLossTests {
    /// A filled rollout of `rows` rows with old log-probabilities `offset` away from the current
    /// policy's (so ratios spread across the clip range), in a batch.
    func rollout(_ model: ActorCritic, environments: Int = 4, steps: Int = 3, offsets: Bool = true) throws -> ReplayBatch {
        let o = model.observationSize
        let action: TransitionSpec.ActionForm
        switch model.policy {
        case .categorical(let n): action = .discrete(n: n)
        case .gaussian(let size): action = .continuous(size: size)
        }
        let buffer = RolloutBuffer(observationSize: o, action: action, segments: 1, environments: environments, steps: steps)
        var rng = Xoshiro256(seed: 7)
        for i in 0..<(buffer.rows * o) { buffer.observations[i] = Float(rng.nextStandardNormal()) }
        let agent = ActorCriticAgent(model: model, maxBatch: buffer.rows)
        var indices = [Int](repeating: 0, count: buffer.rows)
        try indices.withUnsafeMutableBufferPointer { idx in
            agent.act(observations: UnsafeBufferPointer(buffer.observations), count: buffer.rows, indices: idx, values: buffer.actionValues,
                      logProbabilities: buffer.logProbabilities.baseAddress!, stateValues: buffer.values.baseAddress!, rng: &rng)
            for r in 0..<buffer.rows where !buffer.actionIndices.isEmpty { buffer.actionIndices[r] = Int32(idx[r]) }
            for r in 0..<buffer.rows {
                if offsets { buffer.logProbabilities[r] += Float(rng.nextDouble(low: -0.4, high: 0.4)) }
                buffer.rewards[r] = Float(rng.nextStandardNormal())
                buffer.values[r] += Float(rng.nextDouble(low: -0.5, high: 0.5))
                buffer.bootstrapValues[r] = Float(rng.nextStandardNormal())
            }
            try buffer.awaitOpen(segment: 0)
        }
        buffer.computeAdvantages(segment: 0, gamma: 0.9, lambda: 0.8)
        buffer.finish(segment: 0)
        let batch = ReplayBatch(spec: buffer.spec, capacity: buffer.rows)
        try buffer.take(into: batch)
        return batch
    }

    func loss(_ model: ActorCritic, rows: Int) -> PPOLoss {
        PPOLoss(model: model, rolloutSize: rows, epochs: 1, minibatchSize: rows, clipRange: 0.2, valueClipRange: 0.3,
                entropyCoefficient: 0.05, valueCoefficient: 0.5, maxGradientNorm: nil, normalizeAdvantages: true, learningRate: 1e-3,
                budget: 1_000, seed: 3)
    }

    /// The gradient of the clipped objective (policy, clipped value, entropy; advantages
    /// normalised) against central differences of the loss, for every parameter block: a
    /// categorical policy with separate networks, and a Gaussian one with a shared trunk.
    @Test(arguments: [(ActorCritic.Policy.categorical(n: 3), false), (ActorCritic.Policy.gaussian(size: 2), true)])
    func clippedObjectiveGradientMatchesFiniteDifferences(policy: ActorCritic.Policy, shared: Bool) throws {
        let model = ActorCritic(observationSize: 3, policy: policy, hidden: [6], activation: .tanh, shared: shared, initializer: .pytorchDefault,
                                learningRate: 1e-3, initialLogStd: -0.3, seed: 5)
        let batch = try rollout(model)
        let ppo = loss(model, rows: batch.count)
        let rows = Array(0..<batch.count)
        let evaluate = { rows.withUnsafeBufferPointer { ppo.gradient(batch, rows: $0, clip: 0.2, valueClip: 0.3) } }
        let result = evaluate()
        #expect(result.clipFraction > 0 && result.clipFraction < 1, "some ratios inside the clip range, some outside")
        var blocks: [(String, UnsafeMutableBufferPointer<Float>, [Float])] = [("actor", model.actor.parameters, Array(model.actor.gradients))]
        if let critic = model.critic { blocks.append(("critic", critic.parameters, Array(critic.gradients))) }
        if model.logStd.count > 0 { blocks.append(("log_std", model.logStd, Array(model.logStdGradient))) }
        var checked = 0
        for (name, parameters, analytic) in blocks {
            for i in stride(from: 0, to: parameters.count, by: max(1, parameters.count / 12)) {
                let saved = parameters[i], h: Float = 1e-3
                parameters[i] = saved + h
                let up = evaluate().loss
                parameters[i] = saved - h
                let down = evaluate().loss
                parameters[i] = saved
                let numeric = (up - down) / Double(2 * h)
                #expect(abs(Double(analytic[i]) - numeric) < 2e-3 + 0.02 * abs(numeric), "\(name)[\(i)]: \(analytic[i]) vs \(numeric)")
                checked += 1
            }
        }
        #expect(checked >= 15)
    }

    /// At ρ = 1 (the policy that collected the rollout) clipping changes nothing: PPO's first
    /// step over the whole rollout is A2C's.
    @Test func atRatioOneTheClippedGradientIsA2Cs() throws {
        let model = ActorCritic(observationSize: 3, policy: .categorical(n: 2), hidden: [4], activation: .tanh, shared: false,
                                initializer: .orthogonal, learningRate: 1e-3, seed: 9)
        let batch = try rollout(model, offsets: false)
        let ppo = loss(model, rows: batch.count)
        let rows = Array(0..<batch.count)
        let clipped = rows.withUnsafeBufferPointer { ppo.gradient(batch, rows: $0, clip: 0.2, valueClip: nil) }
        let clippedGradient = Array(model.actor.gradients)
        let plain = rows.withUnsafeBufferPointer { ppo.gradient(batch, rows: $0, clip: nil, valueClip: nil) }
        #expect(Array(model.actor.gradients) == clippedGradient)
        #expect(clipped.loss == plain.loss && clipped.clipFraction == 0 && abs(clipped.approximateKL) < 1e-6)
    }
}

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
