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

/// One run, assembled from its config: the algorithm's data flow (memory, collectors, the
/// trainer's source) and parts, the evaluation, the configured callbacks, the trainer and the
/// run's checkpoint state; then restored, trained and reported by `Experiment.run`.
final class AssembledRun {
    let config: ExperimentConfig
    let options: RunOptions
    let seed: UInt64
    let statistics = RunControl()
    let flow: AssembledFlow
    let evaluation: RunEvaluation
    let state: RunState
    let trainer: Trainer
    let service: RemoteCollectorService?
    let served: ServedRun?

    init(_ config: ExperimentConfig, options: RunOptions) throws {
        self.config = config
        self.options = options
        seed = UInt64(config[TrainKeys.seed])
        let registry = try config.environments(from: options.environments)
        // Made before the memory, whose rate limit leaves room for remote batches.
        service = try config[CollectorsKeys.serve].map { port in
            guard let make = options.collectorService else { throw RemoteCollectorServiceError.notBuilt }
            return try make(port)
        }
        let environment = try Experiment.algorithmEnvironment(config, environments: registry)
        let normalization = Experiment.makeNormalization(config, observationSize: environment.observationSize,
                                                         segments: config[CollectorsKeys.count])
        let assembly = RunAssembly(
            config: config, environment: environment, spec: AlgorithmParts.transitionSpec(config, environment), statistics: statistics,
            collectorCount: config[CollectorsKeys.count], environmentsPerCollector: config[CollectorsKeys.environments],
            deterministic: config[TrainKeys.deterministic], normalization: normalization,
            remoteBatchTransitions: service?.maxBatchTransitions ?? 0, registry: registry, seed: seed)
        flow = try config.definition.dataFlow.assemble(assembly) { try config.definition.build(config, $0) }
        // The algorithm's callbacks, and the normalisation statistics that belong with its networks.
        let learning = Experiment.learningCallbacks(flow.parts, config, normalization)
        evaluation = try RunEvaluation(config, registry: registry, parts: flow.parts, normalization: normalization,
                                       learning: learning, statistics: statistics)
        // What a checkpoint holds of the callbacks: the algorithm's, and the evaluator's best.
        state = RunState(callbacks: learning + (evaluation.periodic.map { [$0] } ?? []), statistics: statistics, collectors: flow.collectors,
                         memory: flow.checkpoint, collectorsAtRest: flow.collectorsRestAtCheckpoints)
        let context = CallbackContext(runDirectory: options.directory, config: config, statistics: statistics,
                                      checkpointContents: state.stateDict, seconds: state.elapsed)
        let configured = try options.callbacks.make(config.callbacks, context: context)
        evaluation.keepBest(writingWith: configured.lazy.compactMap { $0 as? Checkpointer }.first)
        var callbacks = learning + configured + (evaluation.periodic.map { [$0] } ?? []) + flow.callbacks + options.extraCallbacks
        if let service {
            guard let weights = flow.parts.weights, let table = flow.remoteTable else {
                throw ConfigError.invalid(path: "collectors.serve", detail: "\(config.algorithm)'s collectors take no published weights; remote collectors cannot act for it")
            }
            callbacks += service.callbacks
            served = ServedRun(config: config, table: table, statistics: statistics, weights: weights)
        } else {
            served = nil
        }
        callbacks.append(ProgressReporter(statistics: statistics, budget: config[TrainKeys.environmentSteps],
                                          every: config[TrainKeys.logEvery], metrics: config.definition.metrics,
                                          report: options.progress))
        trainer = Trainer(source: flow.source, callbacks: callbacks, seed: deriveSeed(seed, 3))
        state.attach(trainer)
    }

