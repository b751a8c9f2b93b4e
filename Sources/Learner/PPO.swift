import Core
import Memory
import NN
import SeededRandom
import Shared
import StateDictIO
#if canImport(Glibc)
import Glibc
#endif

/// The metrics PPO and A2C record (`TrainingState.metrics`), means over the update's minibatches.
public enum PPOKeys {
    /// −mean min(ρÂ, clip(ρ, 1 ± ε)Â), ρ = π(a|s)/π_old(a|s).
    public static let policyLoss = "policy_loss"
    /// mean (V(s) − R)² (with V clipped around the old value when clip_range_vf is set).
    public static let valueLoss = "value_loss"
    /// Mean entropy of the policy over the minibatch.
    public static let entropy = "entropy"
    /// mean((ρ − 1) − log ρ), the KL(π_old ‖ π) estimate of Schulman's blog (SB3's approx_kl).
    public static let approximateKL = "approx_kl"
    /// Fraction of rows whose ratio left [1 − ε, 1 + ε].
    public static let clipFraction = "clip_fraction"
    /// 1 − Var(R − V_old)/Var(R) over the rollout: how much of the return the critic explained.
    public static let explainedVariance = "explained_variance"
    public static let learningRate = "learning_rate"
}

/// A hyperparameter held constant or decayed linearly to 0 over the step budget (rl-zoo's `lin_`).
public enum Schedule: String, Sendable {
    case constant, linear

    /// The value at `progress` ∈ [0, 1] of the budget.
    public func value(_ initial: Double, progress: Double) -> Double {
        self == .constant ? initial : initial * max(0, 1 - progress)
    }
}

/// Proximal policy optimisation (Schulman et al. 2017) on one rollout per update: `epochs`
/// passes over the rollout in shuffled minibatches, each one gradient step of
/// policy loss − entropyCoefficient·entropy + valueCoefficient·value loss, with advantages
/// normalised per minibatch, the joint gradient norm clipped, and early stopping of the epochs
/// once the approximate KL exceeds 1.5·targetKL. A2C is the same update with one epoch over the
/// whole rollout and no clipping (at ρ = 1 the clipped objective's gradient is A2C's −Â∇log π).
public final class PPOLoss: Callback {
    public let name = "ppo"
    public let model: ActorCritic
    public var epochs: Int
    public var minibatchSize: Int
    public var clipRange: Double?
    public var clipRangeSchedule: Schedule
    public var valueClipRange: Double?
    public var entropyCoefficient: Float
    public var valueCoefficient: Float
    public var maxGradientNorm: Float?
    public var normalizeAdvantages: Bool
    public var targetKL: Double?
    public var learningRate: Double
    public var learningRateSchedule: Schedule
    /// Environment steps over which the schedules run (the run's budget).
    public var budget: Int
    public var rng: Xoshiro256
    let workspace: ActorCritic.Workspace
    let capacity: Int
    // Per-minibatch scratch.
    let order: UnsafeMutableBufferPointer<Int>
    let observations: UnsafeMutableBufferPointer<Float>
    let policyGradient: UnsafeMutableBufferPointer<Float>
    let valueGradient: UnsafeMutableBufferPointer<Float>
    let advantages: UnsafeMutableBufferPointer<Float>

    public init(model: ActorCritic, rolloutSize: Int, epochs: Int, minibatchSize: Int, clipRange: Double?, clipRangeSchedule: Schedule = .constant,
                valueClipRange: Double? = nil, entropyCoefficient: Float, valueCoefficient: Float, maxGradientNorm: Float?,
                normalizeAdvantages: Bool, targetKL: Double? = nil, learningRate: Double, learningRateSchedule: Schedule = .constant,
                budget: Int, seed: UInt64) {
        precondition(epochs >= 1 && minibatchSize >= 1, "PPO needs at least one epoch and one row per minibatch")
        self.model = model
        self.epochs = epochs
        self.minibatchSize = min(minibatchSize, rolloutSize)
        self.clipRange = clipRange
        self.clipRangeSchedule = clipRangeSchedule
        self.valueClipRange = valueClipRange
        self.entropyCoefficient = entropyCoefficient
        self.valueCoefficient = valueCoefficient
        self.maxGradientNorm = maxGradientNorm
        self.normalizeAdvantages = normalizeAdvantages
        self.targetKL = targetKL
        self.learningRate = learningRate
        self.learningRateSchedule = learningRateSchedule
        self.budget = budget
        rng = Xoshiro256(seed: seed)
        capacity = self.minibatchSize
        workspace = model.makeWorkspace(maxBatch: capacity)
        order = .allocate(capacity: rolloutSize, repeating: 0)
        observations = .allocate(capacity: capacity * model.observationSize, repeating: 0)
        policyGradient = .allocate(capacity: capacity * model.policyStride, repeating: 0)
        valueGradient = .allocate(capacity: capacity, repeating: 0)
        advantages = .allocate(capacity: capacity, repeating: 0)
    }

