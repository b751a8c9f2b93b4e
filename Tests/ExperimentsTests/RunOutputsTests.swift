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
