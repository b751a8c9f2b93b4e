import Collectors
import Core
import Learner
import Shared
import StateDictIO

/// Evaluates the policy every `cycle` updates on fresh episodes, publishes the outcome
/// (`RunKeys.evaluation`), keeps track of the best policy seen, and decides when the run is
/// solved.
///
/// The rule for "solved" (neither a lucky draw nor a policy that fails now and then may pass):
/// an evaluation whose mean reaches the threshold is confirmed at once by a second one of as
/// many episodes on other reset seeds; the run is solved when both means reach the threshold
/// and so does the lower prediction bound of the next evaluation a user would run (m fresh
/// episodes, m = the evaluation's size): mean − z·std·√(1/n + 1/m) over the n episodes played
/// (z = `margin`, 1.645 by default: 95%). A bound on the mean alone (mean − z·std/√n) ignores
/// that the user's own evaluation is a noisy sample too: policies whose true mean sits just
/// above the threshold then pass it and score below it on fresh episodes half the time, and a
/// rare failed episode (Acrobot's −500 among returns near −80) weighs more in m episodes than
/// in n.
///
/// Candidates for the kept "best" policy are ranked by the same bound, not their mean (with
/// noisy returns the highest mean is mostly the luckiest draw), and a confirmed solve outranks
/// any unconfirmed evaluation. With `stopWhenSolved`, a solved run stops (through the
/// collectors' stop request, as a signal would).
public final class PeriodicEvaluation: Callback {
    /// One periodic evaluation.
    public struct Record: Sendable, Equatable {
        public var updates: Int
        public var environmentSteps: Int
        /// Mean return over the evaluation's episodes, and over the confirmation's when one ran.
        public var mean: Double
        /// Standard deviation of the evaluation's returns.
        public var std: Double
        public var confirmationMean: Double?
        /// The policy's score: the mean over every episode it played here.
        public var score: Double
        /// Episodes behind `score`.
        public var episodes: Int
        /// score − z·std·√(1/episodes + 1/m) over every episode it played here: the lower
        /// prediction bound of a fresh m-episode evaluation, which ranks the candidates.
        public var lowerBound: Double?
        /// Whether this evaluation solved the run (confirmed, every part at the threshold).
        public var solved: Bool = false

        /// Ranks candidates for the best policy: a confirmed solve first, then the higher bound.
        public func outranks(_ other: Record) -> Bool {
            if solved != other.solved { return solved }
            return (lowerBound ?? score) > (other.lowerBound ?? other.score)
        }
    }

    /// The lower prediction bound of the mean of `fresh` future episodes, from `returns`.
    public static func predictionBound(_ returns: [Double], fresh: Int, z: Double) -> Double {
        let n = Double(returns.count)
        guard n > 1 else { return Statistics.mean(returns) }
        return Statistics.mean(returns) - z * Statistics.std(returns) * (1 / n + 1 / Double(fresh)).squareRoot()
    }

    public let name = "evaluation"
    public let cycle: Int?
    public var phase: CallbackPhase { .evaluate }
    let threshold: Double?
    /// z of the one-sided confidence bound that must reach the threshold.
    let margin: Double
    let stopWhenSolved: Bool
    let statistics: RunControl
    /// Returns over the configured episodes, reset seeds `seed`, `seed + 1`, ...
    let evaluate: (_ seed: UInt64) throws -> [Double]
    /// The reset seeds of the evaluation at an update count, and of its confirmation: fresh
    /// episodes every time (seeded by the update count, so a resumed run evaluates exactly as
    /// the uninterrupted one), so stopping early does not select for one fixed set of starts.
    let seeds: (_ updates: Int) -> (evaluation: UInt64, confirmation: UInt64)
    /// Called on the learner thread when a policy scores better than every earlier one.
    var onNewBest: ((_ record: Record) throws -> Void)?
    /// The best-scoring evaluation so far.
    public private(set) var best: Record?
    /// Environment steps when the run was first solved.
    public private(set) var solvedAt: Int?
    /// Whether the run stopped because it was solved.
    public private(set) var stoppedSolved = false

