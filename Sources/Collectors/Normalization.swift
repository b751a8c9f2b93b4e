import Shared
import StateDictIO

/// Observation and reward normalisation with statistics that travel with the model (after
/// Stable-Baselines3's `VecNormalize`): observations become clip((x − μ)/√(σ² + ε), ±10) and
/// rewards r/√(σ²_R + ε) clipped to ±10, where σ²_R is the variance of each environment's
/// running discounted return.
///
/// The statistics the collectors apply are frozen for a rollout: each collector adds what it
/// sees to its own segment's moments (`observationDelta(segment:)`, `returnDelta(segment:)`),
/// and the learner folds every segment into the run's moments in segment order between
/// rollouts (`absorbSegments()`, while no collector runs), so the result does not depend on
/// thread timing. Evaluation uses the frozen statistics and updates nothing.
public final class Normalization: @unchecked Sendable {
    public let observationSize: Int
    public let normalizesObservations: Bool
    public let normalizesRewards: Bool
    public let clip: Float = 10
    public let epsilon = 1e-8
    /// The run's statistics: of raw observations, and of discounted returns.
    public let observationMoments: RunningMoments
    public let returnMoments: RunningMoments
    private let observationDeltas: [RunningMoments]
    private let returnDeltas: [RunningMoments]
    // Frozen for the current rollout.
    private let mean: UnsafeMutableBufferPointer<Float>
    private let inverseStd: UnsafeMutableBufferPointer<Float>
    public private(set) var rewardScale: Float = 1

    public init(observationSize: Int, observations: Bool, rewards: Bool, segments: Int) {
        self.observationSize = observationSize
        normalizesObservations = observations
        normalizesRewards = rewards
        observationMoments = RunningMoments(size: observationSize)
        returnMoments = RunningMoments(size: 1)
        observationDeltas = (0..<segments).map { _ in RunningMoments(size: observationSize) }
        returnDeltas = (0..<segments).map { _ in RunningMoments(size: 1) }
        mean = .allocate(capacity: observationSize, repeating: 0)
        inverseStd = .allocate(capacity: observationSize, repeating: 1)
    }

    deinit { mean.deallocate(); inverseStd.deallocate() }

    /// Writes `rows` observations normalised with the frozen statistics (a copy when
    /// observations are not normalised).
    public func normalize(_ raw: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        let o = observationSize
        guard normalizesObservations else { out.update(from: raw, count: rows * o); return }
        for r in 0..<rows {
            for j in 0..<o {
                out[r * o + j] = min(max((raw[r * o + j] - mean[j]) * inverseStd[j], -clip), clip)
            }
        }
    }

    /// A reward scaled with the frozen return statistics (unchanged when rewards are not normalised).
    public func scale(reward: Float) -> Float {
        normalizesRewards ? min(max(reward * rewardScale, -clip), clip) : reward
    }

    /// The moments a collector adds its segment's raw observations and discounted returns to.
    public func observationDelta(segment: Int) -> RunningMoments { observationDeltas[segment] }
    public func returnDelta(segment: Int) -> RunningMoments { returnDeltas[segment] }

    /// Folds every segment's moments into the run's, in segment order, and freezes the new
    /// statistics for the next rollout. Only while no collector runs.
    public func absorbSegments() {
        for delta in observationDeltas { observationMoments.absorb(delta) }
        for delta in returnDeltas { returnMoments.absorb(delta) }
        freeze()
    }

    private func freeze() {
        for j in 0..<observationSize {
            mean[j] = Float(observationMoments.mean[j])
            inverseStd[j] = Float(1 / (observationMoments.variance(j) + epsilon).squareRoot())
        }
        rewardScale = Float(1 / (returnMoments.variance(0) + epsilon).squareRoot())
    }

    public func stateDict() -> StateDict {
        var dict = StateDict()
        dict.merge(observationMoments.stateDict(), prefix: "observations")
        dict.merge(returnMoments.stateDict(), prefix: "returns")
        return dict
    }

    public func loadStateDict(_ dict: StateDict) throws {
        try observationMoments.loadStateDict(dict.scoped("observations"), name: "normalization.observations")
        try returnMoments.loadStateDict(dict.scoped("returns"), name: "normalization.returns")
        for delta in observationDeltas { delta.clear() }
        for delta in returnDeltas { delta.clear() }
        freeze()
    }
}
