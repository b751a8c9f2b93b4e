import Atomics
import Collectors
import Envs
import Foundation
import Learner
import Memory
import SeededRandom

/// Keys the run's own callbacks publish in the training state.
public enum RunKeys {
    /// The latest periodic evaluation: (learner updates when it ran, mean return).
    public static let evaluation = StateKey<(updates: Int, meanReturn: Double)>("evaluation")
}

/// Evaluates the policy every `cycle` updates, publishes the mean return (`RunKeys.evaluation`)
/// and, with a threshold, stops training (through the collectors' stop request, as a signal
/// would) once the mean return reaches it.
final class EvaluationStop: Callback {
    let name = "evaluation"
    let cycle: Int?
    var order: Int { 90 }
    let threshold: Double?
    let statistics: CollectorStatistics
    let evaluate: () throws -> Double
    private(set) var solvedAt: Int?

    init(every: Int, threshold: Double?, statistics: CollectorStatistics, evaluate: @escaping () throws -> Double) {
        cycle = every
        self.threshold = threshold
        self.statistics = statistics
        self.evaluate = evaluate
    }

    func endCycle(_ state: inout TrainingState) throws {
        guard solvedAt == nil else { return }
        let value = try evaluate()
        state[RunKeys.evaluation] = (state.updates, value)
        if let threshold, value >= threshold {
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
    /// Whether a signal arrived while this was installed.
    var received: Bool { signalReceived.load(ordering: .relaxed) != 0 }
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
    let cycle: Int?
    var order: Int { 100 }
    let statistics: CollectorStatistics
    let budget: Int
    let report: ((TrainingProgress) -> Void)?
    let clock = ContinuousClock()
    var start: ContinuousClock.Instant?
    var startSteps = 0, startUpdates = 0

    init(statistics: CollectorStatistics, budget: Int, every: Int = 500, report: ((TrainingProgress) -> Void)?) {
        cycle = every
        self.statistics = statistics
        self.budget = budget
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
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18, 1e-9)
        let steps = statistics.environmentSteps
        // Rates over this session (a resumed run starts its clock again).
        let rate = Double(steps - startSteps) / seconds
        report(TrainingProgress(environmentSteps: steps, budget: budget, updates: state.updates, stepsPerSecond: rate,
                                updatesPerSecond: Double(state.updates - startUpdates) / seconds, recentMeanReturn: statistics.recentMeanReturn,
                                secondsLeft: rate > 0 ? Double(budget - steps) / rate : nil,
                                loss: state[DQNKeys.loss], meanQ: state[DQNKeys.meanQ]))
    }
}
