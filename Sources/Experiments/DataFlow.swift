import Collectors
import Core
import Envs
import Learner
import Memory
import SeededRandom
import StateDictIO

/// How an algorithm's collectors feed its learner in a run: the memory, the collectors that
/// fill it, and the batches the trainer takes from it. An algorithm names its flow
/// (`Algorithm.dataFlow`); the built-in ones are `ReplayFlow` (DQN, SAC, TD3: a replay table
/// with its rate limiter and sampler) and `RolloutFlow` (PPO, A2C: whole rollouts). A new kind of
/// data, such as the sequences recurrent policies learn from, is a new flow and memory: the
/// run only builds it, restores it, trains from it and stops it.
public protocol DataFlow: Sendable {
    /// A short name for messages ("replay", "rollouts").
    var name: String { get }
    /// The config keys of the flow, which every algorithm with this flow has besides the
    /// common ones and its own (`ReplayKeys` for replay); a config of another flow has none
    /// of them, in its file or its identity.
    var keys: [ConfigKey] { get }
    /// Checks what its keys' single ranges cannot, before any run directory exists (with the
    /// environments the config names).
    func validate(_ config: ExperimentConfig, environments: EnvironmentRegistry) throws
    /// The extra columns its transitions carry (the n-step discount, a rollout's log π, value,
    /// advantage and return).
    func extras(_ config: ExperimentConfig) -> [ExtraColumn]
    /// Makes the run's memory, then the algorithm's parts with `build` (a loss may need what the
    /// memory made, as the prioritized sampler), then the collectors and the trainer's source.
    func assemble(_ run: RunAssembly, build: (BuilderContext) throws -> AlgorithmParts) throws -> AssembledFlow

    /// Whether collectors in other processes can feed it (`collectors.serve`).
    var acceptsRemoteCollectors: Bool { get }
    /// Whether it can scale rewards (`env.normalize_rewards`: by the running discounted return,
    /// which on-policy collectors track; a replay memory keeps raw rewards).
    var scalesRewards: Bool { get }
    /// Whether the learner normalises each batch it obtains (a replay memory keeps raw
    /// observations; rollout collectors store normalised ones).
    var normalizesBatches: Bool { get }
    /// Whether deterministic mode needs exactly one collector.
    var deterministicNeedsOneCollector: Bool { get }
}

extension DataFlow {
    public var keys: [ConfigKey] { [] }
    public func validate(_ config: ExperimentConfig, environments: EnvironmentRegistry) throws {}
    public var acceptsRemoteCollectors: Bool { false }
    public var scalesRewards: Bool { false }
    public var normalizesBatches: Bool { false }
    public var deterministicNeedsOneCollector: Bool { false }
}

/// What a data flow is assembled from: the run's config, environments, counters and seeds.
public struct RunAssembly {
    public let config: ExperimentConfig
    /// The algorithm's view of the environment (spaces, time limit; no sampler yet).
    public let environment: BuilderContext
    /// The transitions' spec: the environment's spaces with the flow's extras.
    public let spec: TransitionSpec
    public let statistics: RunControl
    /// Collector threads (`collectors.count`) and environments per collector (`collectors.num_envs`).
    public let collectorCount: Int, environmentsPerCollector: Int
    /// Deterministic mode: one interleave of collecting and learning, stepped inline.
    public let deterministic: Bool
    /// The run's observation and reward normalisation, when it has one.
    public let normalization: Normalization?
    /// The most transitions one remote collector's batch carries (0 without remote collectors):
    /// a rate limit must leave room for two.
    public let remoteBatchTransitions: Int
    let registry: EnvironmentRegistry
    let seed: UInt64

    /// Collector c's seed: its environments reset with it (environment j with seed + j).
    public func collectorSeed(_ c: Int) -> UInt64 { deriveSeed(seed, 1, UInt64(c)) }

    /// Collector c's environments.
    public func environments(forCollector c: Int) throws -> VectorEnvironment {
        try Experiment.vectorEnvironment(config, registry: registry, count: environmentsPerCollector, seed: collectorSeed(c))
    }

    /// Collector c's agent from the algorithm's parts (its own random streams), acting on
    /// normalised observations and recording the raw ones when the run normalises them.
    public func agent(_ parts: AlgorithmParts, forCollector c: Int) -> Agent {
        let agent = parts.makeAgent(environmentsPerCollector, deriveSeed(collectorSeed(c), 9))
        guard let normalization else { return agent }
        return NormalizingAgent(agent, normalization: normalization, recording: c)
    }

    /// Refuses parts whose transitions are not the memory's.
    public func check(_ parts: AlgorithmParts) throws {
        guard parts.spec == spec else {
            throw ConfigError.invalid(path: "algorithm.name", detail: "\(config.algorithm)'s builder made transition spec \(parts.spec), the run's memory holds \(spec)")
        }
    }
}

/// A data flow assembled for one run.
public struct AssembledFlow {
    public var parts: AlgorithmParts
    /// Where the trainer's batches come from (in deterministic mode it steps the collectors inline).
    public var source: BatchSource
    /// The collector threads (started by the run unless it is deterministic).
    public var collectors: [CollectorThread]
    /// Callbacks of the flow itself for the learner's loop (prioritized replay's β schedule).
    public var callbacks: [Callback]
    /// What a checkpoint saves of the memory (the replay table and its sampler's priorities,
    /// under `extra.memory` and `extra.sampler`); nil when nothing outlives an update (a rollout).
    public var checkpoint: MemoryCheckpoint?
    /// Whether the collectors rest whenever a checkpoint is written (always in deterministic
    /// mode; on-policy between a rollout and the learner's next take).
    public var collectorsRestAtCheckpoints: Bool
    /// The replay table remote collectors insert into (nil: this flow takes none).
    public var remoteTable: ReplayTable?
    /// Ends the collection: the memory closes, so collectors and a learner waiting on it wake.
    public var close: () -> Void
    /// A stop while the learner waits for data: its wait ends, the collectors may go on.
    public var releaseLearner: @Sendable () -> Void
    /// How often the learner waited for the collectors, and the collectors for the learner
    /// (rate-limited samples and inserts), when the memory counts them.
    public var waits: () -> (learner: Int?, collectors: Int?)

    public init(parts: AlgorithmParts, source: BatchSource, collectors: [CollectorThread], callbacks: [Callback] = [], checkpoint: MemoryCheckpoint? = nil,
                collectorsRestAtCheckpoints: Bool, remoteTable: ReplayTable? = nil, close: @escaping () -> Void,
                releaseLearner: @escaping @Sendable () -> Void = {}, waits: @escaping () -> (learner: Int?, collectors: Int?) = { (nil, nil) }) {
        self.parts = parts
        self.source = source
        self.collectors = collectors
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.collectorsRestAtCheckpoints = collectorsRestAtCheckpoints
        self.remoteTable = remoteTable
        self.close = close
        self.releaseLearner = releaseLearner
        self.waits = waits
    }
}

/// How a memory's contents go into a checkpoint and come back.
public struct MemoryCheckpoint {
    public var stateDict: () -> StateDict
    /// Loads `stateDict()`'s tensors (an empty dict: the checkpoint did not save the memory).
    public var load: (StateDict) throws -> Void
    public init(stateDict: @escaping () -> StateDict, load: @escaping (StateDict) throws -> Void) {
        self.stateDict = stateDict
        self.load = load
    }
}