    /// Restores `checkpoint` (this run's, else an error); returns the updates it was taken at.
    func restore(_ checkpoint: StateDict?) throws -> Int? {
        defer { trainer.state.environmentSteps = statistics.environmentSteps }   // what the callbacks restore against
        guard let checkpoint else { return nil }
        if let id = checkpoint.metadata["run_id"], id != config.id {
            // The same run with a larger budget (`rl-train resume RUN --set train.env_steps=N`) continues it.
            let written = checkpoint.metadata["config"].flatMap { try? ExperimentConfig.parse($0, environments: nil) }
            guard let written, written.idWithoutBudget == config.idWithoutBudget else {
                throw RunError.checkpointMismatch(detail: "it was written by run \(id.prefix(8)), this config is \(config.id8)")
            }
        }
        try state.restore(checkpoint, into: trainer) { [statistics, seed] in deriveSeed(seed, 7, UInt64(statistics.environmentSteps), UInt64($0)) }
        return trainer.state.updates
    }

    /// Trains to the budget, a solve, a requested stop or an error; returns why it ended.
    func train() throws -> StopReason {
        // Remote collectors join once the run's counters and weights are restored.
        if let service, let served { try service.start(served) }
        // An error leaves remote collectors waiting for a learner to come back (the first stop decides).
        defer { service?.stop(finished: false) }
        // A learner waiting for data when the stop comes stops waiting (its collectors stop, or are remote).
        let stopRequested = ManagedAtomic<Bool>(false)
        // Once, at the first request this run sees: several may have come before it started.
        let stopObservation = options.stop?.observe { [statistics, release = flow.releaseLearner] _ in
            guard !stopRequested.exchange(true, ordering: .relaxed) else { return }
            statistics.requestStop()
            release()
        }
        defer { stopObservation?.cancel() }
        if !config[TrainKeys.deterministic] {
            // Threads: stopped and joined when the loop ends, so the final checkpoint sees them at rest.
            trainer.onLoopExit = { [statistics, flow, state] in
                statistics.requestStop()
                flow.close()
                for collector in flow.collectors { collector.join() }
                state.collectorsAtRest = true
            }
            for collector in flow.collectors { collector.start() }
        }
        do {
            try trainer.train(budget: TrainingBudget(environmentSteps: config[TrainKeys.environmentSteps], updates: config[TrainKeys.updates]),
                              statistics: statistics)
        } catch {
            trainer.onLoopExit?()
            throw error
        }
        if let error = statistics.error { throw TrainingError.collectorFailed(error) }
        let stoppedBy: StopReason = stopRequested.load(ordering: .relaxed) ? .signal : trainer.state.stopRequested ? .requested
            : (evaluation.periodic?.stoppedSolved == true ? .solved : .budget)
        service?.stop(finished: !stoppedBy.isInterruption)
        return stoppedBy
    }

    /// The run's result, with the final and best policies evaluated when it was not interrupted,
    /// written as result.json in its directory.
    func report(stoppedBy: StopReason, resumedFrom: Int?) throws -> RunResult {
        let waits = flow.waits()
        var result = RunResult(
            runID: config.id, algorithm: config.algorithm.rawValue, environment: config[EnvKeys.id], seed: Int(seed),
            stoppedBy: stoppedBy, solvedAtEnvironmentSteps: evaluation.periodic?.solvedAt, threshold: evaluation.threshold,
            environmentSteps: statistics.environmentSteps, updates: trainer.state.updates, episodes: statistics.episodes,
            recentMeanReturn: statistics.recentMeanReturn, seconds: 0, resumedFromUpdates: resumedFrom,
            tags: Dictionary(config.tags.map { ($0.path, $0.value.stringValue ?? $0.value.description) }) { first, _ in first },
            learnerLoopSeconds: trainer.loopSeconds, learnerSampleSeconds: trainer.sampleSeconds,
            learnerWaits: waits.learner, collectorWaits: waits.collectors,
            metrics: trainer.state.metrics.isEmpty ? nil : trainer.state.metrics)
        if !stoppedBy.isInterruption {
            (result.final, result.best) = try evaluation.finalAndBest(updates: trainer.state.updates, environmentSteps: statistics.environmentSteps,
                                                                      seed: deriveSeed(seed, 4), options: options)
        }
        result.seconds = state.elapsed()
        if let directory = options.directory, !stoppedBy.isInterruption { try RunDirectory.writeResult(result, in: directory) }
        return result
    }
}

