import Atomics
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

/// Evaluates the policy every `cycle` updates and stops training (through the collectors'
/// stop request, as a signal would) once the mean return reaches the threshold.
final class EvaluationStop: Callback {
    let name = "evaluation"
    let cycle: Int?
    var order: Int { 90 }
    let threshold: Double
    let statistics: CollectorStatistics
    let evaluate: () throws -> Double
    private(set) var solvedAt: Int?

    init(every: Int, threshold: Double, statistics: CollectorStatistics, evaluate: @escaping () throws -> Double) {
        cycle = every
        self.threshold = threshold
        self.statistics = statistics
        self.evaluate = evaluate
    }

    func endCycle(_ state: inout TrainingState) throws {
        guard solvedAt == nil else { return }
        if try evaluate() >= threshold {
            solvedAt = statistics.environmentSteps
            statistics.requestStop()
        }
    }
}

/// Set by the SIGINT/SIGTERM handler (an atomic store is async-signal-safe; nothing else is).
private let signalReceived = ManagedAtomic<Int32>(0)

/// Turns SIGINT and SIGTERM into a graceful stop request for the duration of a run: the
/// trainer leaves its loop, every callback's `endTraining` runs and the collectors are joined.
/// A second signal gets the default action (terminate). The handler only stores the signal
/// number; a 50 ms timer forwards it to the collectors' stop request.
final class SignalStop {
    private let timer: DispatchSourceTimer
    private var previous: [Int32: sigaction] = [:]

    init(statistics: CollectorStatistics) {
        signalReceived.store(0, ordering: .relaxed)
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                signalReceived.store(number, ordering: .relaxed)
                signal(number, SIG_DFL)   // a second signal terminates
            }
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            sigaction(signalNumber, &action, &old)
            previous[signalNumber] = old
        }
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now(), repeating: .milliseconds(50))
        timer.setEventHandler {
            if signalReceived.load(ordering: .relaxed) != 0 { statistics.requestStop() }
        }
        timer.resume()
    }

    /// Restores the previous handlers.
    func cancel() {
        timer.cancel()
        for (signalNumber, var old) in previous { sigaction(signalNumber, &old, nil) }
    }
}

/// A progress line's figures.
public struct TrainingProgress: Sendable {
    public var environmentSteps: Int
    public var budget: Int
    public var updates: Int
    public var stepsPerSecond: Double
    public var updatesPerSecond: Double
    public var recentMeanReturn: Double?
    public var secondsLeft: Double?
    /// The latest loss and mean Q(s, a) of the batch, when the algorithm publishes them.
    public var loss: Float?
    public var meanQ: Float?
}

/// Reports progress every `cycle` updates (a callback, so it runs on the learner thread).
final class ProgressReporter: Callback {
    let name = "progress"
    let cycle: Int? = 500
    var order: Int { 100 }
    let statistics: CollectorStatistics
    let budget: Int
    let report: ((TrainingProgress) -> Void)?
    let clock = ContinuousClock()
    var start: ContinuousClock.Instant?

    init(statistics: CollectorStatistics, budget: Int, report: ((TrainingProgress) -> Void)?) {
        self.statistics = statistics
        self.budget = budget
        self.report = report
    }

    func beginTraining(_ state: inout TrainingState) throws { start = clock.now }

    func endCycle(_ state: inout TrainingState) throws {
        guard let report, let start else { return }
        let elapsed = clock.now - start
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18, 1e-9)
        let steps = statistics.environmentSteps
        let rate = Double(steps) / seconds
        report(TrainingProgress(environmentSteps: steps, budget: budget, updates: state.updates, stepsPerSecond: rate,
                                updatesPerSecond: Double(state.updates) / seconds, recentMeanReturn: statistics.recentMeanReturn,
                                secondsLeft: rate > 0 ? Double(budget - steps) / rate : nil,
                                loss: state[DQNKeys.loss], meanQ: state[DQNKeys.meanQ]))
    }
}