    init(every: Int, threshold: Double?, margin: Double = 1.645, stopWhenSolved: Bool, statistics: RunControl,
         seeds: @escaping (_ updates: Int) -> (evaluation: UInt64, confirmation: UInt64),
         evaluate: @escaping (_ seed: UInt64) throws -> [Double]) {
        cycle = every
        self.threshold = threshold
        self.margin = margin
        self.stopWhenSolved = stopWhenSolved
        self.statistics = statistics
        self.seeds = seeds
        self.evaluate = evaluate
    }

    public func endCycle(_ state: inout TrainingState) throws {
        guard !stoppedSolved else { return }
        let seed = seeds(state.updates)
        let returns = try evaluate(seed.evaluation)
        let mean = Statistics.mean(returns)
        var record = Record(updates: state.updates, environmentSteps: statistics.environmentSteps, mean: mean, std: Statistics.std(returns),
                            confirmationMean: nil, score: mean, episodes: returns.count,
                            lowerBound: Self.predictionBound(returns, fresh: returns.count, z: margin))
        if let threshold, mean >= threshold {
            let confirmation = try evaluate(seed.confirmation)
            let all = returns + confirmation
            record.confirmationMean = Statistics.mean(confirmation)
            record.score = Statistics.mean(all)
            record.episodes = all.count
            record.lowerBound = Self.predictionBound(all, fresh: returns.count, z: margin)
            record.solved = record.confirmationMean! >= threshold && record.lowerBound! >= threshold
        }
        state[RunKeys.evaluation] = record
        if best.map({ record.outranks($0) }) ?? true {
            best = record
            try onNewBest?(record)
        }
        if record.solved, solvedAt == nil {
            solvedAt = record.environmentSteps
            if stopWhenSolved {
                stoppedSolved = true
                statistics.requestStop()
            }
        }
    }

    /// The best evaluation and the solved step, so a resumed run compares against the same best.
    public func stateDict() -> StateDict {
        var dict = StateDict()
        if let best {
            dict["best.updates"] = Tensor(scalar: Int64(best.updates))
            dict["best.environment_steps"] = Tensor(scalar: Int64(best.environmentSteps))
            dict["best.mean"] = Tensor(scalar: best.mean)
            dict["best.std"] = Tensor(scalar: best.std)
            // Absent values are absent, not NaN: a reader checking that every value is finite
            // (as a damaged-file check does) must not take "no confirmation yet" for damage.
            if let confirmation = best.confirmationMean { dict["best.confirmation_mean"] = Tensor(scalar: confirmation) }
            dict["best.score"] = Tensor(scalar: best.score)
            dict["best.episodes"] = Tensor(scalar: Int64(best.episodes))
            if let bound = best.lowerBound { dict["best.lower_bound"] = Tensor(scalar: bound) }
            if best.solved { dict["best.solved"] = Tensor(scalar: Int64(1)) }
        }
        if let solvedAt { dict["solved_at"] = Tensor(scalar: Int64(solvedAt)) }
        return dict
    }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        // Checkpoints before 2026-12-07 wrote absence as −1 and NaN.
        let solved = dict.tensors["solved_at"] == nil ? -1 : try dict.integer("solved_at")
        solvedAt = solved >= 0 ? Int(solved) : nil
        if dict.tensors["best.score"] != nil {
            func optional(_ name: String) throws -> Double { dict.tensors[name] == nil ? .nan : try dict.scalar(name) }
            let confirmation = try optional("best.confirmation_mean"), bound = try optional("best.lower_bound")
            best = Record(updates: Int(try dict.integer("best.updates")), environmentSteps: Int(try dict.integer("best.environment_steps")),
                          mean: try dict.scalar("best.mean"), std: (try? dict.scalar("best.std")) ?? .nan, confirmationMean: confirmation.isNaN ? nil : confirmation,
                          score: try dict.scalar("best.score"), episodes: Int(try dict.integer("best.episodes")),
                          lowerBound: bound.isNaN ? nil : bound,
                          solved: dict.tensors["best.solved"] != nil)
        } else {
            best = nil
        }
    }
}

/// Keys the run's own callbacks publish in the training state.
public enum RunKeys {
    /// The latest periodic evaluation.
    public static let evaluation = StateKey<PeriodicEvaluation.Record>("evaluation")
}
