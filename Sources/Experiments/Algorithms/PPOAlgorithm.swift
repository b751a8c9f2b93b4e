import Collectors
import Envs
import Learner
import Memory
import NN
import SeededRandom

extension Algorithm {
    /// Proximal policy optimisation (Schulman et al. 2017): on-policy rollouts through the
    /// collector threads, GAE(λ), the clipped surrogate objective with an entropy bonus and a
    /// (optionally clipped) value loss, several epochs of shuffled minibatches per rollout.
    /// Defaults are rl-zoo's CartPole-v1 hyperparameters; `algorithm.batch_size` is the minibatch.
    public static let ppo = Algorithm(
        name: .ppo, summary: "Proximal Policy Optimization with GAE, clipped objective and optional normalisation (discrete or continuous actions)",
        actions: .any, defaultEnvironment: "CartPole-v1",
        keys: actorCriticKeys(steps: 32, lambda: 0.8, normalizeAdvantage: true, learningRateSchedule: .linear) + PPOConfig.all,
        defaults: [
            "algorithm.lr": .float(1e-3), "algorithm.gamma": .float(0.98),
            "network.hidden": .list([.int(64), .int(64)]), "network.init": .string("orthogonal"),
            "collectors.num_envs": .int(8), "train.env_steps": .int(100_000), "train.eval_every": .int(40),
            // An update is a whole rollout here: cadences counted in updates are set so that a
            // run of a few hundred rollouts prints, writes metrics, TensorBoard points and
            // periodic checkpoints (with the shared defaults, in thousands of updates, it wrote none).
            "train.log_every": .int(10), "callbacks.metrics.every": .int(2), "callbacks.tensorboard.every": .int(1),
            "callbacks.checkpointer.every": .int(50), "callbacks.episodes.every": .int(10),
        ],
        metrics: [PPOKeys.policyLoss, PPOKeys.valueLoss, PPOKeys.entropy, PPOKeys.approximateKL, PPOKeys.clipFraction,
                  PPOKeys.explainedVariance, PPOKeys.learningRate],
        dataFlow: RolloutFlow()
    ) { config, environment in
        try actorCriticParts(config, environment, epochs: config[PPOConfig.epochs], minibatchSize: config[PPOConfig.batchSize],
                             clipRange: config[PPOConfig.clipRange],
                             clipRangeSchedule: Schedule(rawValue: config[PPOConfig.clipRangeSchedule])!,
                             valueClipRange: config[PPOConfig.valueClipRange], targetKL: config[PPOConfig.targetKL])
    }

    /// The keys PPO and A2C share, with their defaults.
    static func actorCriticKeys(steps: Int, lambda: Double, normalizeAdvantage: Bool, learningRateSchedule: Schedule) -> [ConfigKey] {
        typealias Keys = ActorCriticConfig
        return [Keys.nSteps.key.withDefault(.int(steps)), Keys.gaeLambda.key.withDefault(.float(lambda)), Keys.entropyCoefficient.key,
                Keys.valueCoefficient.key, Keys.maxGradientNorm.key, Keys.normalizeAdvantage.key.withDefault(.bool(normalizeAdvantage)),
                Keys.learningRateSchedule.key.withDefault(.string(learningRateSchedule.rawValue)), Keys.sharedNetwork.key, Keys.activation.key,
                Keys.logStdInit.key]
    }

    /// An actor-critic's parts (PPO's, or A2C's with one epoch over the whole rollout and no clipping).
    static func actorCriticParts(_ config: ExperimentConfig, _ environment: BuilderContext, epochs: Int, minibatchSize: Int?,
                                 clipRange: Double?, clipRangeSchedule: Schedule, valueClipRange: Double?, targetKL: Double?) throws -> AlgorithmParts {
        let policy: ActorCritic.Policy
        var actionStart = 0
        switch environment.actionSpace {
        case .discrete(let space): policy = .categorical(n: space.n); actionStart = space.start
        case .box(let box): policy = .gaussian(size: box.size)
        }
        let seed = UInt64(config[TrainKeys.seed])
        let model = ActorCritic(observationSize: environment.observationSize, policy: policy, hidden: config[NetworkKeys.hidden],
                                activation: Activation(rawValue: config[ActorCriticConfig.activation])!,
                                shared: config[ActorCriticConfig.sharedNetwork], initializer: AlgorithmParts.initializer(config),
                                learningRate: Float(config[AlgorithmKeys.learningRate]), initialLogStd: Float(config[ActorCriticConfig.logStdInit]),
                                seed: seed)
        let rolloutSize = config[ActorCriticConfig.nSteps] * config[CollectorsKeys.environments] * config[CollectorsKeys.count]
        let loss = PPOLoss(model: model, rolloutSize: rolloutSize, epochs: epochs, minibatchSize: minibatchSize ?? rolloutSize,
                           clipRange: clipRange, clipRangeSchedule: clipRangeSchedule, valueClipRange: valueClipRange,
                           entropyCoefficient: Float(config[ActorCriticConfig.entropyCoefficient]), valueCoefficient: Float(config[ActorCriticConfig.valueCoefficient]),
                           maxGradientNorm: config[ActorCriticConfig.maxGradientNorm].map(Float.init),
                           normalizeAdvantages: config[ActorCriticConfig.normalizeAdvantage], targetKL: targetKL,
                           learningRate: config[AlgorithmKeys.learningRate], learningRateSchedule: Schedule(rawValue: config[ActorCriticConfig.learningRateSchedule])!,
                           budget: config[TrainKeys.environmentSteps], seed: deriveSeed(seed, 11))
        return AlgorithmParts(
            spec: AlgorithmParts.transitionSpec(config, environment), learning: [loss],
            rollout: AlgorithmParts.Rollout(steps: config[ActorCriticConfig.nSteps], lambda: config[ActorCriticConfig.gaeLambda]),
            makeOnPolicyAgent: { maxBatch, _ in ActorCriticAgent(model: model, maxBatch: maxBatch, actionStart: actionStart) },
            evaluationAgent: { deterministic in ActorCriticAgent(model: model, maxBatch: 1, deterministic: deterministic, actionStart: actionStart) })
    }
}

