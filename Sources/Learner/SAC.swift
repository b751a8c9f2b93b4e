import Core
import Shared
import Memory
import NN
import SeededRandom
import StateDictIO
#if canImport(Glibc)
import Glibc
#endif

/// The metrics SAC records in the training state (`TrainingState.metrics`).
public enum SACKeys {
    /// ½ (MSE₁ + MSE₂) of the twin critics against the soft TD target (SB3's critic_loss).
    public static let criticLoss = "critic_loss"
    /// mean(α log π(a|s) − min Q₁,₂(s, a)).
    public static let actorLoss = "actor_loss"
    public static let alpha = "alpha"
    /// −mean log π(a|s) of the batch's reparameterised actions.
    public static let entropy = "entropy"
    /// Mean Q₁(s, a) of the batch's stored actions.
    public static let meanQ = "mean_q"
}

/// Soft Actor-Critic (Haarnoja et al. 2018) as small callbacks sharing one `SACModel`:
/// `SACTarget` computes the soft TD target, one `SACCriticLoss` per critic regresses on it,
/// `SACPolicyLoss` follows the critics' action gradients, `SACAlphaLoss` tunes the entropy
/// coefficient toward −|A|, and `TargetNetworkUpdate(tau:)` moves the target critics.
/// Actions live in [−1, 1]ᴬ (tanh-squashed); collectors rescale them to the environment's box.
public final class SACModel {
    public let observationSize: Int, actionSize: Int, batchSize: Int
    public let actor: MLP, critic1: MLP, critic2: MLP, target1: MLP, target2: MLP
    public let actorOptimizer: Adam, critic1Optimizer: Adam, critic2Optimizer: Adam
    public var gamma: Float
    public var logAlpha: [Float]
    public let alphaOptimizer: Adam
    public var targetEntropy: Float
    public var rng: Xoshiro256
    /// Runs the twin critics' work on two threads when set (`train.learner_threads: 2`);
    /// results are bit-identical either way.
    public var pair: ParallelPair?
    let head: GaussianPolicyHead
    let actorWorkspace: MLP.Workspace
    let critic1Workspace: MLP.Workspace, critic2Workspace: MLP.Workspace
    let critic1PolicyWorkspace: MLP.Workspace, critic2PolicyWorkspace: MLP.Workspace
    let targetWorkspace1: MLP.Workspace, targetWorkspace2: MLP.Workspace
    /// Soft TD targets of the current batch, written by `SACTarget` at update `targetsUpdate`.
    var targets: [Float]
    var targetsUpdate = -1
    /// log π of the current batch's policy actions, written by `SACPolicyLoss` at update
    /// `logProbabilitiesUpdate` (for the α loss).
    var logProbabilities: [Float]
    var logProbabilitiesUpdate = -1

    /// SAC's learning callbacks, all of the loss phase, in the order they run: the soft target
    /// (`beginBatch`), both critics, the policy (which writes log π), α (which reads it; fixed
    /// unless `tuneAlpha`). The Polyak target updates and weight publishing follow in their own
    /// phases. A step that finds its input not written in the same update throws instead of
    /// using a stale one.
    public func callbacks(tuneAlpha: Bool = true) -> [Callback] {
        [SACTarget(model: self), SACCriticLoss(model: self), SACPolicyLoss(model: self), SACAlphaLoss(model: self, tunes: tuneAlpha)]
    }

    /// Thrown when a step's input was not written earlier in the same update.
    public struct OrderError: Error, CustomStringConvertible {
        public let description: String
    }
    var stateAction: [Float]

