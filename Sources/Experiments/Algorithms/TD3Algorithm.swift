import Collectors
import Envs
import Learner
import NN
import SeededRandom

extension Algorithm {
    /// TD3 (Fujimoto et al. 2018): twin critics, target policy smoothing with clipped noise,
    /// delayed actor and target updates (`TD3Model`); collectors act with μ(s) plus Gaussian (or
    /// pink, red) noise, uniformly at random for the first `algorithm.random_steps` steps.
    public static let td3 = Algorithm(
        name: .td3, summary: "TD3: twin critics, target policy smoothing, delayed actor and target updates (continuous actions)",
        actions: .continuous, defaultEnvironment: "Pendulum-v1",
        keys: [
            ConfigKey("algorithm.tau", .float(min: 0, max: 1, minExclusive: true), "Polyak rate for the target networks at each delayed update", .float(0.005)),
            ConfigKey("algorithm.policy_delay", .int(min: 1, max: nil), "critic updates per actor and target update", .int(2)),
            ConfigKey("algorithm.target_noise", .float(min: 0, max: nil, minExclusive: false), "σ of the target policy smoothing noise", .float(0.2)),
            ConfigKey("algorithm.target_noise_clip", .float(min: 0, max: nil, minExclusive: false), "the smoothing noise is clipped to ±this", .float(0.5)),
            ConfigKey("algorithm.action_noise", .float(min: 0, max: nil, minExclusive: false),
                      "σ of the collectors' action noise, in the [−1, 1] action scale", .float(0.1)),
            ConfigKey("algorithm.exploration_noise", .choice(ColoredNoise.explorationColors.map(\.name)),
                      "the action noise's color: white (independent Gaussian), pink (1/f) or red (1/f²), scaled by action_noise", .string("white")),
            ConfigKey("algorithm.random_steps", .int(min: 0, max: nil),
                      "environment steps at the start with uniformly random actions (SB3's learning_starts)", .int(0)),
        ],
        defaults: [
            "algorithm.batch_size": .int(256), "algorithm.updates_per_step": .float(1), "network.hidden": .list([.int(400), .int(300)]),
            "memory.capacity": .int(1_000_000), "memory.min_size": .int(256), "collectors.num_envs": .int(1),
            "collectors.publish_every": .int(1), "train.env_steps": .int(20_000), "train.eval_every": .int(250),
        ],
        metrics: [TD3Keys.criticLoss, TD3Keys.actorLoss, TD3Keys.meanQ]
    ) { config, environment in
        guard case .box(let box) = environment.actionSpace else { preconditionFailure("validated: continuous actions") }
        let model = TD3Model(observationSize: environment.observationSize, actionSize: box.size, hidden: config.ints("network.hidden"),
                             batchSize: config.int("algorithm.batch_size"), learningRate: Float(config.double("algorithm.lr")),
                             gamma: Float(config.double("algorithm.gamma")), policyDelay: config.int("algorithm.policy_delay"),
                             targetNoise: Float(config.double("algorithm.target_noise")),
                             targetNoiseClip: Float(config.double("algorithm.target_noise_clip")),
                             tau: Float(config.double("algorithm.tau")), initializer: AlgorithmParts.initializer(config),
                             seed: UInt64(config.int("train.seed")))
        let publisher = WeightPublisher(initial: model.actor)
        let learning = model.callbacks + [WeightPublishing(network: model.actor, publisher: publisher, every: config.int("collectors.publish_every"))]
        let sigma = Float(config.double("algorithm.action_noise")), randomSteps = config.int("algorithm.random_steps")
        return AlgorithmParts(
            spec: AlgorithmParts.transitionSpec(config, environment), learning: learning,
            makeAgent: { maxBatch, seed in
                DeterministicPolicyAgent(actor: MLP(copying: model.actor), publisher: publisher, maxBatch: maxBatch, sigma: sigma,
                                         randomSteps: randomSteps,
                                         noise: ColoredNoise.exploration(config, streams: maxBatch * box.size,
                                                                         timeLimit: environment.timeLimit, seed: seed))
            },
            evaluationAgent: { deterministic in
                DeterministicPolicyAgent(actor: model.actor, publisher: nil, maxBatch: 1, sigma: deterministic ? 0 : sigma)
            }, weights: publisher)
    }
}
