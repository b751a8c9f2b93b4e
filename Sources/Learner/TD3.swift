import Core
import Shared
import Memory
import NN
import SeededRandom
import StateDictIO

/// The metrics TD3 records in the training state (`TrainingState.metrics`).
public enum TD3Keys {
    /// MSE₁ + MSE₂ of the twin critics against the clipped double-Q target (SB3's critic_loss).
    public static let criticLoss = "critic_loss"
    /// −mean Q₁(s, μ(s)), from the latest delayed actor update.
    public static let actorLoss = "actor_loss"
    /// Mean Q₁(s, a) of the batch's stored actions.
    public static let meanQ = "mean_q"
}

/// TD3 (Fujimoto et al. 2018): a deterministic actor μ(s) = tanh(·) ∈ [−1, 1]ᴬ, twin critics and
/// target copies of all three. `TD3CriticLoss` regresses both critics on
/// y = r + γ(1 − terminated) min Q′₁,₂(s′, clip(μ′(s′) + clip(σ̃ε, −c, c), −1, 1)) (target policy
/// smoothing; γ is the row's n-step discount when the spec has one); every `policyDelay`
/// updates `TD3PolicyLoss` follows ∂Q₁/∂a into the actor and `TD3TargetUpdate` moves the three
/// targets by Polyak averaging. The callbacks run in the order of `TD3Model.callbacks`.
public final class TD3Model {
    public let observationSize: Int, actionSize: Int, batchSize: Int
    public let actor: MLP, targetActor: MLP
    public let critic1: MLP, critic2: MLP, target1: MLP, target2: MLP
    public let actorOptimizer: Adam, critic1Optimizer: Adam, critic2Optimizer: Adam
    public var gamma: Float
    /// Critic updates per actor and target update.
    public let policyDelay: Int
    /// σ̃ and c of the target policy smoothing.
    public let targetNoise: Float, targetNoiseClip: Float
    public let tau: Float
    /// The target smoothing's random stream (saved with the critics).
    public var rng: Xoshiro256
    let actorWorkspace: MLP.Workspace, targetActorWorkspace: MLP.Workspace
    let critic1Workspace: MLP.Workspace, critic2Workspace: MLP.Workspace, policyCriticWorkspace: MLP.Workspace
    let targetWorkspace1: MLP.Workspace, targetWorkspace2: MLP.Workspace
    let stateAction: UnsafeMutableBufferPointer<Float>
    let targets: UnsafeMutableBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>
    let dInput: UnsafeMutableBufferPointer<Float>, dActions: UnsafeMutableBufferPointer<Float>

    public init(observationSize: Int, actionSize: Int, hidden: [Int], batchSize: Int, learningRate: Float = 1e-3, gamma: Float = 0.99,
                policyDelay: Int = 2, targetNoise: Float = 0.2, targetNoiseClip: Float = 0.5, tau: Float = 0.005,
                initializer: Initializer = .pytorchDefault, seed: UInt64) {
        precondition(policyDelay >= 1, "policyDelay must be at least 1")
        self.observationSize = observationSize
        self.actionSize = actionSize
        self.batchSize = batchSize
        var rng = Xoshiro256(seed: seed)
        actor = MLP(sizes: [observationSize] + hidden + [actionSize], activation: .relu, outputActivation: .tanh,
                    initializer: initializer, rng: &rng)
        critic1 = MLP(sizes: [observationSize + actionSize] + hidden + [1], activation: .relu, initializer: initializer, rng: &rng)
        critic2 = MLP(sizes: [observationSize + actionSize] + hidden + [1], activation: .relu, initializer: initializer, rng: &rng)
        targetActor = MLP(copying: actor)
        target1 = MLP(copying: critic1)
        target2 = MLP(copying: critic2)
        actorOptimizer = Adam(for: actor, learningRate: learningRate)
        critic1Optimizer = Adam(for: critic1, learningRate: learningRate)
        critic2Optimizer = Adam(for: critic2, learningRate: learningRate)
        self.gamma = gamma
        self.policyDelay = policyDelay
        self.targetNoise = targetNoise
        self.targetNoiseClip = targetNoiseClip
        self.tau = tau
        self.rng = rng.split()
        actorWorkspace = actor.makeWorkspace(maxBatch: batchSize)
        targetActorWorkspace = targetActor.makeWorkspace(maxBatch: batchSize)
        critic1Workspace = critic1.makeWorkspace(maxBatch: batchSize)
        critic2Workspace = critic2.makeWorkspace(maxBatch: batchSize)
        policyCriticWorkspace = critic1.makeWorkspace(maxBatch: batchSize)
        targetWorkspace1 = target1.makeWorkspace(maxBatch: batchSize)
        targetWorkspace2 = target2.makeWorkspace(maxBatch: batchSize)
        stateAction = .allocate(capacity: batchSize * (observationSize + actionSize), repeating: 0)
        targets = .allocate(capacity: batchSize, repeating: 0)
        gradient = .allocate(capacity: batchSize, repeating: 0)
        dInput = .allocate(capacity: batchSize * (observationSize + actionSize), repeating: 0)
        dActions = .allocate(capacity: batchSize * actionSize, repeating: 0)
    }