    public init(observationSize: Int, actionSize: Int, hidden: [Int], batchSize: Int, learningRate: Float = 3e-4,
                gamma: Float = 0.99, initialAlpha: Float = 1, initializer: Initializer = .pytorchDefault, seed: UInt64) {
        self.observationSize = observationSize
        self.actionSize = actionSize
        self.batchSize = batchSize
        var init_ = Xoshiro256(seed: seed)
        actor = MLP(sizes: [observationSize] + hidden + [2 * actionSize], activation: .relu, initializer: initializer, rng: &init_)
        critic1 = MLP(sizes: [observationSize + actionSize] + hidden + [1], activation: .relu, initializer: initializer, rng: &init_)
        critic2 = MLP(sizes: [observationSize + actionSize] + hidden + [1], activation: .relu, initializer: initializer, rng: &init_)
        target1 = MLP(copying: critic1)
        target2 = MLP(copying: critic2)
        actorOptimizer = Adam(for: actor, learningRate: learningRate)
        critic1Optimizer = Adam(for: critic1, learningRate: learningRate)
        critic2Optimizer = Adam(for: critic2, learningRate: learningRate)
        self.gamma = gamma
        logAlpha = [logf(initialAlpha)]
        alphaOptimizer = Adam(parameterCount: 1, learningRate: learningRate)
        targetEntropy = -Float(actionSize)
        rng = init_.split()
        head = GaussianPolicyHead(actionSize: actionSize, maxBatch: batchSize)
        actorWorkspace = actor.makeWorkspace(maxBatch: batchSize)
        critic1Workspace = critic1.makeWorkspace(maxBatch: batchSize)
        critic2Workspace = critic2.makeWorkspace(maxBatch: batchSize)
        critic1PolicyWorkspace = critic1.makeWorkspace(maxBatch: batchSize)
        critic2PolicyWorkspace = critic2.makeWorkspace(maxBatch: batchSize)
        targetWorkspace1 = target1.makeWorkspace(maxBatch: batchSize)
        targetWorkspace2 = target2.makeWorkspace(maxBatch: batchSize)
        targets = Array(repeating: 0, count: batchSize)
        logProbabilities = targets
        stateAction = Array(repeating: 0, count: batchSize * (observationSize + actionSize))
    }

    public var alpha: Float { expf(logAlpha[0]) }

    /// Samples a ~ π(·|s) for `rows` observations (reparameterised, into `head`) and writes the
    /// [s, a] rows into `stateAction`. The actor's workspace keeps this forward for a backward.
    func samplePolicy(_ observations: [Float], rows: Int) {
        observations.withUnsafeBufferPointer { s in
            let raw = actor.forward(s.baseAddress!, batch: rows, workspace: actorWorkspace)
            head.forward(UnsafeBufferPointer(raw), batch: rows, rng: &rng)
            concatenate(s, UnsafeBufferPointer(head.actions), rows: rows)
        }
    }

    /// Writes [s, a] rows (batch, obs + act) into `stateAction`.
    func concatenate(_ s: UnsafeBufferPointer<Float>, _ a: UnsafeBufferPointer<Float>, rows: Int) {
        stateAction.withUnsafeMutableBufferPointer {
            TwinCritics.concatenate(s, a, rows: rows, observationSize: observationSize, actionSize: actionSize, into: $0.baseAddress!)
        }
    }

    var critics: [TwinCritics.Critic] { [(critic1, target1, critic1Optimizer), (critic2, target2, critic2Optimizer)] }

    /// Runs the two critics' pieces at once on `pair`, else one after the other.
    func both(_ first: () -> Void, _ second: () -> Void) {
        if let pair { pair.run(first, second) } else { first(); second() }
    }
}

/// y = r + γ(1 − terminated)(min Q′₁,₂(s′, a′) − α log π(a′|s′)), a′ ~ π(·|s′); γ is the
/// row's `discount` column (γᵏ of an n-step transition) when the spec has one.
public final class SACTarget: Callback {
    public let name = "sac_target"
    let model: SACModel
    public init(model: SACModel) { self.model = model }

    public func beginBatch(_ batch: ReplayBatch, state: inout TrainingState) throws {
        let m = model, n = batch.count
        let alpha = m.alpha
        m.samplePolicy(batch.nextObservations, rows: n)
        m.stateAction.withUnsafeBufferPointer { x in
            var q1: UnsafeMutableBufferPointer<Float>!, q2: UnsafeMutableBufferPointer<Float>!
            m.both({ q1 = m.target1.forward(x.baseAddress!, batch: n, workspace: m.targetWorkspace1) },
                   { q2 = m.target2.forward(x.baseAddress!, batch: n, workspace: m.targetWorkspace2) })
            let logProbabilities = m.head.logProbabilities
            m.targets.withUnsafeMutableBufferPointer { targets in
                // The soft value: the twin minimum minus α log π(a′|s′).
                TDTarget.write(batch, gamma: m.gamma, rows: n, into: targets) { b in min(q1[b], q2[b]) - alpha * logProbabilities[b] }
            }
        }
        m.targetsUpdate = state.updates
    }
}

