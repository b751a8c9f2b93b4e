import Collectors
import Envs
import Learner
import Memory

/// An algorithm as one registered value (after acme's `ActorLearnerBuilder`): the config keys it
/// adds and the common defaults it changes, the action spaces it can act in, the metrics it
/// publishes, and a builder for its parts. Configs, validation, `rl-train config defaults`,
/// `--algo`, the run identity and runs ask the `AlgorithmRegistry`, never a list of names.
///
///     let linearQ = Algorithm(name: "linear-q", summary: "Q-learning with a linear Q", actions: .discrete,
///                             defaultEnvironment: "CartPole-v1", keys: [], defaults: [:], metrics: ["loss"]) { config, environment in
///         AlgorithmParts(spec: AlgorithmParts.transitionSpec(config, environment), learning: [/* losses, targets */],
///                        makeAgent: { maxBatch, seed in /* the collectors' agent */ },
///                        evaluationAgent: { deterministic in /* the greedy agent */ })
///     }
///     var registry = AlgorithmRegistry.builtIn
///     try registry.register(linearQ)
///     let config = try ExperimentConfig.load(file: "linear-q.yaml", algorithms: registry)
///
/// `Tests/ExperimentsTests/AlgorithmRegistryTests.swift` has the whole of such an algorithm.
public struct Algorithm: Sendable {
    /// The kinds of action spaces an algorithm acts in.
    public enum Actions: String, Sendable {
        case discrete, continuous
        /// Either (a policy head for each).
        case any = "discrete or continuous"

        func accepts(_ space: Space) -> Bool {
            switch (self, space) {
            case (.discrete, .discrete), (.continuous, .box), (.any, _): return true
            default: return false
            }
        }
    }

    public let name: AlgorithmName
    /// One line for `rl-train config algorithms`.
    public let summary: String
    public let actions: Actions
    /// The environment `rl-train train --algo NAME` trains on without a config.
    public let defaultEnvironment: String
    /// The algorithm's own keys (`algorithm.*` paths), with their defaults.
    public let keys: [ConfigKey]
    /// Defaults of common keys that differ for this algorithm, by path.
    public let defaults: [String: ConfigValue]
    /// The names of the scalars its callbacks record (`TrainingState.record`), in display order.
    public let metrics: [String]
    /// How its collectors feed the learner: `ReplayFlow` (transitions into a replay table the
    /// learner samples: DQN, SAC, TD3), `RolloutFlow` (whole rollouts, each taken by one update:
    /// PPO, A2C), or a flow of its own with its own memory.
    public let dataFlow: DataFlow
    /// Whether its loss updates priorities (then `memory.prioritized` may be on: the builder
    /// gets the `PrioritizedSampler` the trainer samples with, in `BuilderContext.sampler`).
    public let updatesPriorities: Bool
    /// Every key of this algorithm's configs (common keys with its defaults, then its own), in
    /// the order configs are written, and by path; computed once here for every config.
    public let schema: [ConfigKey]
    let schemaByPath: [String: ConfigKey]
    let build: @Sendable (_ config: ExperimentConfig, _ environment: BuilderContext) throws -> AlgorithmParts

    public init(name: AlgorithmName, summary: String, actions: Actions, defaultEnvironment: String, keys: [ConfigKey],
                defaults: [String: ConfigValue], metrics: [String], updatesPriorities: Bool = false, dataFlow: DataFlow = ReplayFlow(),
                build: @escaping @Sendable (_ config: ExperimentConfig, _ environment: BuilderContext) throws -> AlgorithmParts) {
        precondition(keys.allSatisfy { $0.section == "algorithm" }, "an algorithm's own keys live in the algorithm section")
        self.name = name
        self.summary = summary
        self.actions = actions
        self.defaultEnvironment = defaultEnvironment
        self.keys = keys
        self.defaults = defaults
        self.metrics = metrics
        self.updatesPriorities = updatesPriorities
        self.dataFlow = dataFlow
        schema = ConfigSchema.keys(own: keys, group: dataFlow.keys, defaults: defaults)
        schemaByPath = Dictionary(uniqueKeysWithValues: schema.map { ($0.path, $0) })
        self.build = build
    }
}

/// What an algorithm's builder knows of the environment it will act in.
public struct BuilderContext {
    public let observationSize: Int
    public let actionSpace: Space
    /// The episode time limit, when there is one.
    public let timeLimit: Int?
    /// The prioritized sampler the trainer draws batches with (`memory.prioritized`), which the
    /// loss must update; nil for uniform sampling (and when building only to evaluate).
    public var sampler: PrioritizedSampler?
}
