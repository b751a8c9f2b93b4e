import Atomics
import Collectors
import Core
import Envs
import MuJoCoEnvs
import Foundation
import Learner
import Memory
import NN
import SeededRandom
import Shared
import StateDictIO

/// How a run is carried out, beside its config.
public struct RunOptions {
    /// The run directory (checkpoints/, metrics.csv, result.json); nil for none.
    public var directory: URL?
    /// A verified checkpoint to resume from (`CheckpointLoader.load`).
    public var resume: StateDict?
    public var environments: EnvironmentRegistry = .standard
    public var callbacks: CallbackRegistry = .builtIn
    /// Called with a progress line's figures every `train.log_every` updates.
    public var progress: ((TrainingProgress) -> Void)?
    /// Callbacks added to the configured ones (custom loggers of a program that embeds runs).
    /// They are not part of the run identity and their state is not checkpointed.
    public var extraCallbacks: [Callback] = []
    /// Makes the service remote collectors join on a port (`collectors.serve`); nil in a build
    /// without the `Remote` trait, where such a config is refused with how to build it.
    public var collectorService: ((_ port: Int) throws -> RemoteCollectorService)?
    /// Ends the run early when requested, as a signal does in rl-train: the trainer leaves its
    /// loop, every callback's `endTraining` runs (a checkpointer writes its final checkpoint),
    /// the collectors are joined, and the result says `StopReason.signal`. The library installs
    /// no signal handler: the program that owns the process decides what requests a stop.
    public var stop: StopRequest?

    public init(directory: URL? = nil, resume: StateDict? = nil, environments: EnvironmentRegistry = .standard,
                callbacks: CallbackRegistry = .builtIn, progress: ((TrainingProgress) -> Void)? = nil) {
        self.directory = directory
        self.resume = resume
        self.environments = environments
        self.callbacks = callbacks
        self.progress = progress
    }
}

/// Errors of a run that are not about a single key of the config.
public enum RunError: Error, CustomStringConvertible {
    case checkpointMismatch(detail: String)
    public var description: String {
        switch self {
        case .checkpointMismatch(let detail): return "the checkpoint does not belong to this run: \(detail)"
        }
    }
}

