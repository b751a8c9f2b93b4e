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
        keys: [
            ConfigKey("algorithm.double_dqn", .bool, "choose the next action with the online network", .bool(true)),
            ConfigKey("algorithm.target_update_every", .int(min: 1, max: nil), "updates between hard target-network copies (when tau is null)", .int(128)),
            ConfigKey("algorithm.tau", .float(min: 0, max: 1, minExclusive: true),
                      "Polyak rate for the target network after every update; null: hard copies every target_update_every", nullable: true, .null),
            ConfigKey("algorithm.initial_epsilon", .float(min: 0, max: 1, minExclusive: false), "ε-greedy: ε at the start", .float(1)),
            ConfigKey("algorithm.final_epsilon", .float(min: 0, max: 1, minExclusive: false), "ε-greedy: ε after exploration_steps", .float(0.04)),
            ConfigKey("algorithm.exploration_steps", .int(min: 0, max: nil), "ε-greedy: environment steps over which ε falls linearly", .int(8_000)),
        ],
        defaults: [
            "algorithm.batch_size": .int(64), "algorithm.updates_per_step": .float(0.5), "network.hidden": .list([.int(64), .int(64)]),
            "memory.capacity": .int(100_000), "memory.min_size": .int(1_000), "collectors.num_envs": .int(4),
            "collectors.publish_every": .int(10), "train.env_steps": .int(50_000), "train.eval_every": .int(1_000),
        ],
        metrics: [DQNKeys.loss, DQNKeys.meanQ, DQNKeys.epsilon],
        updatesPriorities: true
    ) { config, environment in
        guard case .discrete(let actions) = environment.actionSpace else { preconditionFailure("validated: discrete actions") }
        var rng = Xoshiro256(seed: UInt64(config.int("train.seed")))
        let online = MLP(sizes: [environment.observationSize] + config.ints("network.hidden") + [actions.n], activation: .relu,
                         initializer: AlgorithmParts.initializer(config), rng: &rng)
        let target = MLP(copying: online)
        let publisher = WeightPublisher(initial: online)
        let targetUpdate = config.optionalDouble("algorithm.tau").map { TargetNetworkUpdate(online: online, target: target, tau: Float($0)) }
            ?? TargetNetworkUpdate(online: online, target: target, every: config.int("algorithm.target_update_every"))
        let schedule = EpsilonSchedule(initial: Float(config.double("algorithm.initial_epsilon")), final: Float(config.double("algorithm.final_epsilon")),
                                       decaySteps: config.int("algorithm.exploration_steps"))
        let learning: [Callback] = [
            DQNLoss(online: online, target: target, optimizer: Adam(for: online, learningRate: Float(config.double("algorithm.lr"))),
                    batchSize: config.int("algorithm.batch_size"), gamma: Float(config.double("algorithm.gamma")),
                    doubleDQN: config.bool("algorithm.double_dqn"), prioritized: environment.sampler, schedule: schedule),
            targetUpdate,
            WeightPublishing(network: online, publisher: publisher, every: config.int("collectors.publish_every")),
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
