import Collectors
import Envs
import Learner
import NN
import SeededRandom

extension Algorithm {
    /// DQN (Mnih et al. 2015), Double DQN by default: `DQNLoss`, `TargetNetworkUpdate` (hard
    /// copies or Polyak), `WeightPublishing`; collectors act ε-greedily.
    public static let dqn = Algorithm(
        name: .dqn, summary: "DQN / Double DQN with Huber loss, target network and ε-greedy collectors (discrete actions)",
        actions: .discrete, defaultEnvironment: "CartPole-v1",
        keys: DQNConfig.all,
        defaults: [
            "algorithm.batch_size": .int(64), "algorithm.updates_per_step": .float(0.5), "network.hidden": .list([.int(64), .int(64)]),
            "memory.capacity": .int(100_000), "memory.min_size": .int(1_000), "collectors.num_envs": .int(4),
            "collectors.publish_every": .int(10), "train.env_steps": .int(50_000), "train.eval_every": .int(1_000),
        ],
        metrics: [DQNKeys.loss, DQNKeys.meanQ, DQNKeys.epsilon],
        updatesPriorities: true
    ) { config, environment in
        guard case .discrete(let actions) = environment.actionSpace else { preconditionFailure("validated: discrete actions") }
        var rng = Xoshiro256(seed: UInt64(config[TrainKeys.seed]))
        let online = MLP(sizes: [environment.observationSize] + config[NetworkKeys.hidden] + [actions.n], activation: .relu,
                         initializer: AlgorithmParts.initializer(config), rng: &rng)
        let target = MLP(copying: online)
        let publisher = WeightPublisher(initial: online)
        let targetUpdate = config[DQNConfig.tau].map { TargetNetworkUpdate(online: online, target: target, tau: Float($0)) }
            ?? TargetNetworkUpdate(online: online, target: target, every: config[DQNConfig.targetUpdateEvery])
        let schedule = EpsilonSchedule(initial: Float(config[DQNConfig.initialEpsilon]), final: Float(config[DQNConfig.finalEpsilon]),
                                       decaySteps: config[DQNConfig.explorationSteps])
        let learning: [Callback] = [
            DQNLoss(online: online, target: target, optimizer: Adam(for: online, learningRate: Float(config[AlgorithmKeys.learningRate])),
                    batchSize: config[ReplayKeys.batchSize], gamma: Float(config[AlgorithmKeys.gamma]),
                    doubleDQN: config[DQNConfig.doubleDQN], prioritized: environment.sampler, schedule: schedule),
            targetUpdate,
            WeightPublishing(network: online, publisher: publisher, every: config[ReplayKeys.publishEvery]),
        ]
        return AlgorithmParts(
            spec: AlgorithmParts.transitionSpec(config, environment), learning: learning,
            makeAgent: { maxBatch, _ in
                EpsilonGreedyQAgent(network: MLP(copying: online), publisher: publisher, maxBatch: maxBatch, schedule: schedule)
            },
            evaluationAgent: { deterministic in
                let epsilon: Float = deterministic ? 0 : schedule.final
                return EpsilonGreedyQAgent(network: online, publisher: nil, maxBatch: 1,
                                           schedule: EpsilonSchedule(initial: epsilon, final: epsilon, decaySteps: 0))
            }, weights: publisher)
    }
}

/// DQN's own config keys (`algorithm.*`).
public enum DQNConfig {
    public static let doubleDQN = TypedKey<Bool>("algorithm.double_dqn", .bool, "choose the next action with the online network", .bool(true))
    public static let targetUpdateEvery = TypedKey<Int>("algorithm.target_update_every", .int(min: 1, max: nil), "updates between hard target-network copies (when tau is null)", .int(128))
    public static let tau = TypedKey<Double?>("algorithm.tau", .float(min: 0, max: 1, minExclusive: true),
                  "Polyak rate for the target network after every update; null: hard copies every target_update_every", nullable: true, .null)
    public static let initialEpsilon = TypedKey<Double>("algorithm.initial_epsilon", .float(min: 0, max: 1, minExclusive: false), "ε-greedy: ε at the start", .float(1))
    public static let finalEpsilon = TypedKey<Double>("algorithm.final_epsilon", .float(min: 0, max: 1, minExclusive: false), "ε-greedy: ε after exploration_steps", .float(0.04))
    public static let explorationSteps = TypedKey<Int>("algorithm.exploration_steps", .int(min: 0, max: nil), "ε-greedy: environment steps over which ε falls linearly", .int(8_000))

    /// In the order configs are written.
    public static let all: [ConfigKey] = [doubleDQN.key, targetUpdateEvery.key, tau.key, initialEpsilon.key, finalEpsilon.key, explorationSteps.key]
}
