import Atomics
import Collectors
import Core
import Envs
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
    public var environments: EnvironmentRegistry = .builtIn
    public var callbacks: CallbackRegistry = .builtIn
    /// Called with a progress line's figures every `train.log_every` updates.
    public var progress: ((TrainingProgress) -> Void)?
    /// Callbacks added to the configured ones (custom loggers of a program that embeds runs).
    /// They are not part of the run identity and their state is not checkpointed.
    public var extraCallbacks: [Callback] = []
    /// Makes the service remote collectors join on a port (`collectors.serve`); nil in a build
    /// without the `Remote` trait, where such a config is refused with how to build it.
    public var collectorService: ((_ port: Int) throws -> CollectorService)?
    /// Ends the run early when requested, as a signal does in rl-train: the trainer leaves its
    /// loop, every callback's `endTraining` runs (a checkpointer writes its final checkpoint),
    /// the collectors are joined, and the result says `StopReason.signal`. The library installs
    /// no signal handler: the program that owns the process decides what requests a stop.
    public var stop: StopRequest?

    public init(directory: URL? = nil, resume: StateDict? = nil, environments: EnvironmentRegistry = .builtIn,
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
    public static func run(_ config: ExperimentConfig, options: RunOptions = RunOptions()) throws -> RunResult {
        let registry = try config.environments(from: options.environments)
        if let directory = options.directory { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        let envID = config.string("env.id")
        let seed = UInt64(config.int("train.seed"))
        BLAS.setThreads(config.int("train.blas_threads"))
        defer { BLAS.setThreads(1) }

        let deterministic = config.bool("train.deterministic")
        let collectorCount = config.int("collectors.count"), numEnvs = config.int("collectors.num_envs")
        var environment = try algorithmEnvironment(config, environments: registry)
        let spec = AlgorithmParts.transitionSpec(config, environment)
        let statistics = RunControl()
        // Environment j of collector c resets with seed deriveSeed(seed, 1, c) + j.
        func vectorEnvironment(_ c: Int) throws -> VectorEnvironment {
            try Self.vectorEnvironment(config, registry: registry, count: numEnvs, seed: deriveSeed(seed, 1, UInt64(c)))
        }
        func checkSpec(_ parts: AlgorithmParts) throws {
            guard parts.spec == spec else {
                throw ConfigError.invalid(path: "algorithm.name", detail: "\(config.algorithm)'s builder made transition spec \(parts.spec), the run's memory holds \(spec)")
            }
        }
        let parts: AlgorithmParts
        let collectors: [CollectorThread]
        var table: ReplayTable?
        var rollouts: RolloutBuffer?
        var sampler: PrioritizedSampler?
        var normalization: Normalization?
        var batchSize = 0, minSize = 0, updatesPerStep = 0.0
        var service: CollectorService?
        if let port = config.optionalInt("collectors.serve") {
            guard let make = options.collectorService else { throw CollectorServiceError.notBuilt }
            service = try make(port)
        }
        switch config.definition.collection {
        case .replay:
            batchSize = config.int("algorithm.batch_size")
            minSize = max(config.int("memory.min_size"), batchSize)
            updatesPerStep = config.double("algorithm.updates_per_step")
            let capacity = config.int("memory.capacity")
            let replay: ReplayTable
            if deterministic {
                replay = try ReplayTable(spec: spec, capacity: capacity)   // the interleave is fixed; no limiter needed
            } else {
                let samplesPerInsert = updatesPerStep * Double(batchSize)
                // Room for every collector's inserts between two samples, and for two remote batches
                // (each admitted whole) in flight.
                let remote = 2 * Double(service?.maxBatchTransitions ?? 0)
                replay = try ReplayTable(spec: spec, capacity: capacity, rateLimit: try RateLimit(
                    samplesPerInsert: samplesPerInsert, minSizeToSample: minSize,
                    errorBuffer: max(Double(batchSize) * 4, samplesPerInsert * max(Double(numEnvs * collectorCount) * 4, remote))))
            }
            table = replay
            // The memory's sampler: uniform (the table's own), or prioritized, the one object the
            // trainer samples with and the algorithm's loss updates.
            sampler = config.bool("memory.prioritized")
                ? PrioritizedSampler(table: replay, alpha: config.double("memory.priority_alpha"), beta: config.double("memory.priority_beta"))
                : nil
            environment.sampler = sampler
            parts = try config.definition.build(config, environment)
            try checkSpec(parts)
            normalization = makeNormalization(config, observationSize: spec.observationSize, segments: collectorCount)
            collectors = try (0..<collectorCount).map { c in
                let collectorSeed = deriveSeed(seed, 1, UInt64(c))
                var agent = parts.makeAgent(numEnvs, deriveSeed(collectorSeed, 9))
                // The memory keeps raw observations; the agent acts on normalised ones and adds what it sees to the statistics.
                if let normalization { agent = NormalizingAgent(agent, normalization: normalization, recording: c) }
                return Self.replayCollector(config, environments: try vectorEnvironment(c), agent: agent,
                                            writer: replay.makeWriter(blockSize: deterministic ? 1 : 64), statistics: statistics, seed: collectorSeed)
            }
        case .rollouts:
            parts = try config.definition.build(config, environment)
            try checkSpec(parts)
            guard let rollout = parts.rollout else {
                throw ConfigError.invalid(path: "algorithm.name", detail: "\(config.algorithm) collects rollouts but its builder gave no rollout shape")
            }
            let buffer = RolloutBuffer(observationSize: spec.observationSize, action: spec.action, segments: collectorCount,
                                       environments: numEnvs, steps: rollout.steps)
            rollouts = buffer
            normalization = makeNormalization(config, observationSize: spec.observationSize, segments: collectorCount)
            collectors = try (0..<collectorCount).map { c in
                let collectorSeed = deriveSeed(seed, 1, UInt64(c))
                guard let agent = parts.makeAgent(numEnvs, deriveSeed(collectorSeed, 9)) as? OnPolicyAgent else {
                    throw ConfigError.invalid(path: "algorithm.name", detail: "\(config.algorithm) collects rollouts but its agent is not an OnPolicyAgent")
                }
                return RolloutCollector(environments: try vectorEnvironment(c), agent: agent, buffer: buffer, segment: c, statistics: statistics,
                                        normalization: normalization, seed: collectorSeed, gamma: Float(config.double("algorithm.gamma")),
                                        lambda: Float(rollout.lambda))
            }
        }
        // The algorithm's callbacks, and the normalisation statistics that belong with its networks.
        let learning = learningCallbacks(parts, config, normalization)

        // Evaluation: periodic (with an optional stop at the threshold) and final.
        let (evalID, evalSteps) = evaluationEnvironment(config)
        let evaluationAgent = normalizingAgent(parts.evaluationAgent(config.bool("eval.deterministic")), normalization)
        func evaluate(_ seed: UInt64) throws -> [Double] {
            try Evaluation.returns(of: evaluationAgent, registry: registry, id: evalID, maxEpisodeSteps: evalSteps,
                                   episodes: config.int("eval.episodes"), seed: seed)
        }
        let registered = try registry.spec(evalID).rewardThreshold
        let threshold = config.optionalDouble("train.threshold") ?? registered ?? (evalID == "Pendulum-v1" ? -200 : nil)
        let evaluator = config.optionalInt("train.eval_every").map { every in
            PeriodicEvaluation(every: every, threshold: threshold, margin: config.double("train.solved_margin"),
                               stopWhenSolved: config.bool("train.stop_at_threshold"),
                               statistics: statistics, seeds: { (deriveSeed(seed, 5, UInt64($0)), deriveSeed(seed, 8, UInt64($0))) },
                               evaluate: evaluate)
        }
        // What a checkpoint holds of the callbacks: the algorithm's, and the evaluator's best.
        let checkpointed = learning + (evaluator.map { [$0] } ?? [])

        // Rollout collectors rest between a rollout and the learner's next take, where checkpoints are written.
        let runState = RunState(callbacks: checkpointed, statistics: statistics, collectors: collectors, table: table, sampler: sampler,
                                collectorsAtRest: deterministic || rollouts != nil)
        let elapsed = runState.elapsed
        let context = CallbackContext(runDirectory: options.directory, config: config, statistics: statistics,
                                      checkpointContents: runState.stateDict, seconds: elapsed)
        let configured = try options.callbacks.make(config.callbacks, context: context)
        // The best policy: kept in memory (the final evaluation compares it), and written as
        // checkpoints/best.safetensors.gz when the run has a checkpointer.
        var bestPolicy: StateDict?
        let checkpointer = configured.lazy.compactMap { $0 as? Checkpointer }.first
        evaluator?.onNewBest = { record in
            let policy = LearnerCheckpoint.policy(callbacks: learning)
            bestPolicy = policy
            try checkpointer?.saveBest(policy: policy, metadata: [
                "best_updates": String(record.updates), "best_environment_steps": String(record.environmentSteps),
                "best_score": String(record.score), "best_episodes": String(record.episodes)])
        }
        var callbacks = learning + configured
        if let evaluator { callbacks.append(evaluator) }
        if let sampler {
            callbacks.append(ImportanceSamplingSchedule(sampler: sampler, initialBeta: config.double("memory.priority_beta"),
                                                        budget: config.int("train.env_steps"), statistics: statistics))
        }
        callbacks += options.extraCallbacks
        var served: ServedRun?
        if let service {
            guard let weights = parts.weights, let table else {
                throw ConfigError.invalid(path: "collectors.serve", detail: "\(config.algorithm)'s collectors take no published weights; remote collectors cannot act for it")
            }
            callbacks += service.callbacks
            served = ServedRun(config: config, table: table, statistics: statistics, weights: weights)
        }
        callbacks.append(ProgressReporter(statistics: statistics, budget: config.int("train.env_steps"),
                                          every: config.int("train.log_every"), metrics: config.definition.metrics,
                                          report: options.progress))
        let trainer = rollouts.map { Trainer(rollouts: $0, callbacks: callbacks, seed: deriveSeed(seed, 3)) }
            ?? Trainer(table: table!, callbacks: callbacks, batchSize: batchSize, minSize: minSize, prioritized: sampler, seed: deriveSeed(seed, 3))
        runState.trainer = trainer

        var resumedFrom: Int?
        if let checkpoint = options.resume {
            if let id = checkpoint.metadata["run_id"], id != config.id {
                throw RunError.checkpointMismatch(detail: "it was written by run \(id.prefix(8)), this config is \(config.id8)")
            }
            try runState.restore(checkpoint) { deriveSeed(seed, 7, UInt64(statistics.environmentSteps), UInt64($0)) }
            resumedFrom = trainer.state.updates
        }
        // The step count the callbacks restore against (before any collector thread starts).
        trainer.state.environmentSteps = statistics.environmentSteps

        // Remote collectors join once the run's counters and weights are restored.
        if let service, let served { try service.start(served) }
        // An error leaves remote collectors waiting for a learner to come back (the first stop decides).
        defer { service?.stop(finished: false) }

        // A learner waiting for data when the stop comes stops waiting (its collectors stop, or are remote).
        let releasable = deterministic ? nil : table
        let stopRequested = ManagedAtomic<Bool>(false)
        let stopObservation = options.stop?.observe { count in
            guard count == 1 else { return }
            stopRequested.store(true, ordering: .relaxed)
            statistics.requestStop()
            releasable?.releaseLearner()
        }
        defer { stopObservation?.cancel() }
        if rollouts != nil, deterministic {
            // Every collector fills its segment inline before each update.
            trainer.feed = { _ in for case let collector as RolloutCollector in collectors { try collector.collectRollout() } }
        } else if let table, deterministic {
            // A fixed interleave: before update u the collector has taken minSize + ⌈u / ratio⌉ env steps.
            let collector = collectors[0] as! Collector
            trainer.feed = { updates in
                let required = minSize + Int((Double(updates) / updatesPerStep).rounded(.up))
                while statistics.environmentSteps < required || table.insertCount < UInt64(minSize) {
                    if statistics.stopRequested { table.close(); return }
                    try collector.run(steps: 1)
                }
            }
        } else {
            trainer.onLoopExit = {
                statistics.requestStop()
                table?.close()
                rollouts?.close()
                for collector in collectors { collector.join() }
                runState.collectorsAtRest = true
            }
            for collector in collectors { collector.start() }
        }
        do {
            let budget = TrainingBudget(environmentSteps: config.int("train.env_steps"), updates: config.optionalInt("train.updates"))
            try trainer.train(budget: budget, statistics: statistics)
        } catch {
            trainer.onLoopExit?()
            throw error
        }
        if let error = statistics.error { throw TrainingError.collectorFailed(error) }
        let stoppedBy: StopReason = stopRequested.load(ordering: .relaxed) ? .signal : trainer.state.stopRequested ? .requested
            : (evaluator?.stoppedSolved == true ? .solved : .budget)
        service?.stop(finished: !stoppedBy.isInterruption)

        var result = RunResult(
            runID: config.id, algorithm: config.algorithm.rawValue, environment: envID, seed: Int(seed),
            stoppedBy: stoppedBy,
            solvedAtEnvironmentSteps: evaluator?.solvedAt, threshold: threshold, environmentSteps: statistics.environmentSteps,
            updates: trainer.state.updates, episodes: statistics.episodes, recentMeanReturn: statistics.recentMeanReturn,
            final: nil, best: nil, seconds: 0, resumedFromUpdates: resumedFrom,
            tags: Dictionary(config.tags.map { ($0.path, $0.value.stringValue ?? $0.value.description) }) { first, _ in first },
            learnerLoopSeconds: trainer.loopSeconds, learnerSampleSeconds: trainer.sampleSeconds,
            learnerWaits: table.map { Int($0.rateLimitedSamples) }, collectorWaits: table.map { Int($0.rateLimitedInserts) },
            metrics: trainer.state.metrics.isEmpty ? nil : trainer.state.metrics)
        if !result.stoppedBy.isInterruption {
            let finalSeed = deriveSeed(seed, 4)
            let returns = try evaluate(finalSeed)
            result.final = EvaluationSummary(updates: trainer.state.updates, environmentSteps: statistics.environmentSteps,
                                             seed: finalSeed, returns: returns)
            if let best = evaluator?.best {
                // The best policy on the final evaluation's episodes: the same returns when it is
                // the final policy; else from memory, or from its file after a resume.
                var bestReturns: [Double]? = best.updates == trainer.state.updates ? returns : nil
                if bestReturns == nil, let policy = try bestPolicy
                    ?? options.directory.flatMap({ try CheckpointLoader.loadBest(in: $0.appendingPathComponent(RunFiles.checkpoints))?.dict }) {
                    bestReturns = try Experiment.evaluate(checkpoint: policy, config: config, episodes: returns.count, seed: finalSeed,
                                                          environments: options.environments)
                }
                if let bestReturns {
                    result.best = BestEvaluation(selectionScore: best.score, selectionEpisodes: best.episodes,
                                                 fresh: EvaluationSummary(updates: best.updates, environmentSteps: best.environmentSteps,
                                                                          seed: finalSeed, returns: bestReturns))
                }
            }
        }
        result.seconds = elapsed()
        if let directory = options.directory, !result.stoppedBy.isInterruption {
            try RunDirectory.writeResult(result, in: directory)
        }
        return result
    }

    /// What the config's algorithm is built for: its environment's spaces and time limit (and no
    /// sampler yet: the run sets it once the memory exists).
    static func algorithmEnvironment(_ config: ExperimentConfig, environments: EnvironmentRegistry) throws -> AlgorithmEnvironment {
        let id = config.string("env.id")
        let probe = try environments.make(id)
        guard config.definition.actions.accepts(probe.actionSpace) else {
            throw ConfigError.invalid(path: "algorithm.name", detail: "\(config.algorithm) needs a \(config.definition.actions.rawValue) action space, not \(probe.actionSpace)")
        }
        if config.definition.collection == .replay, config.bool("env.normalize_rewards") {
            throw ConfigError.invalid(path: "env.normalize_rewards", detail: "reward scaling is implemented for on-policy algorithms (\(AlgorithmRegistry.builtIn.names { $0.collection == .rollouts }.joined(separator: ", "))); \(config.algorithm) learns from replay (env.normalize_observations works for it)")
        }
        let timeLimit = try config.optionalInt("env.max_episode_steps") ?? environments.spec(id).maxEpisodeSteps
        return AlgorithmEnvironment(observationSize: probe.observationSpace.size, actionSpace: probe.actionSpace, timeLimit: timeLimit,
                                    sampler: nil)
    }

    /// `count` environments of the config's `env.id` (with its time limit), the first reset with `seed`.
    static func vectorEnvironment(_ config: ExperimentConfig, registry: EnvironmentRegistry, count: Int, seed: UInt64) throws -> VectorEnvironment {
        let maxEpisodeSteps: Int?? = config.optionalInt("env.max_episode_steps").map { .some($0) } ?? .none
        return try VectorEnvironment(registry: registry, id: config.string("env.id"), count: count, seed: seed, maxEpisodeSteps: maxEpisodeSteps)
    }

    /// A replay collector of the config (its n-step returns and γ), in this process or another one.
    static func replayCollector(_ config: ExperimentConfig, environments: VectorEnvironment, agent: Agent, writer: TransitionWriter,
                                statistics: RunControl, seed: UInt64) -> Collector {
        Collector(environments: environments, agent: agent, writer: writer, statistics: statistics, seed: seed,
                  nStep: config.int("algorithm.n_step"), gamma: Float(config.double("algorithm.gamma")))
    }

    /// The run's observation and reward normalisation (`env.normalize_*`), or nil when neither is on.
    static func makeNormalization(_ config: ExperimentConfig, observationSize: Int, segments: Int) -> Normalization? {
        let observations = config.bool("env.normalize_observations"), rewards = config.bool("env.normalize_rewards")
        guard observations || rewards else { return nil }
        return Normalization(observationSize: observationSize, observations: observations, rewards: rewards, segments: segments)
    }

    /// The callbacks whose state is the policy's: the algorithm's, and the normalisation
    /// statistics that belong with its networks (replay algorithms also normalise their batches).
    static func learningCallbacks(_ parts: AlgorithmParts, _ config: ExperimentConfig, _ normalization: Normalization?) -> [Callback] {
        parts.learning + (normalization.map { [NormalizationUpdate(normalization: $0, normalizesBatches: config.definition.collection == .replay)] } ?? [])
    }

    /// `agent` seeing normalised observations when the run normalises them.
    static func normalizingAgent(_ agent: Agent, _ normalization: Normalization?) -> Agent {
        guard let normalization, normalization.normalizesObservations else { return agent }
        return NormalizingAgent(agent, normalization: normalization)
    }

    /// The environment id and time limit evaluations use: the `eval` section's, else training's.
    static func evaluationEnvironment(_ config: ExperimentConfig) -> (id: String, maxEpisodeSteps: Int?) {
        (config.optionalString("eval.env_id") ?? config.string("env.id"),
         config.optionalInt("eval.max_episode_steps") ?? config.optionalInt("env.max_episode_steps"))
    }

    /// Evaluates a checkpoint's policy: rebuilds the networks from `config` (the one stored
    /// in the checkpoint or its run directory), loads their weights, and runs the `eval`
    /// section's episodes (or `episodes`).
    public static func evaluate(checkpoint: StateDict, config: ExperimentConfig, episodes: Int? = nil, seed: UInt64? = nil,
                                environments base: EnvironmentRegistry = .builtIn) throws -> [Double] {
        let environments = try config.environments(from: base)
        let environment = try algorithmEnvironment(config, environments: environments)
        let parts = try config.definition.build(config, environment)
        let normalization = makeNormalization(config, observationSize: environment.observationSize, segments: 1)
        let learning = learningCallbacks(parts, config, normalization)
        try LearnerCheckpoint.loadCallbacks(checkpoint, into: learning, networksOnly: true)
        let (evalID, evalSteps) = evaluationEnvironment(config)
        return try Evaluation.returns(of: normalizingAgent(parts.evaluationAgent(config.bool("eval.deterministic")), normalization),
                                      registry: environments, id: evalID,
                                      maxEpisodeSteps: evalSteps,
                                      episodes: episodes ?? config.int("eval.episodes"), seed: seed ?? deriveSeed(UInt64(config.int("train.seed")), 6))
    }
}
