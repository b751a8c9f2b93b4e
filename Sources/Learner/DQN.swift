import Collectors
import Memory
import NN
import SeededRandom
import StateDictIO

/// Names of values DQN's callbacks publish in the training state.
public enum DQNKeys {
    public static let loss = StateKey<Float>("dqn.loss")
    public static let meanQ = StateKey<Float>("dqn.mean_q")
}

/// DQN's temporal-difference loss (Mnih et al. 2015), optionally Double DQN (van Hasselt et al.
/// 2016): y = r + γⁿ (1 − terminated) Q_target(s′, a*), with a* = argmax_a Q_target(s′, a), or
/// argmax_a Q_online(s′, a) for Double DQN; Huber (or MSE) loss on Q_online(s, a) − y, gradient
/// clipping by global norm, one Adam step. With a `PrioritizedSampler`, |δ| becomes the new
/// priority and the importance weights scale the loss.
public final class DQNLoss: Callback {
    public let name = "q"
    public let online: MLP
    public let target: MLP
    public let optimizer: Adam
    public var gamma: Float
    public var doubleDQN: Bool
    public var huber: Bool
    public var maxGradientNorm: Float?
    public let prioritized: PrioritizedSampler?

    private let actionCount: Int
    /// Online activations; with Double DQN of [s; s′] stacked (2 × batch rows), one forward for both.
    private let onlineWorkspace: MLP.Workspace, targetWorkspace: MLP.Workspace
    private var stacked: [Float]
    private var targets: [Float], taken: [Float], dLoss: [Float], dQ: [Float], argmax: [Int32], tdErrors: [Float]

    public init(online: MLP, target: MLP, optimizer: Adam, batchSize: Int, gamma: Float = 0.99,
                doubleDQN: Bool = true, huber: Bool = true, maxGradientNorm: Float? = 10,
                prioritized: PrioritizedSampler? = nil) {
        self.online = online
        self.target = target
        self.optimizer = optimizer
        self.gamma = gamma
        self.doubleDQN = doubleDQN
        self.huber = huber
        self.maxGradientNorm = maxGradientNorm
        self.prioritized = prioritized
        actionCount = online.outputSize
        onlineWorkspace = online.makeWorkspace(maxBatch: 2 * batchSize)
        stacked = Array(repeating: 0, count: 2 * batchSize * online.inputSize)
        targetWorkspace = target.makeWorkspace(maxBatch: batchSize)
        targets = Array(repeating: 0, count: batchSize)
        taken = targets
        dLoss = targets
        tdErrors = targets
        dQ = Array(repeating: 0, count: batchSize * actionCount)
        argmax = Array(repeating: 0, count: batchSize)
    }

