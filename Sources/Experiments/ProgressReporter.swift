import Collectors
import Core
import Foundation
import Learner

/// A progress line's figures.
public struct TrainingProgress: Sendable {
    public var environmentSteps: Int
    public var budget: Int
    public var updates: Int
    public var stepsPerSecond: Double
    public var updatesPerSecond: Double
    public var recentMeanReturn: Double?
    public var secondsLeft: Double?
    /// The latest periodic evaluation.
    public var evaluation: PeriodicEvaluation.Record?
    /// The latest value of each metric the algorithm declares (`Algorithm.metrics`), in its order.
    public var metrics: [(name: String, value: Double)] = []
}

/// Reports progress every `cycle` updates (a callback, so it runs on the learner thread).
final class ProgressReporter: Callback {
    let name = "progress"
    let cycle: Int?
    var phase: CallbackPhase { .report }
    let statistics: RunControl
    let budget: Int
    let metrics: [String]
    let report: ((TrainingProgress) -> Void)?
    let clock = ContinuousClock()
    var start: ContinuousClock.Instant?
    var startSteps = 0, startUpdates = 0

    init(statistics: RunControl, budget: Int, every: Int = 500, metrics: [String], report: ((TrainingProgress) -> Void)?) {
        cycle = every
        self.statistics = statistics
        self.budget = budget
        self.metrics = metrics
        self.report = report
    }

    func beginTraining(_ state: inout TrainingState) throws {
        start = clock.now
        startSteps = statistics.environmentSteps
        startUpdates = state.updates
    }

    func endCycle(_ state: inout TrainingState) throws {
        guard let report, let start else { return }
        let elapsed = clock.now - start
        let seconds = max(elapsed / .seconds(1), 1e-9)
        let steps = statistics.environmentSteps
        // Rates over this session (a resumed run starts its clock again).
        let rate = Double(steps - startSteps) / seconds
        report(TrainingProgress(environmentSteps: steps, budget: budget, updates: state.updates, stepsPerSecond: rate,
                                updatesPerSecond: Double(state.updates - startUpdates) / seconds, recentMeanReturn: statistics.recentMeanReturn,
                                secondsLeft: rate > 0 ? Double(budget - steps) / rate : nil, evaluation: state[RunKeys.evaluation],
                                metrics: metrics.compactMap { name in state.metrics[name].map { (name, $0) } }))
    }
}
