import Shared

/// A policy evaluated over fresh episodes: which policy (the update count it had reached), on
/// which episodes (reset seeds `seed`, `seed + 1`, ...), with what returns.
public struct EvaluationSummary: Sendable, Codable, Equatable {
    /// Learner updates and environment steps of the evaluated policy.
    public var updates: Int
    public var environmentSteps: Int
    /// The reset seed of the first episode; episode k is reset with `seed + k`.
    public var seed: UInt64
    public var episodes: Int
    public var mean: Double
    public var std: Double
    public var min: Double
    public var max: Double
    public var returns: [Double]

    enum CodingKeys: String, CodingKey {
        case updates, environmentSteps = "env_steps", seed, episodes, mean, std, min, max, returns
    }

    public init(updates: Int, environmentSteps: Int, seed: UInt64, returns: [Double]) {
        self.updates = updates
        self.environmentSteps = environmentSteps
        self.seed = seed
        self.returns = returns
        episodes = returns.count
        mean = Statistics.mean(returns)
        std = Statistics.std(returns)
        min = returns.min() ?? .nan
        max = returns.max() ?? .nan
    }
}

/// The best policy a run kept (`checkpoints/best.safetensors.gz`): the periodic evaluation that
/// selected it, and the same policy evaluated afresh at the end on the final evaluation's
/// episodes (an estimate free of the selection's luck).
public struct BestEvaluation: Sendable, Codable, Equatable {
    /// The periodic evaluation's score (mean over `selectionEpisodes`, confirmation included).
    public var selectionScore: Double
    public var selectionEpisodes: Int
    /// The best policy over the final evaluation's episodes.
    public var fresh: EvaluationSummary

    public init(selectionScore: Double, selectionEpisodes: Int, fresh: EvaluationSummary) {
        self.selectionScore = selectionScore
        self.selectionEpisodes = selectionEpisodes
        self.fresh = fresh
    }

    enum CodingKeys: String, CodingKey {
        case selectionScore = "selection_score", selectionEpisodes = "selection_episodes", fresh
    }
}
