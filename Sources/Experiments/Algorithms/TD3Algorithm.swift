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
        keys: TD3Config.all,
        defaults: [
            "algorithm.batch_size": .int(256), "algorithm.updates_per_step": .float(1), "network.hidden": .list([.int(400), .int(300)]),
            "memory.capacity": .int(1_000_000), "memory.min_size": .int(256), "collectors.num_envs": .int(1),
            "collectors.publish_every": .int(1), "train.env_steps": .int(20_000), "train.eval_every": .int(250),
        ],
        metrics: [TD3Keys.criticLoss, TD3Keys.actorLoss, TD3Keys.meanQ]
    ) { config, environment in
        guard case .box(let box) = environment.actionSpace else { preconditionFailure("validated: continuous actions") }
        let model = TD3Model(observationSize: environment.observationSize, actionSize: box.size, hidden: config[NetworkKeys.hidden],
                             batchSize: config[ReplayKeys.batchSize], learningRate: Float(config[AlgorithmKeys.learningRate]),
                             gamma: Float(config[AlgorithmKeys.gamma]), policyDelay: config[TD3Config.policyDelay],
                             targetNoise: Float(config[TD3Config.targetNoise]),
                             targetNoiseClip: Float(config[TD3Config.targetNoiseClip]),
                             tau: Float(config[TD3Config.tau]), initializer: AlgorithmParts.initializer(config),
                             seed: UInt64(config[TrainKeys.seed]))
        let publisher = WeightPublisher(initial: model.actor)
        let learning = model.callbacks + [WeightPublishing(network: model.actor, publisher: publisher, every: config[ReplayKeys.publishEvery])]
        let sigma = Float(config[TD3Config.actionNoise]), randomSteps = config[TD3Config.randomSteps]
        return AlgorithmParts(
            spec: AlgorithmParts.transitionSpec(config, environment), learning: learning,
            makeAgent: { maxBatch, seed in
                DeterministicPolicyAgent(actor: MLP(copying: model.actor), publisher: publisher, maxBatch: maxBatch, sigma: sigma,
                                         randomSteps: randomSteps,
                                         noise: ColoredNoise.exploration(color: config[TD3Config.explorationNoise], streams: maxBatch * box.size,
                                                                         timeLimit: environment.timeLimit, seed: seed))
            },
            evaluationAgent: { deterministic in
                DeterministicPolicyAgent(actor: model.actor, publisher: nil, maxBatch: 1, sigma: deterministic ? 0 : sigma)
            }, weights: publisher)
    }
}

/// TD3's own config keys (`algorithm.*`).
public enum TD3Config {
    public static let tau = TypedKey<Double>("algorithm.tau", .float(min: 0, max: 1, minExclusive: true), "Polyak rate for the target networks at each delayed update", .float(0.005))
    public static let policyDelay = TypedKey<Int>("algorithm.policy_delay", .int(min: 1, max: nil), "critic updates per actor and target update", .int(2))
    public static let targetNoise = TypedKey<Double>("algorithm.target_noise", .float(min: 0, max: nil, minExclusive: false), "σ of the target policy smoothing noise", .float(0.2))
    public static let targetNoiseClip = TypedKey<Double>("algorithm.target_noise_clip", .float(min: 0, max: nil, minExclusive: false), "the smoothing noise is clipped to ±this", .float(0.5))
    public static let actionNoise = TypedKey<Double>("algorithm.action_noise", .float(min: 0, max: nil, minExclusive: false),
                  "σ of the collectors' action noise, in the [−1, 1] action scale", .float(0.1))
    public static let explorationNoise = TypedKey<String>("algorithm.exploration_noise", .choice(ColoredNoise.explorationColors.map(\.name)),
                  "the action noise's color: white (independent Gaussian), pink (1/f) or red (1/f²), scaled by action_noise", .string("white"))
    public static let randomSteps = TypedKey<Int>("algorithm.random_steps", .int(min: 0, max: nil),
                  "environment steps at the start with uniformly random actions (SB3's learning_starts)", .int(0))

    /// In the order configs are written.
    public static let all: [ConfigKey] = [tau.key, policyDelay.key, targetNoise.key, targetNoiseClip.key, actionNoise.key, explorationNoise.key, randomSteps.key]
}
