import Collectors
import Envs
import Foundation
import Learner
import Memory
import SeededRandom

/// What every algorithm's run shares: the rate-limited replay table, the collectors, and the
/// run itself (signals, training, orderly shutdown, evaluation, the result).
enum RunHarness {
    /// A replay table whose rate limit holds `updatesPerStep` learner updates per env step.
    static func makeTable(spec: TransitionSpec, capacity: Int, batchSize: Int, updatesPerStep: Double,
                          minSize: Int, producers: Int) throws -> ReplayTable {
        let samplesPerInsert = updatesPerStep * Double(batchSize)
        return try ReplayTable(spec: spec, capacity: capacity, rateLimit: try RateLimit(
            samplesPerInsert: samplesPerInsert, minSizeToSample: minSize,
            errorBuffer: max(Double(batchSize) * 4, samplesPerInsert * Double(producers) * 4)))
    }

    /// `count` collectors of `environmentsPerCollector` environments each, with distinct seeds.
    static func makeCollectors(count: Int, environmentsPerCollector: Int, registry: EnvironmentRegistry, id: String,
                               seed: UInt64, table: ReplayTable, statistics: CollectorStatistics,
                               makeAgent: () -> Agent) throws -> [Collector] {
        try (0..<count).map { c in
            let vec = try VectorEnvironment(registry: registry, id: id, count: environmentsPerCollector,
                                            seed: seed &* 1000 &+ UInt64(c * environmentsPerCollector))
            return Collector(environments: vec, agent: makeAgent(), table: table, statistics: statistics, seed: seed &+ UInt64(c))
        }
    }

    /// Runs training to its budget (or a signal, or a solved evaluation), shuts the collectors
    /// down, and evaluates. `evaluate(seed)` returns a mean evaluation return.
    static func execute(table: ReplayTable, collectors: [Collector], statistics: CollectorStatistics,
                        callbacks: [Callback], batchSize: Int, minSize: Int, seed: UInt64, environmentSteps: Int,
                        evaluateEvery: Int?, threshold: Double?, evaluate: @escaping (UInt64) throws -> Double,
                        started: ContinuousClock.Instant) throws -> RunResult {
        var callbacks = callbacks
        let evaluator = evaluateEvery.flatMap { every in
            threshold.map { EvaluationStop(every: every, threshold: $0, statistics: statistics) { try evaluate(seed &+ 20_000) } }
        }
        if let evaluator { callbacks.append(evaluator) }
        let trainer = Trainer(table: table, callbacks: callbacks, batchSize: batchSize, minSize: minSize, seed: seed &+ 99)
        let stopOnSignal = SignalStop(statistics: statistics)
        defer { stopOnSignal.cancel() }
        func shutDown() {
            statistics.requestStop()
            table.close()
            for collector in collectors { collector.join() }
        }
        for collector in collectors { collector.start() }
        do {
            try trainer.train(budget: TrainingBudget(environmentSteps: environmentSteps), statistics: statistics)
        } catch {
            shutDown()
            throw error
        }
        shutDown()
        if let error = statistics.error { throw TrainingError.collectorFailed(error) }
        let evaluation = try evaluate(seed &+ 10_000)
        let elapsed = ContinuousClock.now - started
        return RunResult(solvedAtEnvironmentSteps: evaluator?.solvedAt, environmentSteps: statistics.environmentSteps,
                         updates: trainer.state.updates, episodes: statistics.episodes,
                         recentMeanReturn: statistics.recentMeanReturn, evaluationMeanReturn: evaluation,
                         seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
}