/// Builds and runs one experiment from a resolved config: environments, replay table (with a
/// samples-per-insert limit, or a fixed interleave in deterministic mode), collectors, the
/// algorithm's callbacks, evaluation, progress, the configured callbacks (checkpointer,
/// metrics), then a final evaluation.
///
///     let config = try ExperimentConfig.defaults(.dqn)
///     let result = try Experiment.run(config)
public enum Experiment {
    /// Builds the run (its data flow, parts, evaluation and callbacks), restores it from
    /// `options.resume`, trains it and reports its result.
    public static func run(_ config: ExperimentConfig, options: RunOptions = RunOptions()) throws -> RunResult {
        if let directory = options.directory { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        BLAS.setThreads(config[TrainKeys.blasThreads])
        defer { BLAS.setThreads(1) }
        let run = try AssembledRun(config, options: options)
        let resumedFrom = try run.restore(options.resume)
        let stoppedBy = try run.train()
        return try run.report(stoppedBy: stoppedBy, resumedFrom: resumedFrom)
    }

    /// What the config's algorithm is built for: its environment's spaces and time limit (and no
    /// sampler yet: the run sets it once the memory exists).
    static func algorithmEnvironment(_ config: ExperimentConfig, environments: EnvironmentRegistry) throws -> BuilderContext {
        let id = config[EnvKeys.id]
        let probe = try environments.make(id)
        guard config.definition.actions.accepts(probe.actionSpace) else {
            throw ConfigError.invalid(path: "algorithm.name", detail: "\(config.algorithm) needs a \(config.definition.actions.rawValue) action space, not \(probe.actionSpace)")
        }
        if !config.definition.dataFlow.scalesRewards, config[EnvKeys.normalizeRewards] {
            throw ConfigError.invalid(path: "env.normalize_rewards", detail: "reward scaling is implemented for on-policy algorithms (\(AlgorithmRegistry.builtIn.names { $0.dataFlow.scalesRewards }.joined(separator: ", "))); \(config.algorithm) learns from \(config.definition.dataFlow.name) (env.normalize_observations works for it)")
        }
        let timeLimit = try config[EnvKeys.maxEpisodeSteps] ?? environments.spec(id).maxEpisodeSteps
        return BuilderContext(observationSize: probe.observationSpace.size, actionSpace: probe.actionSpace, timeLimit: timeLimit,
                                    sampler: nil)
    }

    /// `count` environments of the config's `env.id` (with its time limit), the first reset with `seed`.
    static func vectorEnvironment(_ config: ExperimentConfig, registry: EnvironmentRegistry, count: Int, seed: UInt64) throws -> VectorEnvironment {
        let maxEpisodeSteps: Int?? = config[EnvKeys.maxEpisodeSteps].map { .some($0) } ?? .none
        return try VectorEnvironment(registry: registry, id: config[EnvKeys.id], count: count, seed: seed, maxEpisodeSteps: maxEpisodeSteps)
    }

    /// A replay collector of the config (its n-step returns and γ), in this process or another one.
    static func replayCollector(_ config: ExperimentConfig, environments: VectorEnvironment, agent: Agent, writer: TransitionWriter,
                                statistics: RunControl, seed: UInt64) -> ReplayCollector {
        ReplayCollector(environments: environments, agent: agent, writer: writer, statistics: statistics, seed: seed,
                  nStep: config[ReplayKeys.nStep], gamma: Float(config[AlgorithmKeys.gamma]))
    }

    /// The run's observation and reward normalisation (`env.normalize_*`), or nil when neither is on.
    static func makeNormalization(_ config: ExperimentConfig, observationSize: Int, segments: Int) -> Normalization? {
        let observations = config[EnvKeys.normalizeObservations], rewards = config[EnvKeys.normalizeRewards]
        guard observations || rewards else { return nil }
        return Normalization(observationSize: observationSize, observations: observations, rewards: rewards, segments: segments)
    }

    /// The callbacks whose state is the policy's: the algorithm's, and the normalisation
    /// statistics that belong with its networks (replay algorithms also normalise their batches).
    static func learningCallbacks(_ parts: AlgorithmParts, _ config: ExperimentConfig, _ normalization: Normalization?) -> [Callback] {
        parts.learning + (normalization.map { [NormalizationUpdate(normalization: $0, normalizesBatches: config.definition.dataFlow.normalizesBatches)] } ?? [])
    }

    /// `agent` seeing normalised observations when the run normalises them.
    static func normalizingAgent(_ agent: Agent, _ normalization: Normalization?) -> Agent {
        guard let normalization, normalization.normalizesObservations else { return agent }
        return NormalizingAgent(agent, normalization: normalization)
    }

    /// The environment id and time limit evaluations use: the `eval` section's, else training's.
    static func evaluationEnvironment(_ config: ExperimentConfig) -> (id: String, maxEpisodeSteps: Int?) {
        (config[EvalKeys.environmentID] ?? config[EnvKeys.id],
         config[EvalKeys.maxEpisodeSteps] ?? config[EnvKeys.maxEpisodeSteps])
    }

    /// Evaluates a checkpoint's policy: rebuilds the networks from `config` (the one stored
    /// in the checkpoint or its run directory), loads their weights, and runs the `eval`
    /// section's episodes (or `episodes`).
    public static func evaluate(checkpoint: StateDict, config: ExperimentConfig, episodes: Int? = nil, seed: UInt64? = nil,
                                environments base: EnvironmentRegistry = .standard) throws -> [Double] {
        let environments = try config.environments(from: base)
        let environment = try algorithmEnvironment(config, environments: environments)
        let parts = try config.definition.build(config, environment)
        let normalization = makeNormalization(config, observationSize: environment.observationSize, segments: 1)
        let learning = learningCallbacks(parts, config, normalization)
        try LearnerCheckpoint.loadCallbacks(checkpoint, into: learning, networksOnly: true)
        let (evalID, evalSteps) = evaluationEnvironment(config)
        return try Evaluation.returns(of: normalizingAgent(parts.evaluationAgent(config[EvalKeys.deterministic]), normalization),
                                      registry: environments, id: evalID,
                                      maxEpisodeSteps: evalSteps,
                                      episodes: episodes ?? config[EvalKeys.episodes], seed: seed ?? deriveSeed(UInt64(config[TrainKeys.seed]), 6))
    }
}
