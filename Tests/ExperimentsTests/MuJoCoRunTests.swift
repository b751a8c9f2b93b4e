#if MuJoCo
import Core
@testable import Experiments
import Foundation
import Learner
import StateDictIO
import Testing

/// Runs on Gymnasium's MuJoCo tasks (the `MuJoCo` trait): a SAC HalfCheetah run resumed
/// mid-episode ends bit-identical to the uninterrupted one (MuJoCo's integration state, warm
/// start included, and NumPy's random stream are in the checkpoint), and each continuous-action
/// algorithm learns InvertedPendulum-v5 to exact, pinned returns in deterministic mode.
@Suite(.serialized) struct MuJoCoRunTests {
    @Test func aResumedSACHalfCheetahRunEndsBitIdentical() throws {
        let config = try ExperimentConfig.defaults(.sac, environment: "HalfCheetah-v5", overrides: [
            "train.env_steps=500", "memory.min_size=100", "algorithm.batch_size=32", "network.hidden=[16, 16]", "train.eval_every=150",
            "train.blas_threads=1", "train.deterministic=true", "eval.episodes=1", "eval.max_episode_steps=50", "train.stop_at_threshold=false",
            "callbacks=[{checkpointer: {every: 100, keep: 2}}]"])
        let whole = temporaryRunDirectory("mujoco-whole"), split = temporaryRunDirectory("mujoco-split")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: split) }
        let uninterrupted = try Experiment.run(config, options: RunOptions(directory: whole))
        var first = RunOptions(directory: split)
        first.extraCallbacks = [StopAfter(updates: 137)]   // 237 env steps: in the middle of the first 1000-step episode
        _ = try Experiment.run(config, options: first)
        let checkpoint = try CheckpointLoader.loadNewest(in: split.appendingPathComponent("checkpoints"), fallback: false)
        let resumed = try Experiment.run(config, options: RunOptions(directory: split, resume: checkpoint.dict))
        #expect(resumed.resumedFromUpdates == 137)
        #expect(resumed.evaluationReturns == uninterrupted.evaluationReturns)
        let a = try finalCheckpointButTime(whole), b = try finalCheckpointButTime(split)
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for name in a.tensors.keys.sorted() where a.tensors[name] != b.tensors[name] {
            Issue.record("\(name) differs after resume")
        }
    }

    /// Deterministic learning on InvertedPendulum-v5 (1000 is the most an episode earns):
    /// exact returns, as for the classic tasks (OpenBLAS and libxsmm kernels pinned).
    @Test(arguments: [
        (AlgorithmName.sac, ["train.env_steps=8000", "memory.min_size=500", "network.hidden=[64, 64]"]),
        (AlgorithmName.td3, ["train.env_steps=8000", "memory.min_size=500", "algorithm.random_steps=500", "network.hidden=[64, 64]"]),
        (AlgorithmName.ppo, ["train.env_steps=32768", "algorithm.n_steps=256", "collectors.num_envs=4", "algorithm.batch_size=64", "algorithm.n_epochs=5"]),
        (AlgorithmName.a2c, ["train.env_steps=32000", "collectors.num_envs=4"]),
    ])
    func learnsInvertedPendulumExactly(algorithm: AlgorithmName, overrides: [String]) throws {
        let config = try ExperimentConfig.defaults(algorithm, environment: "InvertedPendulum-v5", overrides: overrides + [
            "train.deterministic=true", "train.blas_threads=1", "train.eval_every=null", "eval.episodes=5", "train.stop_at_threshold=false"])
        let directory = temporaryRunDirectory("mujoco-learn")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Experiment.run(config, options: RunOptions(directory: directory))
        let returns = try #require(result.final?.returns)
        print("\(algorithm) InvertedPendulum-v5: \(returns) after \(result.environmentSteps) env steps, \(result.updates) updates")
        #expect(returns == Self.expected[algorithm.rawValue])
    }

    /// From the first run of these configs (uniformly random actions last 2 to 15 steps, median 4, over 200 Gymnasium episodes; PPO balances for the whole 1000).
    static let expected: [String: [Double]] = [
        "sac": [80, 77, 83, 78, 79],
        "td3": [67, 69, 66, 68, 67],
        "ppo": [1000, 1000, 1000, 1000, 1000],
        "a2c": [82, 174, 166, 56, 86],
    ]
}
#endif