    deinit {
        order.deallocate(); observations.deallocate(); policyGradient.deallocate(); valueGradient.deallocate(); advantages.deallocate()
    }

    public func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {
        let n = batch.count
        guard batch.spec.extras == RolloutBuffer.extras, let valueColumn = batch.spec.extraOffset("value"),
              let returnColumn = batch.spec.extraOffset("return") else {
            throw ReplayError.batchBufferMismatch(detail: "PPO needs a rollout batch (extras log_prob, value, advantage, return), got \(batch.spec)")
        }
        precondition(n <= order.count, "a rollout of \(n) rows; the loss was made for \(order.count)")
        let progress = budget > 0 ? min(1, Double(state.environmentSteps) / Double(budget)) : 0
        let rate = Float(learningRateSchedule.value(learningRate, progress: progress))
        let clip = clipRange.map { Float(clipRangeSchedule.value($0, progress: progress)) }
        let valueClip = valueClipRange.map(Float.init)
        state.record(PPOKeys.learningRate, Double(rate))
        state.record(PPOKeys.explainedVariance, explainedVariance(batch, valueColumn: valueColumn, returnColumn: returnColumn))

        var sums = (policy: 0.0, value: 0.0, entropy: 0.0, kl: 0.0, clipped: 0.0), minibatches = 0
        for r in 0..<n { order[r] = r }
        training: for _ in 0..<epochs {
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.nextIndex(below: i + 1)) }
            for start in stride(from: 0, to: n, by: minibatchSize) {
                let rows = UnsafeBufferPointer(rebasing: order[start ..< min(start + minibatchSize, n)])
                let result = gradient(batch, rows: rows, clip: clip, valueClip: valueClip)
                if let targetKL, result.approximateKL > 1.5 * targetKL {
                    state.record(PPOKeys.approximateKL, result.approximateKL)   // what stopped it (overwritten below when steps ran)
                    break training   // SB3: stop before this minibatch's step
                }
                if let maxGradientNorm { clipGradientNorm(model.gradientBuffers, maxNorm: maxGradientNorm) }
                model.step(learningRate: rate)
                sums.policy += result.policyLoss
                sums.value += result.valueLoss
                sums.entropy += result.entropy
                sums.kl += result.approximateKL
                sums.clipped += result.clipFraction
                minibatches += 1
            }
        }
        guard minibatches > 0 else { return }
        let count = Double(minibatches)
        state.record(PPOKeys.policyLoss, sums.policy / count)
        state.record(PPOKeys.valueLoss, sums.value / count)
        state.record(PPOKeys.entropy, sums.entropy / count)
        state.record(PPOKeys.approximateKL, sums.kl / count)
        state.record(PPOKeys.clipFraction, sums.clipped / count)
    }

    /// One minibatch's losses, and the gradient of policy loss − entropy coefficient·entropy +
    /// value coefficient·value loss in the model's gradient buffers (zeroed first).
    struct Minibatch {
        var loss: Double, policyLoss: Double, valueLoss: Double, entropy: Double, approximateKL: Double, clipFraction: Double
    }

    func gradient(_ batch: ReplayBatch, rows: UnsafeBufferPointer<Int>, clip: Float?, valueClip: Float?) -> Minibatch {
        let k = rows.count, o = model.observationSize, width = batch.spec.extrasWidth
        let logProbabilityColumn = batch.spec.extraOffset("log_prob")!, valueColumn = batch.spec.extraOffset("value")!
        let advantageColumn = batch.spec.extraOffset("advantage")!, returnColumn = batch.spec.extraOffset("return")!
        // Gather the minibatch's observations and (normalised) advantages.
        var mean: Float = 0
        batch.observations.withUnsafeBufferPointer { source in
            for b in 0..<k {
                let r = rows[b]
                (observations.baseAddress! + b * o).update(from: source.baseAddress! + r * o, count: o)
                advantages[b] = batch.extras[r * width + advantageColumn]
                mean += advantages[b]
            }
        }
        if normalizeAdvantages && k > 1 {
            mean /= Float(k)
            var variance: Float = 0
            for b in 0..<k { variance += (advantages[b] - mean) * (advantages[b] - mean) }
            let std = (variance / Float(k - 1)).squareRoot()
            for b in 0..<k { advantages[b] = (advantages[b] - mean) / (std + 1e-8) }
        }
        let (policy, value) = model.forward(observations.baseAddress!, rows: k, workspace: workspace)
        let ps = model.policyStride, vs = model.valueStride
        policyGradient.update(repeating: 0)
        model.zeroGradients()
        let scale = 1 / Float(k)
        var policyLoss: Float = 0, valueLoss: Float = 0, entropySum: Float = 0, kl: Float = 0, clipped = 0
        for b in 0..<k {
            let r = rows[b]
            let row = policy + b * ps
            let logProbability: Float, entropy: Float
            switch model.policy {
            case .categorical(let actions):
                (logProbability, entropy) = Categorical.logProbabilityAndEntropy(row, n: actions, action: Int(batch.actionIndices[r]))
            case .gaussian(let size):
                logProbability = batch.actionValues.withUnsafeBufferPointer {
                    DiagonalGaussian.logProbability(mean: row, logStd: model.logStd.baseAddress!, action: $0.baseAddress! + r * size, size: size)
                }
                entropy = DiagonalGaussian.entropy(logStd: model.logStd.baseAddress!, size: size)
            }
            let logRatio = logProbability - batch.extras[r * width + logProbabilityColumn]
            let ratio = expf(logRatio)
            let advantage = advantages[b]
            // The gradient flows through ρÂ unless the clipped term is the smaller and ρ is outside the range.
            var dLogProbability = -advantage * ratio * scale
            if let clip {
                let clippedRatio = min(max(ratio, 1 - clip), 1 + clip)
                policyLoss -= min(ratio * advantage, clippedRatio * advantage)
                if clippedRatio * advantage < ratio * advantage && clippedRatio != ratio { dLogProbability = 0 }
                if abs(ratio - 1) > clip { clipped += 1 }
            } else {
                policyLoss -= ratio * advantage
            }
            entropySum += entropy
            kl += (ratio - 1) - logRatio
            // Value: (V − R)², V clipped to V_old ± valueClip when set (SB3's clip_range_vf).
            let oldValue = batch.extras[r * width + valueColumn], target = batch.extras[r * width + returnColumn]
            var predicted = value[b * vs], passes: Float = 1
            if let valueClip {
                let clippedValue = oldValue + min(max(predicted - oldValue, -valueClip), valueClip)
                if clippedValue != predicted { passes = 0 }
                predicted = clippedValue
            }
            valueLoss += (predicted - target) * (predicted - target)
            let dValue = valueCoefficient * 2 * (predicted - target) * scale * passes
            if model.isShared { policyGradient[b * ps + model.valueColumn] = dValue } else { valueGradient[b] = dValue }
            let dEntropy = -entropyCoefficient * scale
            switch model.policy {
            case .categorical(let actions):
                Categorical.backward(row, n: actions, action: Int(batch.actionIndices[r]), dLogProbability: dLogProbability,
                                     dEntropy: dEntropy, into: policyGradient.baseAddress! + b * ps)
            case .gaussian(let size):
                batch.actionValues.withUnsafeBufferPointer {
                    DiagonalGaussian.backward(mean: row, logStd: model.logStd.baseAddress!, action: $0.baseAddress! + r * size, size: size,
                                              dLogProbability: dLogProbability, dEntropy: dEntropy,
                                              dMean: policyGradient.baseAddress! + b * ps, dLogStd: model.logStdGradient.baseAddress!)
                }
            }
        }
        model.actor.backward(outputGradient: policyGradient.baseAddress!, workspace: workspace.actor)
        if let critic = model.critic, let criticWorkspace = workspace.critic {
            critic.backward(outputGradient: valueGradient.baseAddress!, workspace: criticWorkspace)
        }
        let policyMean = Double(policyLoss * scale), valueMean = Double(valueLoss * scale), entropyMean = Double(entropySum * scale)
        return Minibatch(loss: policyMean - Double(entropyCoefficient) * entropyMean + Double(valueCoefficient) * valueMean,
                         policyLoss: policyMean, valueLoss: valueMean, entropy: entropyMean, approximateKL: Double(kl * scale),
                         clipFraction: Double(clipped) * Double(scale))
    }

    /// 1 − Var(R − V)/Var(R) over the rollout, read in place (two passes, no arrays per update).
    func explainedVariance(_ batch: ReplayBatch, valueColumn: Int, returnColumn: Int) -> Double {
        let n = batch.count, width = batch.spec.extrasWidth
        guard n > 0 else { return .nan }
        func target(_ r: Int) -> Double { Double(batch.extras[r * width + returnColumn]) }
        func residual(_ r: Int) -> Double { target(r) - Double(batch.extras[r * width + valueColumn]) }
        func variance(_ value: (Int) -> Double) -> Double {
            var sum = 0.0
            for r in 0..<n { sum += value(r) }
            let mean = sum / Double(n)
            var squares = 0.0
            for r in 0..<n { squares += (value(r) - mean) * (value(r) - mean) }
            return squares / Double(n)
        }
        let returnsVariance = variance(target)
        return !(returnsVariance > 0) ? .nan : 1 - variance(residual) / returnsVariance
    }

    public func stateDict() -> StateDict {
        var dict = model.stateDict(optimizers: true)
        dict["rng"] = Tensor(uint64s: rng.stateWords)
        return dict
    }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        try model.loadStateDict(dict, loadNetwork: loadNetwork, loadOptimizer: loadOptimizer, loadHparams: loadHparams)
        if let words = try? dict.tensor("rng").uint64s(name: "rng"), let restored = Xoshiro256(stateWords: words) { rng = restored }
    }
}

