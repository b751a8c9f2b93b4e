import Collectors
import Envs
import Foundation
import Core
import Learner
import Memory
import StateDictIO

/// Transitions into a replay table that the learner samples (DQN, SAC, TD3), after reverb's
/// `Table(sampler:, rate_limiter:)`: the table with a samples-per-insert limit (or, in
/// deterministic mode, a fixed interleave stepped inline), uniform or prioritized sampling
/// (`memory.*`), n-step returns folded by the collectors (`algorithm.n_step`).
public struct ReplayFlow: DataFlow {
    public init() {}

    public var name: String { "replay" }
    public var acceptsRemoteCollectors: Bool { true }
    public var normalizesBatches: Bool { true }
    public var deterministicNeedsOneCollector: Bool { true }

    public var keys: [ConfigKey] { ReplayKeys.all }

    /// Sizes against the capacity, a memory this machine can hold, and prioritized replay only
    /// for a loss that updates priorities.
    public func validate(_ config: ExperimentConfig, environments: EnvironmentRegistry) throws {
        let capacity = config[ReplayKeys.capacity]
        if config[ReplayKeys.batchSize] > capacity {
            throw ConfigError.invalid(path: ReplayKeys.batchSize.path, detail: "\(config[ReplayKeys.batchSize]) exceeds memory.capacity \(capacity)")
        }
        if config[ReplayKeys.minSize] > capacity {
            throw ConfigError.invalid(path: ReplayKeys.minSize.path, detail: "\(config[ReplayKeys.minSize]) exceeds memory.capacity \(capacity)")
        }
        // The replay table is allocated whole at the start, and a checkpoint that saves it makes
        // about two more copies while writing: refuse what this machine cannot hold.
        if let probe = try? environments.make(config[EnvKeys.id]) {
            // Row layout (Memory.ReplayTable): stamp, 2 key words, obs, next obs, action, reward, flags, extras.
            let words = 5 + 2 * probe.observationSpace.size + probe.actionSpace.flatSize + (config[ReplayKeys.nStep] > 1 ? 1 : 0)
            let rowBytes = (words * 4 + 63) / 64 * 64
            let bytes = Double(capacity) * Double(rowBytes)
            let physical = Double(ProcessInfo.processInfo.physicalMemory)
            let savesMemory = config.callbacks.contains { $0.name == "checkpointer" && $0["save_memory"]?.boolValue == true }
            let share = savesMemory ? 0.3 : 0.8
            if bytes > physical * share {
                throw ConfigError.invalid(path: ReplayKeys.capacity.path, detail: String(
                    format: "%d transitions of %d bytes need %.1f GiB; this machine has %.1f GiB, and at most %.0f%% of it may go to the replay memory%@",
                    capacity, rowBytes, bytes / 1_073_741_824, physical / 1_073_741_824, share * 100,
                    savesMemory ? " when checkpoints save it (writing one copies it twice more; save_memory: false lifts this to 80%)" : ""))
            }
        }
        if config[ReplayKeys.prioritized], !config.definition.updatesPriorities {
            throw ConfigError.invalid(path: ReplayKeys.prioritized.path, detail: "\(config.algorithm)'s loss does not update priorities; prioritized replay needs one that does (dqn)")
        }
    }

    public func extras(_ config: ExperimentConfig) -> [ExtraColumn] {
        config[ReplayKeys.nStep] > 1 ? [ExtraColumn(name: "discount")] : []
    }

