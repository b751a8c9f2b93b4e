import Core
import Shared
import Memory
import NN
import SeededRandom
import StateDictIO

/// The metrics DQN records in the training state (`TrainingState.metrics`).
public enum DQNKeys {
    /// The batch's (importance-weighted) Huber or squared TD loss.
    public static let loss = "loss"
    /// Mean Q(s, a) of the batch's actions.
    public static let meanQ = "mean_q"
    /// The collectors' ε at the current environment step.
    public static let epsilon = "epsilon"
}

/// ε-greedy exploration: ε falls linearly from `initial` to `final` over the first `decaySteps`
/// environment steps.
public struct EpsilonSchedule: Sendable {
    public let initial: Float, final: Float, decaySteps: Int
    public init(initial: Float = 1, final: Float = 0.05, decaySteps: Int = 10_000) {
        self.initial = initial
        self.final = final
        self.decaySteps = decaySteps
    }

    /// ε after `steps` environment steps.
    public func epsilon(at steps: Int) -> Float {
        let progress = decaySteps > 0 ? min(Float(steps) / Float(decaySteps), 1) : 1
        return initial + (final - initial) * progress
    }
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
    /// The collectors' exploration schedule, recorded as the "epsilon" metric.
    public let schedule: EpsilonSchedule?

    private let actionCount: Int
    /// Online activations; with Double DQN of [s; s′] stacked (2 × batch rows), one forward for both.
    private let onlineWorkspace: MLP.Workspace, targetWorkspace: MLP.Workspace
    /// Per-batch scratch, allocated once. Raw buffers rather than arrays: every access to an
    /// array stored in a class is a dynamically checked exclusive access, and those checks cost
    /// about 3% of an update at batch 64.
    private let stacked: UnsafeMutableBufferPointer<Float>
    private let targets: UnsafeMutableBufferPointer<Float>, taken: UnsafeMutableBufferPointer<Float>
    private let dLoss: UnsafeMutableBufferPointer<Float>, tdErrors: UnsafeMutableBufferPointer<Float>
    private let dQ: UnsafeMutableBufferPointer<Float>, argmax: UnsafeMutableBufferPointer<Int32>

    public init(online: MLP, target: MLP, optimizer: Adam, batchSize: Int, gamma: Float = 0.99,
                doubleDQN: Bool = true, huber: Bool = true, maxGradientNorm: Float? = 10,
                prioritized: PrioritizedSampler? = nil, schedule: EpsilonSchedule? = nil) {
        self.online = online
        self.target = target
        self.optimizer = optimizer
        self.gamma = gamma
        self.doubleDQN = doubleDQN
        self.huber = huber
        self.maxGradientNorm = maxGradientNorm
        self.prioritized = prioritized
        self.schedule = schedule
        actionCount = online.outputSize
        onlineWorkspace = online.makeWorkspace(maxBatch: 2 * batchSize)
        targetWorkspace = target.makeWorkspace(maxBatch: batchSize)
        stacked = .allocate(capacity: 2 * batchSize * online.inputSize, repeating: 0)
        targets = .allocate(capacity: batchSize, repeating: 0)
        taken = .allocate(capacity: batchSize, repeating: 0)
        dLoss = .allocate(capacity: batchSize, repeating: 0)
        tdErrors = .allocate(capacity: batchSize, repeating: 0)
        dQ = .allocate(capacity: batchSize * actionCount, repeating: 0)
        argmax = .allocate(capacity: batchSize, repeating: 0)
    }

    deinit {
        for buffer in [stacked, targets, taken, dLoss, tdErrors, dQ] { buffer.deallocate() }
        argmax.deallocate()
    }

