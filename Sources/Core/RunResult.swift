import Foundation

/// Why training ended.
public enum StopReason: String, Sendable, Codable {
    /// The environment-step or update budget was spent.
    case budget
    /// A periodic evaluation reached the threshold.
    case solved
    /// A stop request (`RunOptions.stop`: SIGINT or SIGTERM in rl-train): a final checkpoint
    /// was written; the run can be resumed.
    case signal
    /// A callback asked to stop (`TrainingState.stopRequested`): resumable, like a signal.
    case requested

    /// Whether the run ended before its budget and can be resumed.
    public var isInterruption: Bool { self == .signal || self == .requested }
}

/// What a finished (or interrupted) run reports; written as `result.json` in the run directory.
public struct RunResult: Sendable, Codable {
    public var runID: String
    public var algorithm: String
    public var environment: String
    public var seed: Int
    public var stoppedBy: StopReason
    /// Environment steps when the run was first solved (an evaluation and its confirmation on
    /// other episodes both at or above the threshold; see `PeriodicEvaluation`).
    public var solvedAtEnvironmentSteps: Int?
    public var threshold: Double?
    public var environmentSteps: Int
    public var updates: Int
    public var episodes: Int
    public var recentMeanReturn: Double?
    /// The final policy over fresh episodes (nil when the run was interrupted).
    public var final: EvaluationSummary?
    /// The best policy the periodic evaluations found, evaluated on the final evaluation's
    /// episodes (nil without periodic evaluations or when interrupted).
    public var best: BestEvaluation?
    /// Wall-clock seconds of training and evaluation, over every session of a resumed run.
    public var seconds: Double
    /// Updates at the checkpoint this session resumed from (nil for a fresh start).
    public var resumedFromUpdates: Int?
    /// Tag values of the config (`train.tags`), for result tables.
    public var tags: [String: String]
    /// This session's seconds in the learner's update loop once the memory was full enough,
    /// and the part of them spent obtaining batches (sampling plus waiting for collectors).
    public var learnerLoopSeconds: Double?
    public var learnerSampleSeconds: Double?
    /// This session's batches that had to wait for the collectors under the rate limit (the
    /// learner was starved), and collector inserts that waited for the learner.
    public var learnerWaits: Int?
    public var collectorWaits: Int?
    /// The last value of every metric the algorithm recorded (`TrainingState.metrics`).
    public var metrics: [String: Double]?
    /// The address of the Ray worker that ran it (sweeps on a Ray cluster); nil for local runs.
    public var worker: String?

    public init(runID: String, algorithm: String, environment: String, seed: Int, stoppedBy: StopReason,
                solvedAtEnvironmentSteps: Int? = nil, threshold: Double? = nil, environmentSteps: Int, updates: Int, episodes: Int,
                recentMeanReturn: Double? = nil, final: EvaluationSummary? = nil, best: BestEvaluation? = nil, seconds: Double,
                resumedFromUpdates: Int? = nil, tags: [String: String] = [:], learnerLoopSeconds: Double? = nil,
                learnerSampleSeconds: Double? = nil, learnerWaits: Int? = nil, collectorWaits: Int? = nil,
                metrics: [String: Double]? = nil, worker: String? = nil) {
        self.runID = runID
        self.algorithm = algorithm
        self.environment = environment
        self.seed = seed
        self.stoppedBy = stoppedBy
        self.solvedAtEnvironmentSteps = solvedAtEnvironmentSteps
        self.threshold = threshold
        self.environmentSteps = environmentSteps
        self.updates = updates
        self.episodes = episodes
        self.recentMeanReturn = recentMeanReturn
        self.final = final
        self.best = best
        self.seconds = seconds
        self.resumedFromUpdates = resumedFromUpdates
        self.tags = tags
        self.learnerLoopSeconds = learnerLoopSeconds
        self.learnerSampleSeconds = learnerSampleSeconds
        self.learnerWaits = learnerWaits
        self.collectorWaits = collectorWaits
        self.metrics = metrics
        self.worker = worker
    }

    /// result.json's names: snake_case, as metrics.csv and the config.
    enum CodingKeys: String, CodingKey {
        case runID = "run_id", algorithm, environment, seed, stoppedBy = "stopped_by"
        case solvedAtEnvironmentSteps = "solved_at_env_steps", threshold, environmentSteps = "env_steps", updates, episodes
        case recentMeanReturn = "recent_mean_return", final, best, seconds
        case resumedFromUpdates = "resumed_from_updates", tags, learnerLoopSeconds = "learner_loop_seconds"
        case learnerSampleSeconds = "learner_sample_seconds", learnerWaits = "learner_waits", collectorWaits = "collector_waits", metrics, worker
    }

    /// The final evaluation's returns, mean and std (nil when the run was interrupted).
    public var evaluationReturns: [Double]? { final?.returns }
    public var evaluationMeanReturn: Double? { final?.mean }
    public var evaluationStd: Double? { final?.std }

    /// The evaluation of the policy a user gets by default (`rl-train eval`, sweep tables): the
    /// best kept one when there is one, else the final one; `last` asks for the final one.
    public func evaluation(last: Bool = false) -> EvaluationSummary? { last ? final : (best?.fresh ?? final) }
}