/// The collectors' side of an `ActorCritic`: samples from the policy and reports log π and V.
/// It acts with the learner's own networks (only its workspace is its own): on-policy rollouts
/// alternate with updates, and the `RolloutBuffer` handoff orders every update before the next
/// rollout, so no copy of the weights is needed. Evaluation uses the mode (argmax, or the mean
/// clipped to [−1, 1]) when `deterministic`.
public final class ActorCriticAgent: OnPolicyAgent {
    public let model: ActorCritic
    public let deterministic: Bool
    /// The discrete space's first action (added to the 0-based index where the agent acts for `Agent`).
    public let actionStart: Int
    let workspace: ActorCritic.Workspace
    let logProbabilities: UnsafeMutableBufferPointer<Float>
    let stateValueScratch: UnsafeMutableBufferPointer<Float>

    public init(model: ActorCritic, maxBatch: Int, deterministic: Bool = false, actionStart: Int = 0) {
        self.model = model
        self.deterministic = deterministic
        self.actionStart = actionStart
        workspace = model.makeWorkspace(maxBatch: maxBatch)
        logProbabilities = .allocate(capacity: maxBatch, repeating: 0)
        stateValueScratch = .allocate(capacity: maxBatch, repeating: 0)
    }

    deinit { logProbabilities.deallocate(); stateValueScratch.deallocate() }