/// ½·MSE(Qᵢ(s, a), y) for each twin critic, then one Adam step each (SB3's scaling of the
/// twin-critic loss).
public final class SACCriticLoss: Callback {
    public let name = "critics"
    let model: SACModel
    var gradient1: [Float], gradient2: [Float]

    public init(model: SACModel) {
        self.model = model
        gradient1 = Array(repeating: 0, count: model.batchSize)
        gradient2 = gradient1
    }

    public func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {
        let m = model, n = batch.count
        guard m.targetsUpdate == state.updates else {
            throw SACModel.OrderError(description: "SACCriticLoss needs the soft targets of this update: SACTarget must run before it")
        }
        batch.observations.withUnsafeBufferPointer { s in batch.actionValues.withUnsafeBufferPointer { a in m.concatenate(s, a, rows: n) } }
        var loss1: Float = 0, meanQ: Float = 0, loss2: Float = 0
        m.both({ (loss1, meanQ) = self.update(m.critic1, m.critic1Optimizer, m.critic1Workspace, gradient: &self.gradient1, rows: n) },
               { (loss2, _) = self.update(m.critic2, m.critic2Optimizer, m.critic2Workspace, gradient: &self.gradient2, rows: n) })
        state.record(SACKeys.criticLoss, 0.5 * Double(loss1 + loss2))
        state.record(SACKeys.meanQ, Double(meanQ))
    }

    /// One critic's ½·MSE step on the concatenated [s, a] rows; returns its MSE and mean Q.
    private func update(_ network: MLP, _ optimizer: Adam, _ workspace: MLP.Workspace, gradient: inout [Float], rows n: Int) -> (Float, Float) {
        let m = model
        network.zeroGradients()
        let result = m.stateAction.withUnsafeBufferPointer { x in m.targets.withUnsafeBufferPointer { t in gradient.withUnsafeMutableBufferPointer { g in
            let q = network.forward(x.baseAddress!, batch: n, workspace: workspace)
            let loss = Loss.meanSquaredError(prediction: UnsafeBufferPointer(q), target: UnsafeBufferPointer(rebasing: t[0..<n]),
                                             gradient: UnsafeMutableBufferPointer(rebasing: g[0..<n]))
            var sum: Float = 0
            for j in 0..<n { g[j] *= 0.5; sum += q[j] }
            network.backward(outputGradient: UnsafePointer(g.baseAddress!), workspace: workspace)
            return (loss, sum / Float(n))
        } } }
        optimizer.update(network)
        return result
    }

    public func stateDict() -> StateDict { TwinCritics.stateDict(model.critics) }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        try TwinCritics.load(dict, into: model.critics, loadNetwork: loadNetwork, loadOptimizer: loadOptimizer, loadHparams: loadHparams)
    }
}

/// Policy loss mean(α log π(a|s) − min Q₁,₂(s, a)) with a reparameterised a, its gradient
/// taken through the critics' inputs (the critics' parameter gradients are not computed).
public final class SACPolicyLoss: Callback {
    public let name = "policy"
    let model: SACModel
    var dQ1: [Float], dQ2: [Float], dInput1: [Float], dInput2: [Float], dActions: [Float], dLogP: [Float], dRaw: [Float]

    public init(model: SACModel) {
        self.model = model
        let n = model.batchSize, w = model.observationSize + model.actionSize
        dQ1 = Array(repeating: 0, count: n)
        dQ2 = dQ1
        dLogP = dQ1
        dInput1 = Array(repeating: 0, count: n * w)
        dInput2 = dInput1
        dActions = Array(repeating: 0, count: n * model.actionSize)
        dRaw = Array(repeating: 0, count: n * 2 * model.actionSize)
    }