    deinit { for b in [stateAction, targets, gradient, dInput, dActions] { b.deallocate() } }

    /// The learning callbacks in the order they must run: critics (with the target), the
    /// delayed actor, the delayed target update.
    public var callbacks: [Callback] { [TD3CriticLoss(model: self), TD3PolicyLoss(model: self), TD3TargetUpdate(model: self)] }

    /// Whether the update about to finish (`updates` done before it) is a delayed one.
    func isDelayedUpdate(_ updates: Int) -> Bool { (updates + 1) % policyDelay == 0 }

    /// Writes [s, a] rows into `stateAction`.
    func concatenate(_ s: UnsafeBufferPointer<Float>, _ a: UnsafeBufferPointer<Float>, rows: Int) {
        TwinCritics.concatenate(s, a, rows: rows, observationSize: observationSize, actionSize: actionSize, into: stateAction.baseAddress!)
    }

    var critics: [TwinCritics.Critic] { [(critic1, target1, critic1Optimizer), (critic2, target2, critic2Optimizer)] }
}

/// Both critics' MSE against the clipped double-Q target with target policy smoothing, one Adam
/// step each.
public final class TD3CriticLoss: Callback {
    public let name = "critics"
    let model: TD3Model
    public init(model: TD3Model) { self.model = model }

    public func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {
        let m = model, n = batch.count, a = m.actionSize
        // a′ = clip(μ′(s′) + clip(σ̃ε, −c, c), −1, 1)
        batch.nextObservations.withUnsafeBufferPointer { s in
            let next = m.targetActor.forward(s.baseAddress!, batch: n, workspace: m.targetActorWorkspace)
            for i in 0..<(n * a) {
                let noise = min(max(m.targetNoise * Float(m.rng.nextStandardNormal()), -m.targetNoiseClip), m.targetNoiseClip)
                next[i] = min(max(next[i] + noise, -1), 1)
            }
            m.concatenate(s, UnsafeBufferPointer(next), rows: n)
        }
        let q1 = m.target1.forward(m.stateAction.baseAddress!, batch: n, workspace: m.targetWorkspace1)
        let q2 = m.target2.forward(m.stateAction.baseAddress!, batch: n, workspace: m.targetWorkspace2)
        TDTarget.write(batch, gamma: m.gamma, rows: n, into: m.targets) { b in min(q1[b], q2[b]) }
        batch.observations.withUnsafeBufferPointer { s in batch.actionValues.withUnsafeBufferPointer { av in m.concatenate(s, av, rows: n) } }
        let (loss1, meanQ) = update(m.critic1, m.critic1Optimizer, m.critic1Workspace, rows: n)
        let (loss2, _) = update(m.critic2, m.critic2Optimizer, m.critic2Workspace, rows: n)
        state.record(TD3Keys.criticLoss, Double(loss1 + loss2))
        state.record(TD3Keys.meanQ, Double(meanQ))
    }

    /// One critic's MSE step on the [s, a] rows in `stateAction`; returns its MSE and mean Q.
    private func update(_ network: MLP, _ optimizer: Adam, _ workspace: MLP.Workspace, rows n: Int) -> (Float, Float) {
        let m = model
        network.zeroGradients()
        let q = network.forward(m.stateAction.baseAddress!, batch: n, workspace: workspace)
        let loss = Loss.meanSquaredError(prediction: UnsafeBufferPointer(q), target: UnsafeBufferPointer(rebasing: m.targets[0..<n]),
                                         gradient: UnsafeMutableBufferPointer(rebasing: m.gradient[0..<n]))
        var sum: Float = 0
        for b in 0..<n { sum += q[b] }
        network.backward(outputGradient: m.gradient.baseAddress!, workspace: workspace)
        optimizer.update(network)
        return (loss, sum / Float(n))
    }

    public func stateDict() -> StateDict {
        var dict = TwinCritics.stateDict(model.critics)
        dict["rng"] = Tensor(uint64s: model.rng.stateWords)
        dict["gamma"] = Tensor(scalar: Double(model.gamma))
        return dict
    }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        try TwinCritics.load(dict, into: model.critics, loadNetwork: loadNetwork, loadOptimizer: loadOptimizer, loadHparams: loadHparams)
        if loadOptimizer {
            let words = try dict.tensor("rng").uint64s(name: "rng")
            guard let rng = Xoshiro256(stateWords: words) else { throw StateDictError.wrongShape(name: "rng", expected: [4], found: [words.count]) }
            model.rng = rng
        }
        if loadHparams { model.gamma = Float(try dict.scalar("gamma")) }
    }
}

/// Every `policyDelay` updates: the actor follows ∂Q₁(s, μ(s))/∂a (loss −mean Q₁), one Adam step.
public final class TD3PolicyLoss: Callback {
    public let name = "policy"
    let model: TD3Model
    public init(model: TD3Model) { self.model = model }

