import Collectors
import Learner
import Memory
import StateDictIO

/// Folds the collectors' normalisation statistics into the run's before every update (on-policy:
/// between rollouts, while no collector runs) and saves them with the model, so evaluation and a
/// resume normalise as training did. With `normalizesBatches` (replay algorithms, whose memory
/// holds raw observations, as Stable-Baselines3's) it also normalises each sampled batch's
/// observations and next observations with the current statistics, before any loss sees them.
public final class NormalizationUpdate: Callback {
    public let name = "normalization"
    public var phase: CallbackPhase { .prepare }
    public let normalization: Normalization
    public let normalizesBatches: Bool
    public init(normalization: Normalization, normalizesBatches: Bool = false) {
        self.normalization = normalization
        self.normalizesBatches = normalizesBatches
    }

    public func beginBatch(_ batch: ReplayBatch, state: inout TrainingState) throws {
        normalization.absorbSegments()
        guard normalizesBatches else { return }
        let rows = batch.count
        batch.transformObservations { observations, next in
            normalization.normalize(UnsafePointer(observations.baseAddress!), rows: rows, into: observations.baseAddress!)
            normalization.normalize(UnsafePointer(next.baseAddress!), rows: rows, into: next.baseAddress!)
        }
    }

    public func stateDict() -> StateDict { normalization.stateDict() }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        if loadNetwork { try normalization.loadStateDict(dict) }
    }
}