/// The config keys PPO and A2C share (`algorithm.*`); `Algorithm.actorCriticKeys` gives each its defaults.
public enum ActorCriticConfig {
    public static let nSteps = TypedKey<Int>("algorithm.n_steps", .int(min: 1, max: 1_000_000),
                                             "vector steps each collector takes per rollout (rollout size: n_steps × num_envs × collectors)", .int(32))
    public static let gaeLambda = TypedKey<Double>("algorithm.gae_lambda", .float(min: 0, max: 1, minExclusive: false), "λ of generalised advantage estimation", .float(0.95))
    public static let entropyCoefficient = TypedKey<Double>("algorithm.ent_coef", .float(min: 0, max: nil, minExclusive: false), "weight of the entropy bonus", .float(0))
    public static let valueCoefficient = TypedKey<Double>("algorithm.vf_coef", .float(min: 0, max: nil, minExclusive: false), "weight of the value loss", .float(0.5))
    public static let maxGradientNorm = TypedKey<Double?>("algorithm.max_grad_norm", .float(min: 0, max: nil, minExclusive: true),
                                                          "clip the joint gradient norm of all parameters to this; null: no clipping", nullable: true, .float(0.5))
    public static let normalizeAdvantage = TypedKey<Bool>("algorithm.normalize_advantage", .bool, "normalise advantages per minibatch", .bool(true))
    public static let learningRateSchedule = TypedKey<String>("algorithm.lr_schedule", .choice(["constant", "linear"]),
                                                              "learning rate held, or decayed linearly to 0 over train.env_steps", .string("constant"))
    public static let sharedNetwork = TypedKey<Bool>("algorithm.shared_network", .bool,
                                                     "one trunk with a policy head and a value head; false: separate actor and critic networks", .bool(false))
    public static let activation = TypedKey<String>("algorithm.activation", .choice(Activation.allCases.map(\.rawValue).filter { $0 != "identity" }),
                                                    "hidden-layer nonlinearity", .string("tanh"))
    public static let logStdInit = TypedKey<Double>("algorithm.log_std_init", .float(min: nil, max: nil, minExclusive: false),
                                                    "initial log standard deviation of the Gaussian policy (continuous actions)", .float(0))
}

/// PPO's own config keys (`algorithm.*`) beside the actor-critic ones.
public enum PPOConfig {
    /// PPO's minibatch (A2C takes the whole rollout): its own key, not the replay batch.
    public static let batchSize = TypedKey<Int>("algorithm.batch_size", .int(min: 1, max: nil), "minibatch size: rows of the rollout per gradient step", .int(256))
    public static let epochs = TypedKey<Int>("algorithm.n_epochs", .int(min: 1, max: 1_000), "passes over each rollout", .int(20))
    public static let clipRange = TypedKey<Double>("algorithm.clip_range", .float(min: 0, max: nil, minExclusive: true), "ε of the clipped surrogate objective", .float(0.2))
    public static let clipRangeSchedule = TypedKey<String>("algorithm.clip_range_schedule", .choice(["constant", "linear"]),
                                                           "clip_range held, or decayed linearly to 0 over train.env_steps", .string("linear"))
    public static let valueClipRange = TypedKey<Double?>("algorithm.clip_range_vf", .float(min: 0, max: nil, minExclusive: true),
                                                         "clip the value prediction to old value ± this; null: no value clipping", nullable: true, .null)
    public static let targetKL = TypedKey<Double?>("algorithm.target_kl", .float(min: 0, max: nil, minExclusive: true),
                                                   "stop a rollout's epochs once the approximate KL exceeds 1.5 × this; null: never", nullable: true, .null)

    /// In the order configs are written.
    public static let all: [ConfigKey] = [epochs.key, batchSize.key, clipRange.key, clipRangeSchedule.key, valueClipRange.key, targetKL.key]
}
