import Collectors
import Envs
import Learner
import NN
import SeededRandom

extension Algorithm {
    /// Soft Actor-Critic (Haarnoja et al. 2018): one `SACModel` shared by `SACTarget`,
    /// `SACCriticLoss`, `SACPolicyLoss` and `SACAlphaLoss`, Polyak target updates, and
    /// collectors that sample the tanh-Gaussian policy (with white, pink or red noise).
    public static let sac = Algorithm(
        name: .sac, summary: "Soft Actor-Critic with twin critics and automatic entropy tuning (continuous actions)",
        actions: .continuous, defaultEnvironment: "Pendulum-v1",
        keys: SACConfig.all,
        defaults: [
            "algorithm.batch_size": .int(256), "algorithm.updates_per_step": .float(1), "network.hidden": .list([.int(256), .int(256)]),
            "memory.capacity": .int(1_000_000), "memory.min_size": .int(256), "collectors.num_envs": .int(1),
            "collectors.publish_every": .int(1), "train.env_steps": .int(20_000), "train.eval_every": .int(250),
        ],
        metrics: [SACKeys.criticLoss, SACKeys.actorLoss, SACKeys.alpha, SACKeys.entropy, SACKeys.meanQ]
    ) { config, environment in
        guard case .box(let box) = environment.actionSpace else { preconditionFailure("validated: continuous actions") }
        let model = SACModel(observationSize: environment.observationSize, actionSize: box.size, hidden: config[NetworkKeys.hidden],
                             batchSize: config[ReplayKeys.batchSize], learningRate: Float(config[AlgorithmKeys.learningRate]),
                             gamma: Float(config[AlgorithmKeys.gamma]), initialAlpha: Float(config[SACConfig.initialAlpha]),
                             initializer: AlgorithmParts.initializer(config), seed: UInt64(config[TrainKeys.seed]))
        if let entropy = config[SACConfig.targetEntropy] { model.targetEntropy = Float(entropy) }
        if config[TrainKeys.learnerThreads] > 1 { model.pair = ParallelPair() }
        let tau = Float(config[SACConfig.tau])
        let publisher = WeightPublisher(initial: model.actor)
        let learning: [Callback] = model.callbacks(tuneAlpha: config[SACConfig.tuneAlpha]) + [
            TargetNetworkUpdate(online: model.critic1, target: model.target1, tau: tau),
            TargetNetworkUpdate(online: model.critic2, target: model.target2, tau: tau),
            WeightPublishing(network: model.actor, publisher: publisher, every: config[ReplayKeys.publishEvery]),
        ]
        return AlgorithmParts(
            spec: AlgorithmParts.transitionSpec(config, environment), learning: learning,
            makeAgent: { maxBatch, seed in
                GaussianPolicyAgent(actor: MLP(copying: model.actor), publisher: publisher, maxBatch: maxBatch,
                                    noise: ColoredNoise.exploration(color: config[SACConfig.explorationNoise], streams: maxBatch * box.size,
                                                                    timeLimit: environment.timeLimit, seed: seed),
                                    randomSteps: config[SACConfig.randomSteps])
            },
            evaluationAgent: { deterministic in
                GaussianPolicyAgent(actor: model.actor, publisher: nil, maxBatch: 1, deterministic: deterministic)
            }, weights: publisher)
    }
}

extension ColoredNoise {
    /// The colors `algorithm.exploration_noise` names, with their spectrum's exponent β.
    static let explorationColors: [(name: String, exponent: Double)] = [("white", 0), ("pink", 1), ("red", 2)]

    /// The exploration noise of a color (`algorithm.exploration_noise`) for `streams`
    /// action dimensions, or nil for white noise (the agent's own draws): chunks at least an
    /// episode long, as Eberhard et al. use.
    static func exploration(color: String, streams: Int, timeLimit: Int?, seed: UInt64) -> ColoredNoise? {
        let exponent = explorationColors.first { $0.name == color }!.exponent
        guard exponent != 0 else { return nil }
        var chunk = 4
        while chunk < (timeLimit ?? 1_000) { chunk *= 2 }
        return ColoredNoise(exponent: exponent, length: chunk, streams: streams, seed: seed)
    }
}

/// SAC's own config keys (`algorithm.*`).
public enum SACConfig {
    public static let tau = TypedKey<Double>("algorithm.tau", .float(min: 0, max: 1, minExclusive: true), "Polyak rate for the target critics after every update", .float(0.005))
    public static let initialAlpha = TypedKey<Double>("algorithm.initial_alpha", .float(min: 0, max: nil, minExclusive: true), "entropy coefficient α at the start", .float(1))
    public static let tuneAlpha = TypedKey<Bool>("algorithm.tune_alpha", .bool, "tune α toward target_entropy; false keeps initial_alpha (SB3's fixed ent_coef)", .bool(true))
    public static let targetEntropy = TypedKey<Double?>("algorithm.target_entropy", .float(min: nil, max: nil, minExclusive: false),
                  "entropy α is tuned toward; null: −(action dimensions)", nullable: true, .null)
    public static let explorationNoise = TypedKey<String>("algorithm.exploration_noise", .choice(ColoredNoise.explorationColors.map(\.name)),
                  "the collectors' action noise: white (SAC's own Gaussian draws), pink (1/f, temporally correlated: Eberhard et al. 2023; finds MountainCarContinuous' goal) or red (1/f²)",
                  .string("white"))
    public static let randomSteps = TypedKey<Int>("algorithm.random_steps", .int(min: 0, max: nil),
                  "environment steps at the start with uniformly random actions (SB3's learning_starts fills the memory so)", .int(0))

    /// In the order configs are written.
    public static let all: [ConfigKey] = [tau.key, initialAlpha.key, tuneAlpha.key, targetEntropy.key, explorationNoise.key, randomSteps.key]
}