    public func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {
        let m = model, n = batch.count, a = m.actionSize, w = m.observationSize + m.actionSize
        let alpha = m.alpha
        m.samplePolicy(batch.observations, rows: n)
        m.stateAction.withUnsafeBufferPointer { x in
            var v1: UnsafeMutableBufferPointer<Float>!, v2: UnsafeMutableBufferPointer<Float>!
            m.both({ v1 = m.critic1.forward(x.baseAddress!, batch: n, workspace: m.critic1PolicyWorkspace) },
                   { v2 = m.critic2.forward(x.baseAddress!, batch: n, workspace: m.critic2PolicyWorkspace) })
            let scale = 1 / Float(n)
            var loss: Float = 0, logPSum: Float = 0
            for b in 0..<n {
                let firstIsMin = v1[b] <= v2[b]
                dQ1[b] = firstIsMin ? -scale : 0
                dQ2[b] = firstIsMin ? 0 : -scale
                dLogP[b] = alpha * scale
                m.logProbabilities[b] = m.head.logProbabilities[b]
                loss += alpha * m.head.logProbabilities[b] - min(v1[b], v2[b])
                logPSum += m.head.logProbabilities[b]
            }
            m.logProbabilitiesUpdate = state.updates
            state.record(SACKeys.actorLoss, Double(loss * scale))
            state.record(SACKeys.entropy, -Double(logPSum * scale))
            m.both({
                self.dQ1.withUnsafeBufferPointer { g in self.dInput1.withUnsafeMutableBufferPointer {
                    m.critic1.backward(outputGradient: g.baseAddress!, workspace: m.critic1PolicyWorkspace, inputGradient: $0.baseAddress!,
                                       parameterGradients: false)
                } }
            }, {
                self.dQ2.withUnsafeBufferPointer { g in self.dInput2.withUnsafeMutableBufferPointer {
                    m.critic2.backward(outputGradient: g.baseAddress!, workspace: m.critic2PolicyWorkspace, inputGradient: $0.baseAddress!,
                                       parameterGradients: false)
                } }
            })
        }
        for b in 0..<n {
            for j in 0..<a { dActions[b * a + j] = dInput1[b * w + m.observationSize + j] + dInput2[b * w + m.observationSize + j] }
        }
        m.actor.zeroGradients()
        dActions.withUnsafeBufferPointer { da in dLogP.withUnsafeBufferPointer { dl in dRaw.withUnsafeMutableBufferPointer {
            m.head.backward(dActions: UnsafeBufferPointer(rebasing: da[0..<(n * a)]), dLogProbabilities: UnsafeBufferPointer(rebasing: dl[0..<n]),
                            draw: $0)
        } } }
        dRaw.withUnsafeBufferPointer { m.actor.backward(outputGradient: $0.baseAddress!, workspace: m.actorWorkspace) }
        m.actorOptimizer.update(m.actor)
    }

    public func stateDict() -> StateDict {
        var dict = StateDict()
        dict.merge(model.actor.stateDict(), prefix: "online")
        dict.merge(model.actorOptimizer.stateDict(layout: model.actor.layout), prefix: "adam")
        dict["rng"] = Tensor(uint64s: model.rng.stateWords)
        return dict
    }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        if loadNetwork { try model.actor.loadStateDict(dict.scoped("online")) }
        if loadOptimizer { try model.actorOptimizer.loadStateDict(dict.scoped("adam"), layout: model.actor.layout, loadHyperparameters: loadHparams) }
        if let words = try? dict.tensor("rng").uint64s(name: "rng"), let rng = Xoshiro256(stateWords: words) { model.rng = rng }
    }
}

/// Automatic entropy tuning: minimises −log α · mean(log π + H̄), so α grows when the policy's
/// entropy falls below the target H̄ = −|A| and shrinks when it is above.
public final class SACAlphaLoss: Callback {
    public let name = "alpha"
    let model: SACModel
    var gradient: [Float] = [0]
    /// log α as a one-parameter "network", so its Adam state is named like every other.
    static let layout = ParameterLayout(entries: [.init(name: "log_alpha", shape: [1], offset: 0)])
    /// Whether α is tuned; false keeps it at its initial value (SB3's fixed `ent_coef`).
    public let tunes: Bool
    public init(model: SACModel, tunes: Bool = true) {
        self.model = model
        self.tunes = tunes
    }

