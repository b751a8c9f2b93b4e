import Collectors
import Core
import Learner
import Memory

/// Raises prioritized replay's importance-sampling exponent β linearly from its initial value
/// to 1 over the run's environment-step budget (Schaul et al. 2016): after every batch for the
/// next one, and at the start of training (a resumed run's first batch then uses the β the
/// uninterrupted run's did: it depends only on the step count).
final class ImportanceSamplingSchedule: Callback {
    let name = "importance_sampling"
    var phase: CallbackPhase { .prepare }
    let sampler: PrioritizedSampler
    let initialBeta: Double
    let budget: Int
    let statistics: RunControl

    init(sampler: PrioritizedSampler, initialBeta: Double, budget: Int, statistics: RunControl) {
        self.sampler = sampler
        self.initialBeta = initialBeta
        self.budget = budget
        self.statistics = statistics
    }

    func beginTraining(_ state: inout TrainingState) throws { advance() }
    func endBatch(_ batch: ReplayBatch, state: inout TrainingState) throws { advance() }

    private func advance() {
        let progress = min(Double(statistics.environmentSteps) / Double(max(budget, 1)), 1)
        sampler.beta = initialBeta + (1 - initialBeta) * progress
    }
}
