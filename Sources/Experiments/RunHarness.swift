import Atomics
import Collectors
import Envs
import Foundation
import Learner
import Memory
import SeededRandom
import Shared

/// Keys the run's own callbacks publish in the training state.
public enum RunKeys {
    /// The latest periodic evaluation.
    public static let evaluation = StateKey<PeriodicEvaluation.Record>("evaluation")
}

/// Set by the SIGINT/SIGTERM handler (an atomic store is async-signal-safe; nothing else is).
private let signalReceived = ManagedAtomic<Int32>(0)
/// Runs in this process with handlers installed: the first installs them and clears the flag,
/// the last restores the previous handlers. A signal is for the process, so it stops them all.
private let activeSignalStops = Locked<(count: Int, previous: [Int32: sigaction])>((0, [:]))

/// Turns SIGINT and SIGTERM into a graceful stop request for the duration of a run: the
/// trainer leaves its loop, every callback's `endTraining` runs and the collectors are joined.
/// A second signal gets the default action (terminate). The handler only stores the signal
/// number; a 50 ms timer forwards it to the collectors' stop request.
public final class SignalStop {
    private let timer: DispatchSourceTimer
    /// Whether a signal arrived while this was installed.
    public var received: Bool { signalReceived.load(ordering: .relaxed) != 0 }
    private var previous: [Int32: sigaction] = [:]

    /// `onSignal` runs once, from the timer, after the stop request (e.g. to release a learner
    /// waiting for data).
    public init(statistics: CollectorStatistics, onSignal: @escaping @Sendable () -> Void = {}) {
        activeSignalStops.withLock { active in
            if active.count == 0 {
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
                    active.previous[signalNumber] = old
                }
            }
            active.count += 1
        }
        // A parent may have started us with the signals blocked (a blocked mask survives exec);
        // unblock them on this thread so the handler runs here.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now(), repeating: .milliseconds(50))
        let forwarded = ManagedAtomic<Bool>(false)
        timer.setEventHandler {
            if signalReceived.load(ordering: .relaxed) != 0 {
                statistics.requestStop()
                if !forwarded.exchange(true, ordering: .relaxed) { onSignal() }
            }
        }
        timer.resume()
    }

    /// Stops forwarding; the last active instance restores the previous handlers.
    public func cancel() {
        timer.cancel()
        activeSignalStops.withLock { active in
            active.count -= 1
            if active.count == 0 {
                for (signalNumber, var old) in active.previous { sigaction(signalNumber, &old, nil) }
                active.previous = [:]
            }
        }
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
    /// The latest periodic evaluation.
    public var evaluation: PeriodicEvaluation.Record?
    /// The latest value of each metric the algorithm declares (`Algorithm.metrics`), in its order.
    public var metrics: [(name: String, value: Double)] = []
}

/// Reports progress every `cycle` updates (a callback, so it runs on the learner thread).
final class ProgressReporter: Callback {
    let name = "progress"
    let cycle: Int?
    var order: Int { 100 }
    let statistics: CollectorStatistics
    let budget: Int
    let metrics: [String]
    let report: ((TrainingProgress) -> Void)?
    let clock = ContinuousClock()
    var start: ContinuousClock.Instant?
    var startSteps = 0, startUpdates = 0

    init(statistics: CollectorStatistics, budget: Int, every: Int = 500, metrics: [String], report: ((TrainingProgress) -> Void)?) {
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