    public func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {
        let m = model, n = batch.count, a = m.actionSize, w = m.observationSize + m.actionSize
        guard m.isDelayedUpdate(state.updates) else { return }
        batch.observations.withUnsafeBufferPointer { s in
            let actions = m.actor.forward(s.baseAddress!, batch: n, workspace: m.actorWorkspace)
            m.concatenate(s, UnsafeBufferPointer(actions), rows: n)
        }
        let q = m.critic1.forward(m.stateAction.baseAddress!, batch: n, workspace: m.policyCriticWorkspace)
        var loss: Float = 0
        for b in 0..<n {
            loss -= q[b]
            m.gradient[b] = -1 / Float(n)
        }
        m.critic1.backward(outputGradient: m.gradient.baseAddress!, workspace: m.policyCriticWorkspace,
                           inputGradient: m.dInput.baseAddress!, parameterGradients: false)
        for b in 0..<n {
            for j in 0..<a { m.dActions[b * a + j] = m.dInput[b * w + m.observationSize + j] }
        }
        m.actor.zeroGradients()
        m.actor.backward(outputGradient: m.dActions.baseAddress!, workspace: m.actorWorkspace)   // through the tanh output
        m.actorOptimizer.update(m.actor)
        state.record(TD3Keys.actorLoss, Double(loss / Float(n)))
    }

    public func stateDict() -> StateDict {
        var dict = StateDict()
        dict.merge(model.actor.stateDict(), prefix: "online")
        dict.merge(model.targetActor.stateDict(), prefix: "target")
        dict.merge(model.actorOptimizer.stateDict(layout: model.actor.layout), prefix: "adam")
        return dict
    }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        if loadNetwork {
            try model.actor.loadStateDict(dict.scoped("online"))
            try model.targetActor.loadStateDict(dict.scoped("target"))
        }
        if loadOptimizer { try model.actorOptimizer.loadStateDict(dict.scoped("adam"), layout: model.actor.layout, loadHyperparameters: loadHparams) }
    }
}

/// Every `policyDelay` updates, after the actor's: Polyak averaging of the target actor and
/// both target critics.
public final class TD3TargetUpdate: Callback {
    public let name = "target_update"
    public var phase: CallbackPhase { .targets }
    let model: TD3Model
    public init(model: TD3Model) { self.model = model }

    public func endBatch(_ batch: ReplayBatch, state: inout TrainingState) throws {
        guard model.isDelayedUpdate(state.updates) else { return }
        model.target1.polyakUpdate(from: model.critic1, tau: model.tau)
        model.target2.polyakUpdate(from: model.critic2, tau: model.tau)
        model.targetActor.polyakUpdate(from: model.actor, tau: model.tau)
    }
}

/// A deterministic policy for collectors: a = clip(μ(s) + σε, −1, 1) with ε white (drawn from the
/// collector's stream) or correlated (`noise`), and uniformly random actions for the first
/// `randomSteps` environment steps (SB3's learning_starts). Weights come from the learner's
/// publisher. With σ = 0 and no random steps it is the evaluation policy.
public final class DeterministicPolicyAgent: Agent {
    public let actor: MLP
    public let publisher: WeightPublisher?
    public let sigma: Float
    public let randomSteps: Int
    public let noise: ColoredNoise?
    private var seenVersion = -1
    private let workspace: MLP.Workspace

    public init(actor: MLP, publisher: WeightPublisher?, maxBatch: Int, sigma: Float, randomSteps: Int = 0, noise: ColoredNoise? = nil) {
        precondition(noise.map { $0.streams >= maxBatch * actor.outputSize } ?? true, "one noise stream per environment and action dimension")
        self.actor = actor
        self.publisher = publisher
        self.sigma = sigma
        self.randomSteps = randomSteps
        self.noise = noise
        workspace = actor.makeWorkspace(maxBatch: maxBatch)
    }

    public func act(observations: UnsafeBufferPointer<Float>, count: Int, environmentSteps: Int,
                    indices: UnsafeMutableBufferPointer<Int>, values: UnsafeMutableBufferPointer<Float>,
                    rng: inout Xoshiro256) {
        let width = count * actor.outputSize
        if environmentSteps < randomSteps {
            for i in 0..<width { values[i] = rng.nextUnitFloat() * 2 - 1 }
            return
        }
        publisher?.refresh(actor, seen: &seenVersion)
        let mean = actor.forward(observations.baseAddress!, batch: count, workspace: workspace)
        for i in 0..<width {
            let epsilon: Float = sigma == 0 ? 0 : noise.map { $0.next(stream: i) } ?? Float(rng.nextStandardNormal())
            values[i] = min(max(mean[i] + sigma * epsilon, -1), 1)
        }
    }

    /// The noise streams' state (chunks, positions, generators).
    public func stateDict() -> StateDict { noise?.stateDict() ?? StateDict() }
    public func loadStateDict(_ dict: StateDict) throws { try noise?.load(dict) }
}
