import Collectors
import Core
@testable import Experiments
import Foundation
import Learner
import StateDictIO
import Testing

@Suite struct PeriodicEvaluationTests {
    /// A PeriodicEvaluation whose evaluations return scripted means: `means[seed]` (two episodes
    /// at mean ± 1), with evaluation seeds 1000·u and confirmation seeds 1000·u + 1.
    func evaluator(threshold: Double?, stop: Bool, means: [UInt64: Double], spread: Double = 1,
                   statistics: RunControl) -> PeriodicEvaluation {
        PeriodicEvaluation(every: 10, threshold: threshold, stopWhenSolved: stop, statistics: statistics,
                           seeds: { (UInt64($0) * 1000, UInt64($0) * 1000 + 1) },
                           evaluate: { seed in
                               let mean = means[seed] ?? -1_000
                               return [mean - spread, mean + spread]
                           })
    }

    /// Both means above the threshold, but the returns so spread that the 95% lower prediction
    /// bound of a fresh evaluation is below it: not solved (a policy that fails now and then
    /// keeps training).
    @Test func aSpreadOfReturnsBelowTheConfidenceBoundIsNotSolved() throws {
        let statistics = RunControl()
        let e = evaluator(threshold: 90, stop: true, means: [10_000: 100, 10_001: 100], spread: 30, statistics: statistics)
        var state = TrainingState()
        state.updates = 10
        try e.endCycle(&state)
        // mean 100, std 30 over n = 4 episodes, for a fresh evaluation of m = 2: 100 − 1.645 · 30 · √(1/4 + 1/2) = 57.3 < 90
        #expect(abs((state[RunKeys.evaluation]?.lowerBound ?? 0) - (100 - 1.645 * 30 * 0.75.squareRoot())) < 1e-9)
        #expect(e.solvedAt == nil && !statistics.stopRequested)
        #expect(e.best?.score == 100)
    }

    @Test func aCrossingCountsOnlyWhenItsConfirmationAlsoReachesTheThreshold() throws {
        let statistics = RunControl()
        // Update 10: 100 (crosses 90), confirmation 50 (fails). Update 20: 95, confirmation 92 (solved).
        let e = evaluator(threshold: 90, stop: true, means: [10_000: 100, 10_001: 50, 20_000: 95, 20_001: 92], statistics: statistics)
        var bests: [Int] = []
        e.onNewBest = { record in bests.append(record.updates) }
        var state = TrainingState()
        state.updates = 10
        try e.endCycle(&state)
        #expect(e.solvedAt == nil && !statistics.stopRequested)
        #expect(state[RunKeys.evaluation]?.confirmationMean == 50)
        #expect(state[RunKeys.evaluation]?.score == 75, "the score pools both sets of episodes")
        #expect(state[RunKeys.evaluation]?.episodes == 4)
        statistics.setEnvironmentSteps(123)
        state.updates = 20
        try e.endCycle(&state)
        #expect(e.solvedAt == 123)
        #expect(e.stoppedSolved && statistics.stopRequested)
        #expect(bests == [10, 20])
        #expect(e.best?.score == 93.5)
    }

    @Test func withoutStoppingTheBestIsKeptAndItsStateRoundTrips() throws {
        let statistics = RunControl()
        let e = evaluator(threshold: 90, stop: false, means: [10_000: 10, 20_000: 95, 20_001: 96, 30_000: 20], statistics: statistics)
        var state = TrainingState()
        for u in [10, 20, 30] {
            state.updates = u
            try e.endCycle(&state)
        }
        #expect(!statistics.stopRequested && !e.stoppedSolved)
        #expect(e.solvedAt == 0)
        #expect(e.best?.updates == 20 && e.best?.score == 95.5 && e.best?.episodes == 4)

        let restored = evaluator(threshold: 90, stop: false, means: [:], statistics: RunControl())
        try restored.loadStateDict(e.stateDict(), loadNetwork: true, loadOptimizer: true, loadHparams: true)
        #expect(restored.best == e.best)
        #expect(restored.solvedAt == 0)
        // Absence is absence in a checkpoint: every value finite, none a −1 or NaN sentinel.
        let unsolved = evaluator(threshold: nil, stop: false, means: [10_000: 5], statistics: RunControl())
        state.updates = 10
        try unsolved.endCycle(&state)
        let dict = unsolved.stateDict()
        #expect(unsolved.best?.confirmationMean == nil && dict.tensors["best.score"] != nil)
        for (name, tensor) in dict.tensors where tensor.dtype == .float64 {
            #expect(try tensor.doubles(name: name).allSatisfy(\.isFinite), "\(name) is not finite")
        }
        #expect(dict.tensors["solved_at"] == nil && dict.tensors["best.confirmation_mean"] == nil)
        let again = evaluator(threshold: nil, stop: false, means: [:], statistics: RunControl())
        try again.loadStateDict(dict, loadNetwork: true, loadOptimizer: true, loadHparams: true)
        #expect(again.best == unsolved.best && again.solvedAt == nil)
        // Checkpoints written before wrote −1 and NaN for absence: they still load.
        var older = dict
        older.tensors["solved_at"] = Tensor(scalar: Int64(-1))
        older.tensors["best.confirmation_mean"] = Tensor(scalar: Double.nan)
        older.tensors["best.lower_bound"] = Tensor(scalar: Double.nan)
        try again.loadStateDict(older, loadNetwork: true, loadOptimizer: true, loadHparams: true)
        #expect(again.best?.score == unsolved.best?.score && again.best?.lowerBound == nil && again.solvedAt == nil)
        // Nothing reached the threshold without a threshold: never solved.
        let plain = evaluator(threshold: nil, stop: true, means: [10_000: 1e9], statistics: RunControl())
        state.updates = 10
        try plain.endCycle(&state)
        #expect(plain.solvedAt == nil && state[RunKeys.evaluation]?.confirmationMean == nil)
    }
}