    public func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {
        guard model.logProbabilitiesUpdate == state.updates else {
            throw SACModel.OrderError(description: "SACAlphaLoss needs this update's log π: SACPolicyLoss must run before it")
        }
        if tunes {
            var sum: Float = 0
            for b in 0..<batch.count { sum += model.logProbabilities[b] + model.targetEntropy }
            gradient[0] = -sum / Float(batch.count)
            model.logAlpha.withUnsafeMutableBufferPointer { p in gradient.withUnsafeBufferPointer { model.alphaOptimizer.update(parameters: p, gradients: $0) } }
        }
        state.record(SACKeys.alpha, Double(model.alpha))
    }

    public func stateDict() -> StateDict {
        var dict = StateDict()
        dict["log_alpha"] = Tensor(floats: model.logAlpha)
        dict.merge(model.alphaOptimizer.stateDict(layout: Self.layout), prefix: "adam")
        dict["target_entropy"] = Tensor(scalar: Double(model.targetEntropy))
        return dict
    }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        if loadNetwork { model.logAlpha = try dict.tensor("log_alpha").floats(name: "log_alpha") }
        if loadOptimizer {
            try model.alphaOptimizer.loadStateDict(dict.scoped("adam"), layout: Self.layout, loadHyperparameters: loadHparams)
        }
        if loadHparams { model.targetEntropy = Float(try dict.scalar("target_entropy")) }
    }
}

/// The stochastic tanh-Gaussian policy for collectors (actions in [−1, 1]ᴬ; the collector
/// rescales them to the environment's box), with weights from the learner's publisher, and
/// uniformly random actions for the first `randomSteps` environment steps (SB3's
/// learning_starts, which fills the memory with uniform actions).
public final class GaussianPolicyAgent: Agent {
    public let actor: MLP
    public let publisher: WeightPublisher?
    public let deterministic: Bool
    /// Correlated exploration noise, one stream per (environment, action dimension); nil for
    /// SAC's own white noise drawn from the collector's stream.
    public let noise: ColoredNoise?
    public let randomSteps: Int
    private var seenVersion = -1
    private let workspace: MLP.Workspace
    private let head: GaussianPolicyHead
    private let epsilon: UnsafeMutableBufferPointer<Float>

    public init(actor: MLP, publisher: WeightPublisher?, maxBatch: Int, deterministic: Bool = false, noise: ColoredNoise? = nil,
                randomSteps: Int = 0) {
        precondition(noise.map { $0.streams >= maxBatch * actor.outputSize / 2 } ?? true, "one noise stream per environment and action dimension")
        self.actor = actor
        self.randomSteps = randomSteps
        self.publisher = publisher
        self.deterministic = deterministic
        self.noise = noise
        workspace = actor.makeWorkspace(maxBatch: maxBatch)
        head = GaussianPolicyHead(actionSize: actor.outputSize / 2, maxBatch: maxBatch)
        epsilon = .allocate(capacity: maxBatch * head.actionSize, repeating: 0)
    }

    deinit { epsilon.deallocate() }

    public func act(observations: UnsafeBufferPointer<Float>, count: Int, environmentSteps: Int,
                    indices: UnsafeMutableBufferPointer<Int>, values: UnsafeMutableBufferPointer<Float>,
                    rng: inout Xoshiro256) {
        if environmentSteps < randomSteps && !deterministic {
            for i in 0..<(count * head.actionSize) { values[i] = rng.nextUnitFloat() * 2 - 1 }
            return
        }
        publisher?.refresh(actor, seen: &seenVersion)
        let raw = actor.forward(observations.baseAddress!, batch: count, workspace: workspace)
        if let noise, !deterministic {
            for i in 0..<(count * head.actionSize) { epsilon[i] = noise.next(stream: i) }
            head.forward(UnsafeBufferPointer(raw), batch: count, noise: UnsafeBufferPointer(epsilon), rng: &rng)
        } else {
            head.forward(UnsafeBufferPointer(raw), batch: count, deterministic: deterministic, rng: &rng)
        }
        for i in 0..<(count * head.actionSize) { values[i] = head.actions[i] }
    }

    /// The noise streams' state (chunks, positions, generators).
    public func stateDict() -> StateDict { noise?.stateDict() ?? StateDict() }
    public func loadStateDict(_ dict: StateDict) throws { try noise?.load(dict) }
}