    public func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {
        let n = batch.count, a = actionCount, width = online.inputSize
        // Online Q of s (and of s′ for Double DQN, rows n..<2n of the same forward): the rows are
        // independent, so stacking them changes no value and saves a pass of small BLAS calls.
        let onlineRows = doubleDQN ? 2 * n : n
        let q = stacked.withUnsafeMutableBufferPointer { x in
            batch.observations.withUnsafeBufferPointer { x.baseAddress!.update(from: $0.baseAddress!, count: n * width) }
            if doubleDQN {
                batch.nextObservations.withUnsafeBufferPointer { (x.baseAddress! + n * width).update(from: $0.baseAddress!, count: n * width) }
            }
            return online.forward(x.baseAddress!, batch: onlineRows, workspace: onlineWorkspace)
        }
        // Discount per row: an n-step column if the spec has one, else γ.
        let discountOffset = batch.spec.extraOffset("discount")
        batch.nextObservations.withUnsafeBufferPointer { next in
            let nextTarget = target.forward(next.baseAddress!, batch: n, workspace: targetWorkspace)
            argmax.withUnsafeMutableBufferPointer { best in
                let chooser = doubleDQN ? UnsafeBufferPointer(rebasing: q[(n * a)...]) : UnsafeBufferPointer(nextTarget)
                Loss.maxOverActions(chooser, actionCount: a, batch: n, maxima: nil, argmax: best)
            }
            for b in 0..<n {
                let discount = discountOffset.map { batch.extras[b * batch.spec.extrasWidth + $0] } ?? gamma
                targets[b] = batch.rewards[b] + discount * (1 - batch.terminated[b]) * nextTarget[b * a + Int(argmax[b])]
            }
        }
        online.zeroGradients()
        var loss: Float = 0
        var qSum: Float = 0
        batch.actionIndices.withUnsafeBufferPointer { actions in
            let actionView = UnsafeBufferPointer(rebasing: actions[0..<n])
            taken.withUnsafeMutableBufferPointer { Loss.gather(UnsafeBufferPointer(rebasing: q[0..<(n * a)]), actions: actionView, actionCount: a, out: $0) }
            taken.withUnsafeBufferPointer { p in targets.withUnsafeBufferPointer { t in dLoss.withUnsafeMutableBufferPointer { g in
                batch.weights.withUnsafeBufferPointer { w in
                    let pv = UnsafeBufferPointer(rebasing: p[0..<n]), tv = UnsafeBufferPointer(rebasing: t[0..<n])
                    let gv = UnsafeMutableBufferPointer(rebasing: g[0..<n])
                    // Importance weights only with prioritized sampling (uniform batches carry 1s).
                    let wv: UnsafeBufferPointer<Float>? = prioritized == nil ? nil : UnsafeBufferPointer(rebasing: w[0..<n])
                    loss = huber ? Loss.huber(prediction: pv, target: tv, gradient: gv, weights: wv)
                        : Loss.meanSquaredError(prediction: pv, target: tv, gradient: gv, weights: wv)
                }
            } } }
            for b in 0..<n { qSum += taken[b]; tdErrors[b] = abs(taken[b] - targets[b]) }
            dQ.withUnsafeMutableBufferPointer { d in
                d.update(repeating: 0)
                dLoss.withUnsafeBufferPointer { Loss.gatherBackward(dout: UnsafeBufferPointer(rebasing: $0[0..<n]), actions: actionView, actionCount: a, dq: d) }
                online.backward(outputGradient: d.baseAddress!, workspace: onlineWorkspace, rows: n)
            }
        }
        if let maxGradientNorm { clipGradientNorm(online.gradients, maxNorm: maxGradientNorm) }
        optimizer.update(online)
        if let prioritized { try prioritized.updatePriorities(keys: batch.keys, priorities: tdErrors, count: n) }
        state[DQNKeys.loss] = loss
        state[DQNKeys.meanQ] = qSum / Float(n)
    }

    public func stateDict() -> StateDict {
        var dict = StateDict()
        dict.merge(online.stateDict(), prefix: "online")
        dict.merge(target.stateDict(), prefix: "target")
        dict.merge(optimizer.stateDict(layout: online.layout), prefix: "adam")
        dict["gamma"] = Tensor(scalar: Double(gamma))
        return dict
    }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        if loadNetwork {
            try online.loadStateDict(dict.scoped("online"))
            try target.loadStateDict(dict.scoped("target"))
        }
        if loadOptimizer { try optimizer.loadStateDict(dict.scoped("adam"), layout: online.layout, loadHyperparameters: loadHparams) }
        if loadHparams { gamma = Float(try dict.scalar("gamma")) }
    }
}

/// Keeps a target network near the online one: a hard copy every `cycle` updates, or Polyak
/// averaging with `tau` after every update.
public final class TargetNetworkUpdate: Callback {
    public let name = "target_update"
    public let online: MLP
    public let target: MLP
    public let tau: Float?
    public let cycle: Int?
    public var order: Int { 10 }   // after the losses

    /// Hard updates every `every` learner updates.
    public init(online: MLP, target: MLP, every: Int) {
        self.online = online
        self.target = target
        tau = nil
        cycle = every
    }