extension PeriodicEvaluationTests {
    /// The best policy is the one with the higher prediction bound, not the higher mean: a
    /// lucky, spread evaluation does not displace a steady one.
    @Test func candidatesRankByTheirBoundNotTheirMean() throws {
        let e = PeriodicEvaluation(every: 10, threshold: nil, stopWhenSolved: false, statistics: RunControl(),
                                   seeds: { (UInt64($0) * 1000, UInt64($0) * 1000 + 1) },
                                   evaluate: { seed in seed == 10_000 ? [50, 150] : [59, 61] })
        var state = TrainingState()
        for u in [10, 20] {
            state.updates = u
            try e.endCycle(&state)
        }
        // Update 10: mean 100, std 50, bound 100 − 1.645 · 50 = 17.75; update 20: mean 60, bound 58.4.
        #expect(e.best?.updates == 20)
    }

    /// A confirmed solve stays the best policy when a later evaluation has a higher mean that
    /// its confirmation does not hold.
    @Test func aConfirmedSolveOutranksAHigherUnconfirmedMean() throws {
        let e = evaluator(threshold: 90, stop: false, means: [10_000: 95, 10_001: 96, 20_000: 300, 20_001: 80], statistics: RunControl())
        var state = TrainingState()
        for u in [10, 20] {
            state.updates = u
            try e.endCycle(&state)
        }
        #expect(state[RunKeys.evaluation]?.score == 190 && state[RunKeys.evaluation]?.solved == false)
        #expect(e.best?.updates == 10 && e.best?.solved == true)
        let restored = evaluator(threshold: 90, stop: false, means: [:], statistics: RunControl())
        try restored.loadStateDict(e.stateDict(), loadNetwork: true, loadOptimizer: true, loadHparams: true)
        #expect(restored.best == e.best)
    }

    /// Of the final and the best policy, the one that scored higher on the same fresh episodes
    /// is the default (`rl-train eval`, reports, sweep tables), and result.json says which.
    @Test func theDefaultPolicyIsTheOneThatScoredHigherAtTheEnd() throws {
        func summary(_ updates: Int, _ returns: [Double]) -> EvaluationSummary {
            EvaluationSummary(updates: updates, environmentSteps: updates, seed: 7, returns: returns)
        }
        func result(final: [Double], best: [Double]?) -> RunResult {
            RunResult(runID: "x", algorithm: "sac", environment: "Pendulum-v1", seed: 1, stoppedBy: .budget, environmentSteps: 100,
                      updates: 100, episodes: 1, final: summary(100, final),
                      best: best.map { BestEvaluation(selectionScore: 0, selectionEpisodes: 2, fresh: summary(50, $0)) }, seconds: 1)
        }
        #expect(result(final: [-150, -160], best: [-230, -231]).defaultPolicy == .final)
        #expect(result(final: [-150, -160], best: [-230, -231]).evaluation()?.mean == -155)
        #expect(result(final: [413, 413], best: [500, 500]).defaultPolicy == .best)
        #expect(result(final: [413, 413], best: [500, 500]).evaluation()?.mean == 500)
        #expect(result(final: [1, 1], best: [1, 1]).defaultPolicy == .final)
        #expect(result(final: [1, 1], best: nil).defaultPolicy == .final)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result(final: [1], best: [2]))) as? [String: Any]
        #expect(json?["default_policy"] as? String == "best")
        let decoded = try JSONDecoder().decode(RunResult.self, from: JSONEncoder().encode(result(final: [3], best: [2])))
        #expect(decoded.defaultPolicy == .final && decoded.final?.mean == 3)
    }
}

@Suite struct BestPolicyTests {
    /// A run that trains past its best evaluation keeps that policy in checkpoints/best.safetensors.gz;
    /// result.json reports it over the final evaluation's episodes, and evaluating the file on
    /// those episodes gives exactly those returns.
    @Test func theBestPolicyIsKeptReportedAndEvaluable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("best-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "train.deterministic=true", "train.env_steps=6000", "train.eval_every=500", "train.stop_at_threshold=false",
            "eval.episodes=3", "network.hidden=[32]", "memory.min_size=500",
            "callbacks=[{checkpointer: {every: 1000, keep: 1}}]"])
        let result = try Experiment.run(config, options: RunOptions(directory: directory))
        let final = try #require(result.final)
        let best = try #require(result.best)
        #expect(final.episodes == 3 && best.fresh.episodes == 3 && best.fresh.seed == final.seed)
        #expect(final.returns == result.evaluationReturns)
        #expect(best.selectionEpisodes >= 3)
        let file = try #require(try CheckpointLoader.loadBest(in: directory.appendingPathComponent("checkpoints")))
        #expect(file.dict.metadata["best_updates"] == String(best.fresh.updates))
        let returns = try Experiment.evaluate(checkpoint: file.dict, config: config, episodes: 3, seed: final.seed)
        #expect(returns == best.fresh.returns)
        #expect(result.evaluation() == (best.fresh.mean > final.mean ? best.fresh : final))
        #expect(result.evaluation(last: true) == final)
        // Only the newest periodic checkpoint is kept (keep: 1); the best file is not one of them.
        #expect(CheckpointLoader.checkpoints(in: directory.appendingPathComponent("checkpoints")).count == 1)
    }
}
