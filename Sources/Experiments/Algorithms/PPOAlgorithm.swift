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
        keys: actorCriticKeys(steps: 32, lambda: 0.8, normalizeAdvantage: true, learningRateSchedule: .linear) + [
            ConfigKey("algorithm.n_epochs", .int(min: 1, max: 1_000), "passes over each rollout", .int(20)),
            ConfigKey("algorithm.clip_range", .float(min: 0, max: nil, minExclusive: true), "ε of the clipped surrogate objective", .float(0.2)),
            ConfigKey("algorithm.clip_range_schedule", .choice(["constant", "linear"]), "clip_range held, or decayed linearly to 0 over train.env_steps",
                      .string("linear")),
            ConfigKey("algorithm.clip_range_vf", .float(min: 0, max: nil, minExclusive: true),
                      "clip the value prediction to old value ± this; null: no value clipping", nullable: true, .null),
            ConfigKey("algorithm.target_kl", .float(min: 0, max: nil, minExclusive: true),
                      "stop a rollout's epochs once the approximate KL exceeds 1.5 × this; null: never", nullable: true, .null),
        ],
        defaults: [
            "algorithm.lr": .float(1e-3), "algorithm.gamma": .float(0.98), "algorithm.batch_size": .int(256),
            "network.hidden": .list([.int(64), .int(64)]), "network.init": .string("orthogonal"),
            "collectors.num_envs": .int(8), "train.env_steps": .int(100_000), "train.eval_every": .int(40),
        ],
        metrics: [PPOKeys.policyLoss, PPOKeys.valueLoss, PPOKeys.entropy, PPOKeys.approximateKL, PPOKeys.clipFraction,
                  PPOKeys.explainedVariance, PPOKeys.learningRate],
        dataFlow: RolloutFlow()
    ) { config, environment in
        try actorCriticParts(config, environment, epochs: config.int("algorithm.n_epochs"), minibatchSize: config.int("algorithm.batch_size"),
                             clipRange: config.double("algorithm.clip_range"),
                             clipRangeSchedule: Schedule(rawValue: config.string("algorithm.clip_range_schedule"))!,
                             valueClipRange: config.optionalDouble("algorithm.clip_range_vf"), targetKL: config.optionalDouble("algorithm.target_kl"))
    }

    /// The keys PPO and A2C share, with their defaults.
    static func actorCriticKeys(steps: Int, lambda: Double, normalizeAdvantage: Bool, learningRateSchedule: Schedule) -> [ConfigKey] { [
        ConfigKey("algorithm.n_steps", .int(min: 1, max: 1_000_000), "vector steps each collector takes per rollout (rollout size: n_steps × num_envs × collectors)",
                  .int(steps)),
        ConfigKey("algorithm.gae_lambda", .float(min: 0, max: 1, minExclusive: false), "λ of generalised advantage estimation", .float(lambda)),
        ConfigKey("algorithm.ent_coef", .float(min: 0, max: nil, minExclusive: false), "weight of the entropy bonus", .float(0)),
        ConfigKey("algorithm.vf_coef", .float(min: 0, max: nil, minExclusive: false), "weight of the value loss", .float(0.5)),
        ConfigKey("algorithm.max_grad_norm", .float(min: 0, max: nil, minExclusive: true),
                  "clip the joint gradient norm of all parameters to this; null: no clipping", nullable: true, .float(0.5)),
        ConfigKey("algorithm.normalize_advantage", .bool, "normalise advantages per minibatch", .bool(normalizeAdvantage)),
        ConfigKey("algorithm.lr_schedule", .choice(["constant", "linear"]), "learning rate held, or decayed linearly to 0 over train.env_steps",
                  .string(learningRateSchedule.rawValue)),
        ConfigKey("algorithm.shared_network", .bool, "one trunk with a policy head and a value head; false: separate actor and critic networks",
                  .bool(false)),
        ConfigKey("algorithm.activation", .choice(Activation.allCases.map(\.rawValue).filter { $0 != "identity" }),
                  "hidden-layer nonlinearity", .string("tanh")),
        ConfigKey("algorithm.log_std_init", .float(min: nil, max: nil, minExclusive: false),
                  "initial log standard deviation of the Gaussian policy (continuous actions)", .float(0)),
    ] }

    /// An actor-critic's parts (PPO's, or A2C's with one epoch over the whole rollout and no clipping).
    static func actorCriticParts(_ config: ExperimentConfig, _ environment: AlgorithmEnvironment, epochs: Int, minibatchSize: Int?,
                                 clipRange: Double?, clipRangeSchedule: Schedule, valueClipRange: Double?, targetKL: Double?) throws -> AlgorithmParts {
        let policy: ActorCritic.Policy
        var actionStart = 0
        switch environment.actionSpace {
        case .discrete(let space): policy = .categorical(n: space.n); actionStart = space.start
        case .box(let box): policy = .gaussian(size: box.size)
        }
        let seed = UInt64(config.int("train.seed"))
        let model = ActorCritic(observationSize: environment.observationSize, policy: policy, hidden: config.ints("network.hidden"),
                                activation: Activation(rawValue: config.string("algorithm.activation"))!,
                                shared: config.bool("algorithm.shared_network"), initializer: AlgorithmParts.initializer(config),
                                learningRate: Float(config.double("algorithm.lr")), initialLogStd: Float(config.double("algorithm.log_std_init")),
                                seed: seed)
        let rolloutSize = config.int("algorithm.n_steps") * config.int("collectors.num_envs") * config.int("collectors.count")
        let loss = PPOLoss(model: model, rolloutSize: rolloutSize, epochs: epochs, minibatchSize: minibatchSize ?? rolloutSize,
                           clipRange: clipRange, clipRangeSchedule: clipRangeSchedule, valueClipRange: valueClipRange,
                           entropyCoefficient: Float(config.double("algorithm.ent_coef")), valueCoefficient: Float(config.double("algorithm.vf_coef")),
                           maxGradientNorm: config.optionalDouble("algorithm.max_grad_norm").map(Float.init),
                           normalizeAdvantages: config.bool("algorithm.normalize_advantage"), targetKL: targetKL,
                           learningRate: config.double("algorithm.lr"), learningRateSchedule: Schedule(rawValue: config.string("algorithm.lr_schedule"))!,
                           budget: config.int("train.env_steps"), seed: deriveSeed(seed, 11))
        return AlgorithmParts(
            spec: AlgorithmParts.transitionSpec(config, environment), learning: [loss],
            rollout: AlgorithmParts.Rollout(steps: config.int("algorithm.n_steps"), lambda: config.double("algorithm.gae_lambda")),
            makeOnPolicyAgent: { maxBatch, _ in ActorCriticAgent(model: model, maxBatch: maxBatch, actionStart: actionStart) },
            evaluationAgent: { deterministic in ActorCriticAgent(model: model, maxBatch: 1, deterministic: deterministic, actionStart: actionStart) })
    }
}
