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

/// Which of a run's policies: the final one (its newest checkpoint) or the best kept one
/// (checkpoints/best.safetensors.gz).
public enum PolicyChoice: String, Sendable, Codable {
    case final, best
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

    private enum ExtraKeys: String, CodingKey { case defaultPolicy = "default_policy" }

    /// Writes `default_policy` besides the stored fields, for readers of result.json.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID, forKey: .runID)
        try container.encode(algorithm, forKey: .algorithm)
        try container.encode(environment, forKey: .environment)
        try container.encode(seed, forKey: .seed)
        try container.encode(stoppedBy, forKey: .stoppedBy)
        try container.encodeIfPresent(solvedAtEnvironmentSteps, forKey: .solvedAtEnvironmentSteps)
        try container.encodeIfPresent(threshold, forKey: .threshold)
        try container.encode(environmentSteps, forKey: .environmentSteps)
        try container.encode(updates, forKey: .updates)
        try container.encode(episodes, forKey: .episodes)
        try container.encodeIfPresent(recentMeanReturn, forKey: .recentMeanReturn)
        try container.encodeIfPresent(final, forKey: .final)
        try container.encodeIfPresent(best, forKey: .best)
        try container.encode(seconds, forKey: .seconds)
        try container.encodeIfPresent(resumedFromUpdates, forKey: .resumedFromUpdates)
        try container.encode(tags, forKey: .tags)
        try container.encodeIfPresent(learnerLoopSeconds, forKey: .learnerLoopSeconds)
        try container.encodeIfPresent(learnerSampleSeconds, forKey: .learnerSampleSeconds)
        try container.encodeIfPresent(learnerWaits, forKey: .learnerWaits)
        try container.encodeIfPresent(collectorWaits, forKey: .collectorWaits)
        try container.encodeIfPresent(metrics, forKey: .metrics)
        try container.encodeIfPresent(worker, forKey: .worker)
        var extra = encoder.container(keyedBy: ExtraKeys.self)
        if final != nil { try extra.encode(defaultPolicy, forKey: .defaultPolicy) }
    }

    /// The final evaluation's returns, mean and std (nil when the run was interrupted).
    public var evaluationReturns: [Double]? { final?.returns }
    public var evaluationMeanReturn: Double? { final?.mean }
    public var evaluationStd: Double? { final?.std }

    /// The policy a user gets by default (`rl-train eval`, reports, sweep tables): of the final
    /// and the best kept policy, scored on the same fresh episodes at the end of the run, the one
    /// that scored higher (the final one on a tie, or when there is no best).
    public var defaultPolicy: PolicyChoice {
        guard let best, let final, best.fresh.updates != final.updates else { return .final }
        return best.fresh.mean > final.mean ? .best : .final
    }

    /// The evaluation of the default policy (`defaultPolicy`); `last` asks for the final one.
    public func evaluation(last: Bool = false) -> EvaluationSummary? {
        last || defaultPolicy == .final ? final : best?.fresh
    }
}
