import Collectors
import Envs
import Foundation
@testable import Learner
import Memory
import NN
import SeededRandom
import StateDictIO
import Testing

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
