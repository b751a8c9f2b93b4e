import Shared
import Atomics
import Shared
import StateDictIO

/// Observation and reward normalisation with statistics that travel with the model (after
/// Stable-Baselines3's `VecNormalize`): observations become clip((x − μ)/√(σ² + ε), ±10) and
/// rewards r/√(σ²_R + ε) clipped to ±10, where σ²_R is the variance of each environment's
/// running discounted return.
///
/// The statistics the collectors apply are frozen between folds: each collector adds what it
/// sees to its own segment's moments (`record(observations:rows:segment:)`, `returnDelta`), and
/// the learner folds every segment into the run's moments in segment order
/// (`absorbSegments()`): on-policy between rollouts, while no collector runs, so the result does
/// not depend on thread timing; for replay algorithms before every update, while collector
/// threads may run (each segment's moments sit behind a lock, and the frozen statistics are
/// published as an immutable snapshot). Evaluation uses the frozen statistics and updates nothing.
public final class Normalization: @unchecked Sendable {
    public let observationSize: Int
    public let normalizesObservations: Bool
    public let normalizesRewards: Bool
    public let clip: Float = 10
    public let epsilon = 1e-8
    /// The run's statistics: of raw observations, and of discounted returns.
    public let observationMoments: RunningMoments
    public let returnMoments: RunningMoments
    private let observationDeltas: [Locked<RunningMoments>]
    private let returnDeltas: [RunningMoments]
    /// The frozen statistics, replaced whole at each fold.
    final class Frozen: AtomicReference, Sendable {
        let mean: [Float], inverseStd: [Float], rewardScale: Float
        init(mean: [Float], inverseStd: [Float], rewardScale: Float) {
            self.mean = mean
            self.inverseStd = inverseStd
            self.rewardScale = rewardScale
        }
    }
    private let frozen: ManagedAtomic<Frozen>
    public var rewardScale: Float { frozen.load(ordering: .acquiring).rewardScale }

    public init(observationSize: Int, observations: Bool, rewards: Bool, segments: Int) {
        self.observationSize = observationSize
        normalizesObservations = observations
        normalizesRewards = rewards
        observationMoments = RunningMoments(size: observationSize)
        returnMoments = RunningMoments(size: 1)
        observationDeltas = (0..<segments).map { _ in Locked(RunningMoments(size: observationSize)) }
        returnDeltas = (0..<segments).map { _ in RunningMoments(size: 1) }
        frozen = ManagedAtomic(Frozen(mean: Array(repeating: 0, count: observationSize), inverseStd: Array(repeating: 1, count: observationSize),
                                      rewardScale: 1))
    }

    /// Writes `rows` observations normalised with the frozen statistics (a copy when
    /// observations are not normalised).
    public func normalize(_ raw: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        let o = observationSize
        guard normalizesObservations else { out.update(from: raw, count: rows * o); return }
        let stats = frozen.load(ordering: .acquiring)
        stats.mean.withUnsafeBufferPointer { mean in stats.inverseStd.withUnsafeBufferPointer { inverseStd in
            for r in 0..<rows {
                for j in 0..<o {
                    out[r * o + j] = min(max((raw[r * o + j] - mean[j]) * inverseStd[j], -clip), clip)
                }
            }
        } }
    }

    /// Adds `rows` raw observations to segment `segment`'s moments (a collector, any thread).
    public func record(observations raw: UnsafePointer<Float>, rows: Int, segment: Int) {
        guard normalizesObservations else { return }
        observationDeltas[segment].withLock { moments in
            for r in 0..<rows { moments.add(raw + r * observationSize) }
        }
    }

    /// A reward scaled with the frozen return statistics (unchanged when rewards are not normalised).
    public func scale(reward: Float) -> Float {
        normalizesRewards ? min(max(reward * rewardScale, -clip), clip) : reward
    }

    /// The moments a collector adds its segment's discounted returns to (on-policy collectors,
    /// which rest while the learner folds).
    public func returnDelta(segment: Int) -> RunningMoments { returnDeltas[segment] }

    /// Folds every segment's moments into the run's, in segment order, and publishes the new
    /// frozen statistics. The learner's thread only.
    public func absorbSegments() {
        for delta in observationDeltas { delta.withLock { observationMoments.absorb($0) } }
        for delta in returnDeltas { returnMoments.absorb(delta) }
        freeze()
    }

    private func freeze() {
        let mean = (0..<observationSize).map { Float(observationMoments.mean[$0]) }
        let inverseStd = (0..<observationSize).map { Float(1 / (observationMoments.variance($0) + epsilon).squareRoot()) }
        frozen.store(Frozen(mean: mean, inverseStd: inverseStd, rewardScale: Float(1 / (returnMoments.variance(0) + epsilon).squareRoot())),
                     ordering: .releasing)
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
        for delta in observationDeltas { delta.withLock { $0.clear() } }
        for delta in returnDeltas { delta.clear() }
        freeze()
    }
}