    public func assemble(_ run: RunAssembly, build: (BuilderContext) throws -> AlgorithmParts) throws -> AssembledFlow {
        let config = run.config
        let batchSize = config[ReplayKeys.batchSize]
        let minSize = max(config[ReplayKeys.minSize], batchSize)
        let updatesPerStep = config[ReplayKeys.updatesPerStep]
        let table = try makeTable(run, batchSize: batchSize, minSize: minSize, updatesPerStep: updatesPerStep)
        // The memory's sampler: uniform (the table's own), or prioritized, the one object the
        // trainer samples with and the algorithm's loss updates.
        let sampler = config[ReplayKeys.prioritized]
            ? PrioritizedSampler(table: table, alpha: config[ReplayKeys.priorityAlpha], beta: config[ReplayKeys.priorityBeta])
            : nil
        var environment = run.environment
        environment.sampler = sampler
        let parts = try build(environment)
        try run.check(parts)
        // The memory keeps raw observations; the agents act on normalised ones (`RunAssembly.agent`).
        let collectors = try (0..<run.collectorCount).map { c in
            let agent = run.agent(parts, forCollector: c)
            return Experiment.replayCollector(config, environments: try run.environments(forCollector: c), agent: agent,
                                              writer: table.makeWriter(blockSize: run.deterministic ? 1 : 64), statistics: run.statistics,
                                              seed: run.collectorSeed(c))
        }
        let source = ReplaySampling(table: table, batchSize: batchSize, minSize: minSize, prioritized: sampler)
        if run.deterministic, let collector = collectors.first {
            // A fixed interleave: before update u the collector has taken minSize + ⌈u / ratio⌉ env steps.
            let statistics = run.statistics
            source.feed = { updates in
                let required = minSize + Int((Double(updates) / updatesPerStep).rounded(.up))
                while statistics.environmentSteps < required || table.insertCount < UInt64(minSize) {
                    if statistics.stopRequested { table.close(); return }
                    try collector.run(steps: 1)
                }
            }
        }
        let checkpoint = MemoryCheckpoint(
            stateDict: {
                var dict = StateDict()
                dict.merge(table.stateDict(), prefix: "memory")
                if let sampler { dict.merge(sampler.stateDict(), prefix: "sampler") }
                return dict
            },
            load: { dict in
                let memory = dict.scoped("memory")
                guard !memory.tensors.isEmpty else { return }
                try table.loadStateDict(memory)
                if let sampler { try sampler.loadStateDict(dict.scoped("sampler")) }
            })
        // In deterministic mode nothing waits: the interleave is fixed.
        let releasable = run.deterministic ? nil : table
        // Prioritized replay's β rises to 1 over the budget.
        let callbacks: [Callback] = sampler.map { [ImportanceSamplingSchedule(
            sampler: $0, initialBeta: config[ReplayKeys.priorityBeta], budget: config[TrainKeys.environmentSteps], statistics: run.statistics)] } ?? []
        return AssembledFlow(
            parts: parts, source: source, collectors: collectors, callbacks: callbacks, checkpoint: checkpoint,
            collectorsRestAtCheckpoints: run.deterministic, remoteTable: table, close: { table.close() },
            releaseLearner: { releasable?.releaseLearner() }, waits: { (Int(table.rateLimitedSamples), Int(table.rateLimitedInserts)) })
    }

    /// The table: `memory.capacity` rows; a samples-per-insert limit of `updates_per_step ×
    /// batch_size` unless the run is deterministic (its interleave is fixed).
    func makeTable(_ run: RunAssembly, batchSize: Int, minSize: Int, updatesPerStep: Double) throws -> ReplayTable {
        let capacity = run.config[ReplayKeys.capacity]
        if run.deterministic { return try ReplayTable(spec: run.spec, capacity: capacity) }
        let samplesPerInsert = updatesPerStep * Double(batchSize)
        // Room for every collector's inserts between two samples, and for two remote batches
        // (each admitted whole) in flight.
        let remote = 2 * Double(run.remoteBatchTransitions)
        return try ReplayTable(spec: run.spec, capacity: capacity, rateLimit: try RateLimit(
            samplesPerInsert: samplesPerInsert, minSizeToSample: minSize,
            errorBuffer: max(Double(batchSize) * 4, samplesPerInsert * max(Double(run.environmentsPerCollector * run.collectorCount) * 4, remote))))
    }
}
