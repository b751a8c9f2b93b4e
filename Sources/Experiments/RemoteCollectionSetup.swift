import Collectors
import Core
import Envs
import MuJoCoEnvs
import Memory
import NN
import SeededRandom

/// What a collector process needs to collect for a run whose learner is elsewhere (`rl-train
/// collect`): the run's transition spec, the weight publisher its agents act from (the process
/// publishes the learner's weights into it), and collectors built as the learner would build
/// its own, writing through any `TransitionWriter`.
///
///     let setup = try RemoteCollectionSetup(config)
///     let collector = try setup.makeCollector(seed: 7, writer: remoteWriter, statistics: statistics)
///     setup.weights.publish(parameters: fromTheLearner)
public struct RemoteCollectionSetup {
    public let config: ExperimentConfig
    public let spec: TransitionSpec
    /// Where the collectors' agents take their weights from.
    public let weights: WeightPublisher
    private let parts: AlgorithmParts
    private let registry: EnvironmentRegistry

    /// Builds the algorithm's parts for `config` (the networks start untrained: the collectors
    /// wait for the learner's weights). Throws for what cannot collect remotely.
    public init(_ config: ExperimentConfig, environments: EnvironmentRegistry = .standard) throws {
        guard config.definition.dataFlow.acceptsRemoteCollectors else {
            throw ConfigError.invalid(path: "algorithm.name", detail: "remote collectors feed a replay memory; \(config.algorithm) collects \(config.definition.dataFlow.name) in the learner's process")
        }
        guard !config[EnvKeys.normalizeObservations] else {
            throw ConfigError.invalid(path: "env.normalize_observations", detail: "remote collectors do not carry observation statistics yet")
        }
        registry = try config.environments(from: environments)
        let environment = try Experiment.algorithmEnvironment(config, environments: registry)
        parts = try config.definition.build(config, environment)
        guard let weights = parts.weights else {
            throw ConfigError.invalid(path: "algorithm.name", detail: "\(config.algorithm)'s collectors take no published weights")
        }
        self.config = config
        self.spec = parts.spec
        self.weights = weights
    }

    /// A collector of `collectors.num_envs` environments (`numEnvs` if given), seeded with `seed`,
    /// writing through `writer`.
    public func makeCollector(seed: UInt64, numEnvs: Int? = nil, writer: TransitionWriter, statistics: RunControl) throws -> ReplayCollector {
        let count = numEnvs ?? config[CollectorsKeys.environments]
        return Experiment.replayCollector(config, environments: try Experiment.vectorEnvironment(config, registry: registry, count: count, seed: seed),
                                          agent: parts.makeAgent(count, deriveSeed(seed, 9)), writer: writer, statistics: statistics, seed: seed)
    }
}