    public func act(observations: UnsafeBufferPointer<Float>, count: Int, indices: UnsafeMutableBufferPointer<Int>,
                    values: UnsafeMutableBufferPointer<Float>, logProbabilities: UnsafeMutablePointer<Float>,
                    stateValues: UnsafeMutablePointer<Float>, rng: inout Xoshiro256) {
        let (policy, value) = model.forward(observations.baseAddress!, rows: count, workspace: workspace)
        let ps = model.policyStride, vs = model.valueStride
        for b in 0..<count {
            let row = policy + b * ps
            switch model.policy {
            case .categorical(let n):
                let action = deterministic ? Categorical.mode(row, n: n) : Categorical.sample(row, n: n, uniform: rng.nextUnitFloat())
                indices[b] = action
                logProbabilities[b] = Categorical.logProbabilityAndEntropy(row, n: n, action: action).logProbability
            case .gaussian(let size):
                let action = values.baseAddress! + b * size
                for j in 0..<size {
                    action[j] = deterministic ? row[j] : row[j] + expf(model.logStd[j]) * Float(rng.nextStandardNormal())
                }
                logProbabilities[b] = DiagonalGaussian.logProbability(mean: row, logStd: model.logStd.baseAddress!, action: action, size: size)
            }
            stateValues[b] = value[b * vs]
        }
    }

    public func stateValues(observations: UnsafeBufferPointer<Float>, count: Int, into values: UnsafeMutablePointer<Float>) {
        model.values(observations.baseAddress!, rows: count, workspace: workspace, into: values)
    }

    /// As an `Agent` (evaluation): discrete actions offset by the space's start, continuous ones clipped to [−1, 1].
    public func act(observations: UnsafeBufferPointer<Float>, count: Int, environmentSteps: Int,
                    indices: UnsafeMutableBufferPointer<Int>, values: UnsafeMutableBufferPointer<Float>, rng: inout Xoshiro256) {
        act(observations: observations, count: count, indices: indices, values: values, logProbabilities: logProbabilities.baseAddress!,
            stateValues: stateValueScratch.baseAddress!, rng: &rng)
        switch model.policy {
        case .categorical: for b in 0..<count { indices[b] += actionStart }
        case .gaussian(let size): for i in 0..<(count * size) { values[i] = min(max(values[i], -1), 1) }
        }
    }
}
