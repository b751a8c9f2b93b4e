import Collectors
import Core
import Envs
import Learner
import Memory
import SeededRandom

/// Whole rollouts into a `RolloutBuffer` (PPO, A2C): each collector fills its segment of the
/// builder's `AlgorithmParts.Rollout` steps and computes its advantages (GAE with its λ), the
/// learner takes the rollout as one batch and the collectors rest until its next take. The
/// collectors' agents are on-policy (`AlgorithmParts(makeOnPolicyAgent:)`): they report log π
/// and V with each action.
public struct RolloutFlow: DataFlow {
    public init() {}

    public var name: String { "rollouts" }
    public var scalesRewards: Bool { true }

    /// A minibatch larger than the rollout it is drawn from is refused before any directory
    /// exists (it would silently train on the whole rollout at once).
    public func validate(_ config: ExperimentConfig, environments: EnvironmentRegistry) throws {
        guard config.keysByPath[PPOConfig.batchSize.path]?.doc == PPOConfig.batchSize.key.doc else { return }
        let rollout = config[ActorCriticConfig.nSteps] * config[CollectorsKeys.environments] * max(config[CollectorsKeys.count], 1)
        if config[PPOConfig.batchSize] > rollout {
            throw ConfigError.invalid(path: PPOConfig.batchSize.path, detail: "the minibatch of \(config[PPOConfig.batchSize]) rows is larger than the rollout it is drawn from: \(rollout) rows (algorithm.n_steps \(config[ActorCriticConfig.nSteps]) × collectors.num_envs \(config[CollectorsKeys.environments]) × collectors.count \(max(config[CollectorsKeys.count], 1)))")
        }
    }

    public func extras(_ config: ExperimentConfig) -> [ExtraColumn] { RolloutBuffer.extras }

    public func assemble(_ run: RunAssembly, build: (BuilderContext) throws -> AlgorithmParts) throws -> AssembledFlow {
        let config = run.config
        let parts = try build(run.environment)
        try run.check(parts)
        guard let makeAgent = parts.makeOnPolicyAgent, let rollout = parts.rollout else {
            throw ConfigError.invalid(path: "algorithm.name", detail: "\(config.algorithm) collects rollouts but its builder gave no on-policy agent and rollout shape (AlgorithmParts(rollout:makeOnPolicyAgent:evaluationAgent:))")
        }
        let buffer = RolloutBuffer(observationSize: run.spec.observationSize, action: run.spec.action, segments: run.collectorCount,
                                   environments: run.environmentsPerCollector, steps: rollout.steps)
        let gamma = Float(config[AlgorithmKeys.gamma]), lambda = Float(rollout.lambda)
        let collectors = try (0..<run.collectorCount).map { c in
            let seed = run.collectorSeed(c)
            return RolloutCollector(environments: try run.environments(forCollector: c),
                                    agent: makeAgent(run.environmentsPerCollector, deriveSeed(seed, 9)), buffer: buffer, segment: c,
                                    statistics: run.statistics, normalization: run.normalization, seed: seed, gamma: gamma, lambda: lambda)
        }
        let source = RolloutTaking(buffer: buffer)
        // Deterministic mode: every collector fills its segment inline before each take.
        if run.deterministic { source.feed = { _ in for collector in collectors { try collector.collectRollout() } } }
        return AssembledFlow(parts: parts, source: source, collectors: collectors, collectorsRestAtCheckpoints: true,
                             close: { buffer.close() })
    }
}
