import Collectors
import Envs
import Learner
import Memory
import NN
import SeededRandom

/// What an algorithm contributes to a run: the transition spec, its learning callbacks (the
/// state a checkpoint saves), the collectors' agents and an evaluation agent.
struct AlgorithmParts {
    let spec: TransitionSpec
    let learning: [Callback]
    /// A collector's agent (its own network copy, fed by the weight publisher), for `maxBatch`
    /// environments, seeded for its own random streams.
    let makeAgent: (_ maxBatch: Int, _ seed: UInt64) -> Agent
    /// An agent acting with the learner's current weights (for evaluation).
    let evaluationAgent: (_ deterministic: Bool) -> Agent

    /// Builds DQN's or SAC's networks and callbacks from a config, for environments with
    /// these spaces and time limit.
    static func build(_ config: ExperimentConfig, observationSize: Int, actionSpace: Space, timeLimit: Int?) throws -> AlgorithmParts {
        let seed = UInt64(config.int("train.seed"))
        let nStep = config.int("algorithm.n_step")
        let extras = nStep > 1 ? [ExtraColumn(name: "discount")] : []
        let lr = Float(config.double("algorithm.lr")), gamma = Float(config.double("algorithm.gamma"))
        let batchSize = config.int("algorithm.batch_size")
        let publishEvery = config.int("collectors.publish_every")
        switch (config.algorithm, actionSpace) {
        case (.dqn, .discrete(let actions)):
            var rng = Xoshiro256(seed: seed)
            let online = MLP(sizes: [observationSize] + config.ints("network.hidden") + [actions.n], activation: .relu, rng: &rng)
            let target = MLP(copying: online)
            let publisher = WeightPublisher(initial: online)
            let targetUpdate = config.optionalDouble("algorithm.tau").map { TargetNetworkUpdate(online: online, target: target, tau: Float($0)) }
                ?? TargetNetworkUpdate(online: online, target: target, every: config.int("algorithm.target_update_every"))
            let learning: [Callback] = [
                DQNLoss(online: online, target: target, optimizer: Adam(for: online, learningRate: lr), batchSize: batchSize,
                        gamma: gamma, doubleDQN: config.bool("algorithm.double_dqn")),
                targetUpdate,
                WeightPublishing(network: online, publisher: publisher, every: publishEvery),
            ]
            let initial = Float(config.double("algorithm.initial_epsilon")), final = Float(config.double("algorithm.final_epsilon"))
            let decay = config.int("algorithm.exploration_steps")
            return AlgorithmParts(
                spec: TransitionSpec(observationSize: observationSize, action: .discrete(n: actions.n), extras: extras),
                learning: learning,
                makeAgent: { maxBatch, _ in
                    EpsilonGreedyQAgent(network: MLP(copying: online), publisher: publisher, maxBatch: maxBatch,
                                        initialEpsilon: initial, finalEpsilon: final, decaySteps: decay)
                },
                evaluationAgent: { deterministic in
                    let epsilon: Float = deterministic ? 0 : final
                    return EpsilonGreedyQAgent(network: online, publisher: nil, maxBatch: 1, initialEpsilon: epsilon,
                                               finalEpsilon: epsilon, decaySteps: 0)
                })
        case (.sac, .box(let box)):
            let model = SACModel(observationSize: observationSize, actionSize: box.size, hidden: config.ints("network.hidden"),
                                 batchSize: batchSize, learningRate: lr, gamma: gamma,
                                 initialAlpha: Float(config.double("algorithm.initial_alpha")), seed: seed)
            if let entropy = config.optionalDouble("algorithm.target_entropy") { model.targetEntropy = Float(entropy) }
            let tau = Float(config.double("algorithm.tau"))
            let publisher = WeightPublisher(initial: model.actor)
            let learning: [Callback] = [
                SACTarget(model: model), SACCriticLoss(model: model),
                SACPolicyLoss(model: model), SACAlphaLoss(model: model),
                TargetNetworkUpdate(online: model.critic1, target: model.target1, tau: tau),
                TargetNetworkUpdate(online: model.critic2, target: model.target2, tau: tau),
                WeightPublishing(network: model.actor, publisher: publisher, every: publishEvery),
            ]
            return AlgorithmParts(
                spec: TransitionSpec(observationSize: observationSize, action: .continuous(size: box.size), extras: extras),
                learning: learning,
                makeAgent: { maxBatch, seed in
                    // Correlated noise in chunks an episode long (Eberhard et al. use the episode length).
                    let exponent = ["white": 0.0, "pink": 1.0, "red": 2.0][config.string("algorithm.exploration_noise")]!
                    var chunk = 4
                    while chunk < (timeLimit ?? 1_000) { chunk *= 2 }
                    let noise = exponent == 0 ? nil : ColoredNoise(exponent: exponent, length: chunk, streams: maxBatch * box.size, seed: seed)
                    return GaussianPolicyAgent(actor: MLP(copying: model.actor), publisher: publisher, maxBatch: maxBatch, noise: noise)
                },
                evaluationAgent: { deterministic in
                    GaussianPolicyAgent(actor: model.actor, publisher: nil, maxBatch: 1, deterministic: deterministic)
                })
        case (.dqn, _):
            throw ConfigError.invalid(path: "algorithm.name", detail: "dqn needs a discrete action space, not \(actionSpace)")
        case (.sac, _):
            throw ConfigError.invalid(path: "algorithm.name", detail: "sac needs a continuous action space, not \(actionSpace)")
        }
    }
}

/// Runs whole evaluation episodes with an agent.
public enum Evaluation {
    /// The returns of `episodes` episodes of environment `id`, episode k reset with seed
    /// `seed + k`. Continuous actions from the agent (in [−1, 1]) are rescaled to the box as
    /// the collectors do.
    public static func returns(of agent: Agent, registry: EnvironmentRegistry, id: String, maxEpisodeSteps: Int?,
                               episodes: Int, seed: UInt64) throws -> [Double] {
        let vector = try VectorEnvironment(registry: registry, id: id, count: 1, seed: seed,
                                           maxEpisodeSteps: maxEpisodeSteps.map { .some($0) } ?? .none)
        let width = vector.actionSpace.flatSize
        var indices = [0], values = [Float](repeating: 0, count: width), scaled = values
        var rng = Xoshiro256(seed: seed ^ 0xE7A1)
        var observation = [Float](repeating: 0, count: vector.observationSize)
        var results: [Double] = []
        for episode in 0..<episodes {
            try vector.reset(seed: seed &+ UInt64(episode))
            while true {
                _ = observation.withUnsafeMutableBufferPointer { $0.update(fromContentsOf: vector.observations) }
                observation.withUnsafeBufferPointer { obs in indices.withUnsafeMutableBufferPointer { idx in values.withUnsafeMutableBufferPointer { vals in
                    agent.act(observations: obs, count: 1, environmentSteps: 0, indices: idx, values: vals, rng: &rng)
                } } }
                switch vector.actionSpace {
                case .discrete:
                    try indices.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
                case .box(let box):
                    for j in 0..<width {
                        let low = box.low[j], high = box.high[j]
                        scaled[j] = low.isFinite && high.isFinite ? low + (values[j] + 1) * 0.5 * (high - low) : values[j]
                    }
                    try scaled.withUnsafeBufferPointer { try vector.step(.continuous($0)) }
                }
                if vector.isDone(0) {
                    results.append(vector.completedReturns[0])
                    break
                }
            }
        }
        return results
    }
}
