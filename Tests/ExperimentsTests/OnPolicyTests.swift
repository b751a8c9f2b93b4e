import Envs
import Experiments
import Foundation
import Learner
import Memory
import StateDictIO
import Testing

@Suite struct OnPolicyTests {
    func temporary(_ name: String) -> URL { temporaryRunDirectory(name) }
    func comparable(_ directory: URL) throws -> StateDict { try finalCheckpointButTime(directory) }

    /// PPO with the shipped CartPole defaults, deterministic: the solved step and the final
    /// returns are exact (under the kernels scripts/test.sh pins).
    @Test func ppoSolvesCartPoleDeterministically() throws {
        let config = try ExperimentConfig.defaults(.ppo, overrides: ["train.deterministic=true", "train.seed=3"])
        let result = try Experiment.run(config)
        #expect(result.stoppedBy == .solved)
        #expect(result.solvedAtEnvironmentSteps == 20_480)
        #expect(result.final?.mean == 495.2, "the solved policy's 20 fresh episodes")
        #expect(result.final?.episodes == 20)
        #expect(result.metrics?.keys.sorted() == ["approx_kl", "clip_fraction", "entropy", "explained_variance", "learning_rate",
                                                  "policy_loss", "value_loss"])
    }

    /// On-policy rollouts are synchronous, so collector threads give exactly the inline
    /// (deterministic-mode) run: same rollouts, same updates, same final evaluation.
    @Test func collectorThreadsGiveTheDeterministicRun() throws {
        let overrides = ["train.env_steps=6144", "collectors.count=2", "collectors.num_envs=4", "train.eval_every=8", "eval.episodes=3",
                         "train.stop_at_threshold=false", "env.normalize_observations=true", "env.normalize_rewards=true"]
        let threaded = try Experiment.run(try ExperimentConfig.defaults(.ppo, overrides: overrides))
        let inline = try Experiment.run(try ExperimentConfig.defaults(.ppo, overrides: overrides + ["train.deterministic=true"]))
        #expect(threaded.updates == 24 && inline.updates == 24)
        #expect(threaded.environmentSteps == inline.environmentSteps)
        #expect(threaded.episodes == inline.episodes)
        #expect(threaded.final?.returns == inline.final?.returns)
        #expect(threaded.metrics == inline.metrics)
    }

    /// A run stopped after k updates and resumed ends bit-identical to the uninterrupted one:
    /// networks, log-stds, optimizer moments, normalisation statistics, environments, the
    /// collectors' running discounted returns and random streams, counters; for PPO and A2C,
    /// discrete and continuous, inline and with collector threads.
    @Test(arguments: [(AlgorithmName.ppo, "CartPole-v1", false), (AlgorithmName.ppo, "Pendulum-v1", true),
                      (AlgorithmName.a2c, "Acrobot-v1", true)])
    func aResumedRunEndsBitIdentical(algorithm: AlgorithmName, environment: String, deterministic: Bool) throws {
        let config = try ExperimentConfig.defaults(algorithm, environment: environment, overrides: [
            "train.env_steps=3000", "algorithm.n_steps=50", "collectors.num_envs=3", "collectors.count=2", "network.hidden=[16]",
            "env.normalize_observations=true", "env.normalize_rewards=true", "train.deterministic=\(deterministic)",
            "train.eval_every=7", "eval.episodes=2", "train.stop_at_threshold=false",
            "callbacks=[{checkpointer: {every: 4, keep: 2}}, {metrics: {every: 2}}]"])
        let whole = temporary("whole"), split = temporary("split")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: split) }
        let uninterrupted = try Experiment.run(config, options: RunOptions(directory: whole))
        #expect(uninterrupted.updates == 10, "3,000 steps in rollouts of 300")

        var first = RunOptions(directory: split)
        first.extraCallbacks = [StopAfter(updates: 5)]
        let stopped = try Experiment.run(config, options: first)
        #expect(stopped.stoppedBy == .requested && stopped.updates == 5)
        let checkpoint = try CheckpointLoader.loadNewest(in: split.appendingPathComponent("checkpoints"), fallback: false)
        #expect(checkpoint.dict.tensors.keys.contains { $0.hasPrefix("extra.collectors.1.envs.") }, "collectors rest between rollouts")
        #expect(checkpoint.dict.tensors.keys.contains { $0.hasPrefix("callbacks.normalization.observations.") })
        let resumed = try Experiment.run(config, options: RunOptions(directory: split, resume: checkpoint.dict))
        #expect(resumed.resumedFromUpdates == 5)
        #expect(resumed.updates == uninterrupted.updates)
        #expect(resumed.episodes == uninterrupted.episodes)
        #expect(resumed.evaluationReturns == uninterrupted.evaluationReturns)
        let a = try comparable(whole), b = try comparable(split)
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for name in a.tensors.keys.sorted() where a.tensors[name] != b.tensors[name] {
            Issue.record("\(name) differs after resume")
        }
    }

    /// The best policy kept by a normalised run carries its statistics: `rl-train eval`'s path
    /// (a checkpoint and its config) scores what the run scored.
    @Test func aCheckpointEvaluatesWithItsNormalisation() throws {
        let config = try ExperimentConfig.defaults(.ppo, environment: "Pendulum-v1", overrides: [
            "train.env_steps=2048", "algorithm.n_steps=256", "collectors.num_envs=2", "network.hidden=[16]",
            "env.normalize_observations=true", "train.eval_every=null", "eval.episodes=3", "train.deterministic=true"])
        let directory = temporary("normalised")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Experiment.run(config, options: RunOptions(directory: directory))
        let checkpoint = try CheckpointLoader.loadNewest(in: directory.appendingPathComponent("checkpoints"), fallback: false)
        let returns = try Experiment.evaluate(checkpoint: checkpoint.dict, config: config, seed: result.final!.seed)
        #expect(returns == result.final?.returns)
        var stripped = checkpoint.dict
        for name in stripped.tensors.keys where name.hasPrefix("callbacks.normalization.") { stripped.tensors[name] = nil }
        #expect(throws: (any Error).self) { _ = try Experiment.evaluate(checkpoint: stripped, config: config) }
    }

    /// Refused when the config is loaded, before any run directory exists (--dry-run says so too).
    @Test func replayAlgorithmsRefuseRewardScalingByName() throws {
        #expect { _ = try ExperimentConfig.defaults(.dqn, overrides: ["env.normalize_rewards=true"]) } throws: {
            "\($0)".contains("env.normalize_rewards") && "\($0)".contains("ppo")
        }
    }
}

/// Issue 29.6: a PPO minibatch larger than its rollout is refused at load, naming the sizes.
@Suite struct RolloutMinibatchTests {
    @Test func aMinibatchLargerThanTheRolloutIsRefused() throws {
        #expect { _ = try ExperimentConfig.defaults(.ppo, overrides: ["algorithm.batch_size=512"]) } throws: {
            "\($0)".contains("algorithm.batch_size: the minibatch of 512 rows is larger than the rollout it is drawn from: 256 rows")
        }
        _ = try ExperimentConfig.defaults(.ppo, overrides: ["algorithm.batch_size=256"])
        _ = try ExperimentConfig.defaults(.a2c)
    }
}