    /// Polyak averaging after every update.
    public init(online: MLP, target: MLP, tau: Float) {
        self.online = online
        self.target = target
        self.tau = tau
        cycle = nil
    }

    public func endCycle(_ state: inout TrainingState) throws { target.copyParameters(from: online) }

    public func endBatch(_ batch: ReplayBatch, state: inout TrainingState) throws {
        if let tau { target.polyakUpdate(from: online, tau: tau) }
    }
}

/// Publishes the acting network's weights to the collectors every `cycle` updates.
public final class WeightPublishing: Callback {
    public let name = "weight_publisher"
    public let network: MLP
    public let publisher: WeightPublisher
    public let cycle: Int?
    public var order: Int { 20 }

    public init(network: MLP, publisher: WeightPublisher, every: Int) {
        self.network = network
        self.publisher = publisher
        cycle = every
    }

    public func endCycle(_ state: inout TrainingState) throws { publisher.publish(network) }
    public func endTraining(_ state: inout TrainingState) throws { publisher.publish(network) }

    /// The weights the collectors act with (the last published ones, which lag the learner's
    /// by up to `cycle` updates): a resumed run republishes them so acting continues exactly.
    public func stateDict() -> StateDict {
        var dict = StateDict()
        dict["published"] = Tensor(floats: publisher.latest(newerThan: -1)!.parameters)
        return dict
    }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        guard loadNetwork else { return }
        let parameters = try dict.tensor("published").floats(name: "published")
        guard parameters.count == network.parameters.count else {
            throw StateDictError.wrongShape(name: "published", expected: [network.parameters.count], found: [parameters.count])
        }
        publisher.publish(parameters: parameters)
    }
}

/// ε-greedy over a Q network for collectors: ε falls linearly from `initialEpsilon` to
/// `finalEpsilon` over the first `decaySteps` environment steps; the network's weights come
/// from the learner's `WeightPublisher`, picked up between steps.
public final class EpsilonGreedyQAgent: Agent {
    public let network: MLP
    public let publisher: WeightPublisher?
    public let initialEpsilon: Float, finalEpsilon: Float, decaySteps: Int
    private var seenVersion = -1
    private let workspace: MLP.Workspace
    private var argmax: [Int32]

    /// `network` is this collector's own copy (not the learner's).
    public init(network: MLP, publisher: WeightPublisher?, maxBatch: Int,
                initialEpsilon: Float = 1, finalEpsilon: Float = 0.05, decaySteps: Int = 10_000) {
        self.network = network
        self.publisher = publisher
        self.initialEpsilon = initialEpsilon
        self.finalEpsilon = finalEpsilon
        self.decaySteps = decaySteps
        workspace = network.makeWorkspace(maxBatch: maxBatch)
        argmax = Array(repeating: 0, count: maxBatch)
    }

    /// ε after `steps` environment steps.
    public func epsilon(at steps: Int) -> Float {
        let progress = decaySteps > 0 ? min(Float(steps) / Float(decaySteps), 1) : 1
        return initialEpsilon + (finalEpsilon - initialEpsilon) * progress
    }

    public func act(observations: UnsafeBufferPointer<Float>, count: Int, environmentSteps: Int,
                    indices: UnsafeMutableBufferPointer<Int>, values: UnsafeMutableBufferPointer<Float>,
                    rng: inout Xoshiro256) {
        publisher?.refresh(network, seen: &seenVersion)
        let eps = epsilon(at: environmentSteps)
        let q = network.forward(observations.baseAddress!, batch: count, workspace: workspace)
        argmax.withUnsafeMutableBufferPointer {
            Loss.maxOverActions(UnsafeBufferPointer(q), actionCount: network.outputSize, batch: count, maxima: nil, argmax: $0)
        }
        for i in 0..<count {
            indices[i] = rng.nextUnitFloat() < eps ? rng.nextIndex(below: network.outputSize) : Int(argmax[i])
        }
    }
}