/// A run's evaluations: periodic ones (with the solve rule and the best policy they keep) and
/// the final one of the final and the best policy, on the same fresh episodes.
final class RunEvaluation {
    let config: ExperimentConfig
    let threshold: Double?
    let periodic: PeriodicEvaluation?
    let evaluate: (_ seed: UInt64) throws -> [Double]
    let learning: [Callback]
    /// The best policy's networks, kept in memory (the final evaluation compares it).
    private var bestPolicy: StateDict?

    init(_ config: ExperimentConfig, registry: EnvironmentRegistry, parts: AlgorithmParts, normalization: Normalization?,
         learning: [Callback], statistics: RunControl) throws {
        self.config = config
        self.learning = learning
        let (id, maxEpisodeSteps) = Experiment.evaluationEnvironment(config)
        let agent = Experiment.normalizingAgent(parts.evaluationAgent(config[EvalKeys.deterministic]), normalization)
        let episodes = config[EvalKeys.episodes]
        let evaluate = { (seed: UInt64) in
            try Evaluation.returns(of: agent, registry: registry, id: id, maxEpisodeSteps: maxEpisodeSteps, episodes: episodes, seed: seed)
        }
        self.evaluate = evaluate
        let registered = try registry.spec(id).rewardThreshold
        let threshold = config[TrainKeys.threshold] ?? registered ?? (id == "Pendulum-v1" ? -200 : nil)
        self.threshold = threshold
        let seed = UInt64(config[TrainKeys.seed])
        periodic = config[TrainKeys.evalEvery].map { every in
            PeriodicEvaluation(every: every, threshold: threshold, margin: config[TrainKeys.solvedMargin],
                               stopWhenSolved: config[TrainKeys.stopAtThreshold],
                               statistics: statistics, seeds: { (deriveSeed(seed, 5, UInt64($0)), deriveSeed(seed, 8, UInt64($0))) },
                               evaluate: evaluate)
        }
    }

    /// Keeps each new best policy in memory, and writes it as checkpoints/best.safetensors.gz
    /// through `checkpointer` when the run has one.
    func keepBest(writingWith checkpointer: Checkpointer?) {
        periodic?.onNewBest = { [unowned self] record in
            let policy = LearnerCheckpoint.policy(callbacks: learning)
            bestPolicy = policy
            try checkpointer?.saveBest(policy: policy, metadata: [
                "best_updates": String(record.updates), "best_environment_steps": String(record.environmentSteps),
                "best_score": String(record.score), "best_episodes": String(record.episodes)])
        }
    }

    /// The final policy over fresh episodes from `seed`, and the best kept policy on the same
    /// episodes: the same returns when it is the final policy; else from memory, or from its
    /// file after a resume.
    func finalAndBest(updates: Int, environmentSteps: Int, seed: UInt64, options: RunOptions) throws -> (EvaluationSummary, BestEvaluation?) {
        let returns = try evaluate(seed)
        let final = EvaluationSummary(updates: updates, environmentSteps: environmentSteps, seed: seed, returns: returns)
        guard let best = periodic?.best else { return (final, nil) }
        var bestReturns: [Double]? = best.updates == updates ? returns : nil
        if bestReturns == nil, let policy = try bestPolicy
            ?? options.directory.flatMap({ try CheckpointLoader.loadBest(in: $0.appendingPathComponent(RunFiles.checkpoints))?.dict }) {
            bestReturns = try Experiment.evaluate(checkpoint: policy, config: config, episodes: returns.count, seed: seed,
                                                  environments: options.environments)
        }
        guard let bestReturns else { return (final, nil) }
        return (final, BestEvaluation(selectionScore: best.score, selectionEpisodes: best.episodes,
                                      fresh: EvaluationSummary(updates: best.updates, environmentSteps: best.environmentSteps,
                                                               seed: seed, returns: bestReturns)))
    }
}
