import Core
@testable import Experiments
import Foundation
import Learner
import MuJoCoEnvs
import Reporting
import Testing

/// Every shipped config leaves a run a user can watch: progress lines, metrics rows,
/// TensorBoard points, periodic checkpoints and evaluations at a sensible rate over its budget
/// (on-policy runs used to count the shared cadences, thousands of updates, in rollouts, and
/// printed nothing), and a brief real run of each on-policy config writes every output.
@Suite struct RunOutputsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func shipped() throws -> [(String, ExperimentConfig)] {
        let directory = root.appendingPathComponent("configs")
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted().map {
            ($0, try ExperimentConfig.load(file: directory.appendingPathComponent($0).path, environments: nil))
        }
    }

    /// Learner updates over the whole budget: one per rollout on-policy, the replay ratio times
    /// the steps after the memory's minimum otherwise.
    static func updates(_ config: ExperimentConfig) -> Int {
        let steps = config[TrainKeys.environmentSteps]
        if config.definition.dataFlow is RolloutFlow {
            return steps / (config[ActorCriticConfig.nSteps] * config[CollectorsKeys.environments] * max(config[CollectorsKeys.count], 1))
        }
        return Int(Double(steps - config[ReplayKeys.minSize]) * config[ReplayKeys.updatesPerStep])
    }

    @Test func everyShippedConfigLogsAtASensibleRateOverItsBudget() throws {
        for (name, config) in try Self.shipped() {
            let updates = Self.updates(config)
            func every(_ callback: String) -> Int { config.callbacks.first { $0.name == callback }!["every"]!.intValue! }
            #expect(updates / config[TrainKeys.logEvery] >= 10, "\(name): \(updates / config[TrainKeys.logEvery]) progress lines")
            #expect(updates / every("metrics") >= 10, "\(name): \(updates / every("metrics")) metrics rows")
            #expect(updates / every("tensorboard") >= 20, "\(name): \(updates / every("tensorboard")) TensorBoard points")
            #expect(updates / every("checkpointer") >= 1, "\(name): no periodic checkpoint")
            #expect(updates / every("episodes") >= 1, "\(name): episodes.csv written only at the end")
            if let evalEvery = config[TrainKeys.evalEvery] { #expect(updates / evalEvery >= 2, "\(name): \(updates / evalEvery) evaluations") }
        }
    }

    /// A brief run of each shipped on-policy config (a few dozen rollouts) writes progress,
    /// metrics, TensorBoard events, episodes, a periodic checkpoint and a report with data.
    @Test(arguments: ["ppo-cartpole.yaml", "a2c-cartpole.yaml", "ppo-acrobot.yaml", "ppo-pendulum.yaml"])
    func aBriefOnPolicyRunWritesEveryOutput(name: String) throws {
        let file = Self.root.appendingPathComponent("configs").appendingPathComponent(name).path
        let base = try ExperimentConfig.load(file: file, environments: nil)
        let rollout = base[ActorCriticConfig.nSteps] * base[CollectorsKeys.environments]
        let rollouts = min(max(base.callbacks.first { $0.name == "checkpointer" }!["every"]!.intValue!, 2 * base[TrainKeys.logEvery], 20), 3_000) + 1
        let config = try ExperimentConfig.load(file: file, overrides: ["train.env_steps=\(rollout * rollouts)", "train.stop_at_threshold=false",
                                                                        "train.deterministic=true", "eval.episodes=2"])
        let directory = temporaryRunDirectory("outputs")
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = 0
        var options = RunOptions(directory: directory)
        options.progress = { _ in lines += 1 }
        _ = try Experiment.run(config, options: options)
        #expect(lines >= 2, "\(name): \(lines) progress lines")
        let metrics = try String(contentsOf: directory.appendingPathComponent(RunFiles.metrics), encoding: .utf8).split(separator: "\n")
        #expect(metrics.count >= 3, "\(name): metrics.csv has \(metrics.count - 1) rows")
        let episodes = try String(contentsOf: directory.appendingPathComponent(RunFiles.episodes), encoding: .utf8).split(separator: "\n")
        #expect(episodes.count >= 2, "\(name): episodes.csv has \(episodes.count - 1) rows")
        let events = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(RunFiles.tensorboard).path)
        let eventBytes = try events.map { try Data(contentsOf: directory.appendingPathComponent(RunFiles.tensorboard).appendingPathComponent($0)).count }.reduce(0, +)
        #expect(eventBytes > 2_000, "\(name): \(eventBytes) bytes of TensorBoard events")
        let checkpoints = CheckpointLoader.checkpoints(in: directory.appendingPathComponent(RunFiles.checkpoints))
        #expect(checkpoints.count >= 2, "\(name): \(checkpoints.count) checkpoints (a periodic one and the final one)")
        let record = try RunRecord(directory: directory)
        #expect(!record.metrics.rows.isEmpty && record.evaluation(best: false) != nil, "\(name): the report has no data")
    }
}

/// Plots pool the seeds of one config and nothing else (issue 29.8: an Acrobot and a CartPole
/// run were drawn as one band "runs (2 seeds)").
@Suite struct RunGroupsTests {
    @Test func seedsOfOneConfigShareAGroupAndOtherConfigsDoNot() throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("groups-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        var directories: [URL] = []
        for (env, seed) in [("CartPole-v1", 1), ("Acrobot-v1", 1), ("CartPole-v1", 2)] {
            let config = try ExperimentConfig.defaults(.dqn, environment: env, overrides: [
                "train.env_steps=400", "memory.min_size=200", "network.hidden=[8]", "train.eval_every=100", "eval.episodes=1",
                "eval.max_episode_steps=20", "train.deterministic=true", "train.seed=\(seed)", "train.runs_dir=\(base.path)",
                "callbacks=[{metrics: {every: 50}}]"])
            guard case .finished(_, let directory) = try RunLauncher.train(config) else { Issue.record("\(env) did not run"); return }
            directories.append(directory)
        }
        let groups = RunGroups.bySeed(try directories.map { try RunRecord(directory: $0) })
        #expect(groups.map(\.name) == ["dqn-CartPole-v1", "dqn-Acrobot-v1"])
        #expect(groups.map { $0.runs.count } == [2, 1])
        let svg = TrainingPlots.evaluation(groups, axis: .steps).svg
        #expect(svg.contains("dqn-CartPole-v1 (2 seeds)") && svg.contains("dqn-Acrobot-v1 (1 seed)"))
    }
}