    public func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {
        let n = batch.count, a = actionCount, width = online.inputSize
        precondition(n <= targets.count, "a batch of \(n) exceeds the \(targets.count) rows this loss was built for")
        let observations = batch.observations, nextObservations = batch.nextObservations
        let actions = batch.actionIndices, weights = batch.weights
        // Online Q of s (and of s′ for Double DQN, rows n..<2n of the same forward): the rows are
        // independent, so stacking them changes no value and saves a pass of small BLAS calls.
        let onlineRows = doubleDQN ? 2 * n : n
        let x = stacked.baseAddress!
        observations.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: n * width) }
        if doubleDQN { nextObservations.withUnsafeBufferPointer { (x + n * width).update(from: $0.baseAddress!, count: n * width) } }
        let q = UnsafeBufferPointer(online.forward(x, batch: onlineRows, workspace: onlineWorkspace))
        let nextTarget = nextObservations.withUnsafeBufferPointer {
            UnsafeBufferPointer(target.forward($0.baseAddress!, batch: n, workspace: targetWorkspace))
        }
        let chooser = doubleDQN ? UnsafeBufferPointer(rebasing: q[(n * a)...]) : nextTarget
        Loss.maxOverActions(chooser, actionCount: a, batch: n, maxima: nil, argmax: argmax)
        TDTarget.write(batch, gamma: gamma, rows: n, into: targets) { b in nextTarget[b * a + Int(argmax[b])] }
        online.zeroGradients()
        var qSum: Float = 0
        let loss = actions.withUnsafeBufferPointer { actionBuffer -> Float in
            let actionView = UnsafeBufferPointer(rebasing: actionBuffer[0..<n])
            Loss.gather(UnsafeBufferPointer(rebasing: q[0..<(n * a)]), actions: actionView, actionCount: a, out: taken)
            let pv = UnsafeBufferPointer(rebasing: taken[0..<n]), tv = UnsafeBufferPointer(rebasing: targets[0..<n])
            let gv = UnsafeMutableBufferPointer(rebasing: dLoss[0..<n])
            let loss = weights.withUnsafeBufferPointer { w -> Float in
                // Importance weights only with prioritized sampling (uniform batches carry 1s).
                let wv: UnsafeBufferPointer<Float>? = prioritized == nil ? nil : UnsafeBufferPointer(rebasing: w[0..<n])
                return huber ? Loss.huber(prediction: pv, target: tv, gradient: gv, weights: wv)
                    : Loss.meanSquaredError(prediction: pv, target: tv, gradient: gv, weights: wv)
            }
            for b in 0..<n { qSum += taken[b]; tdErrors[b] = abs(taken[b] - targets[b]) }
            let d = UnsafeMutableBufferPointer(rebasing: dQ[0..<(n * a)])
            d.update(repeating: 0)
            Loss.gatherBackward(dout: UnsafeBufferPointer(gv), actions: actionView, actionCount: a, dq: d)
            online.backward(outputGradient: d.baseAddress!, workspace: onlineWorkspace, rows: n)
            return loss
        }
        if let maxGradientNorm { clipGradientNorm(online.gradients, maxNorm: maxGradientNorm) }
        optimizer.update(online)
        if let prioritized {
            try prioritized.updatePriorities(keys: batch.keys, priorities: UnsafeBufferPointer(tdErrors), count: n)
        }
        state.record(DQNKeys.loss, Double(loss))
        state.record(DQNKeys.meanQ, Double(qSum / Float(n)))
        if let schedule { state.record(DQNKeys.epsilon, Double(schedule.epsilon(at: state.environmentSteps))) }
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
    public var phase: CallbackPhase { .targets }

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
    public var phase: CallbackPhase { .publish }

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

/// ε-greedy over a Q network for collectors, ε following an `EpsilonSchedule` of the
/// collectors' environment steps; the network's weights come from the learner's
/// `WeightPublisher`, picked up between steps.
public final class EpsilonGreedyQAgent: Agent {
    public let network: MLP
    public let publisher: WeightPublisher?
    public let schedule: EpsilonSchedule
    private var seenVersion = -1
    private let workspace: MLP.Workspace
    private var argmax: [Int32]

    /// `network` is this collector's own copy (not the learner's).
    public init(network: MLP, publisher: WeightPublisher?, maxBatch: Int, schedule: EpsilonSchedule = EpsilonSchedule()) {
        self.network = network
        self.publisher = publisher
        self.schedule = schedule
        workspace = network.makeWorkspace(maxBatch: maxBatch)
        argmax = Array(repeating: 0, count: maxBatch)
    }

    /// ε after `steps` environment steps.
    public func epsilon(at steps: Int) -> Float { schedule.epsilon(at: steps) }

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
