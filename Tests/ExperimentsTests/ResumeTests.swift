import Envs
import Experiments
import Foundation
import Learner
import Memory
import StateDictIO
import Testing

/// Stops training (as a signal would) once `updates` updates are done.
final class StopAfter: Callback {
    let name = "stop_after"
    let updates: Int
    init(updates: Int) { self.updates = updates }
    func endBatch(_ batch: ReplayBatch, state: inout TrainingState) throws {
        if state.updates + 1 >= updates { state.stopRequested = true }
    }
}



/// A fresh path in the temporary folder (not created).
func temporaryRunDirectory(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
}

/// Everything in a run's newest checkpoint but wall-clock time.
func finalCheckpointButTime(_ directory: URL) throws -> StateDict {
    var dict = try CheckpointLoader.loadNewest(in: directory.appendingPathComponent("checkpoints"), fallback: false).dict
    dict.tensors["extra.run.seconds"] = nil
    return dict
}

@Suite struct DeterministicResumeTests {
    func temporary(_ name: String) -> URL { temporaryRunDirectory(name) }
    func comparable(_ directory: URL) throws -> StateDict { try finalCheckpointButTime(directory) }

    /// A run stopped after k updates and resumed ends bit-identical to the uninterrupted run:
    /// networks, target networks, optimizer moments, replay memory, environments, RNG streams
    /// and counters, and the final evaluation.
    @Test(arguments: [(AlgorithmName.dqn, ["algorithm.n_step=3"]), (AlgorithmName.sac, ["algorithm.n_step=2"]),
                      (AlgorithmName.dqn, ["memory.prioritized=true", "algorithm.n_step=2"]),
                      (AlgorithmName.sac, ["algorithm.exploration_noise=pink"]),
                      (AlgorithmName.td3, ["algorithm.random_steps=150", "algorithm.exploration_noise=pink"]),
                      (AlgorithmName.dqn, ["env.normalize_observations=true", "algorithm.n_step=2"]),
                      (AlgorithmName.sac, ["env.normalize_observations=true", "algorithm.exploration_noise=pink"])])
    func aResumedDeterministicRunEndsBitIdentical(algorithm: AlgorithmName, extra: [String]) throws {
        let overrides = algorithm == .dqn
            ? ["train.env_steps=2500", "memory.min_size=300", "network.hidden=[16]", "train.eval_every=400"]
            : ["train.env_steps=500", "memory.min_size=100", "algorithm.batch_size=32", "network.hidden=[16, 16]", "train.eval_every=150",
               "train.blas_threads=1"]
        let config = try ExperimentConfig.defaults(algorithm, overrides: overrides + extra + [
            "train.deterministic=true", "eval.episodes=2", "train.stop_at_threshold=false",
            "callbacks=[{checkpointer: {every: 100, keep: 2}}, {metrics: {every: 50}}]"])
        let whole = temporary("whole"), split = temporary("split")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: split) }

        let uninterrupted = try Experiment.run(config, options: RunOptions(directory: whole))
        #expect(uninterrupted.stoppedBy == .budget)

        var first = RunOptions(directory: split)
        first.extraCallbacks = [StopAfter(updates: 137)]   // not a checkpoint multiple: the final checkpoint is the stop's
        let stopped = try Experiment.run(config, options: first)
        #expect(stopped.stoppedBy == .requested)
        #expect(stopped.updates == 137)
        #expect(RunDirectory.readResult(in: split) == nil)

        let checkpoint = try CheckpointLoader.loadNewest(in: split.appendingPathComponent("checkpoints"), fallback: false)
        #expect(checkpoint.url.lastPathComponent == "checkpoint_000000137.safetensors.gz")
        let resumed = try Experiment.run(config, options: RunOptions(directory: split, resume: checkpoint.dict))
        #expect(resumed.resumedFromUpdates == 137)
        #expect(resumed.updates == uninterrupted.updates)
        #expect(resumed.environmentSteps == uninterrupted.environmentSteps)
        #expect(resumed.episodes == uninterrupted.episodes)
        #expect(resumed.evaluationReturns == uninterrupted.evaluationReturns)
        #expect(resumed.best == uninterrupted.best)
        #expect(resumed.best != nil, "periodic evaluations keep a best policy")

        let a = try comparable(whole), b = try comparable(split)
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for name in a.tensors.keys.sorted() where a.tensors[name] != b.tensors[name] {
            Issue.record("\(name) differs after resume")
        }
        // The metrics file reads as one run: the rows of both sessions, no duplicates.
        let rows = try String(contentsOf: split.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        let updates = rows.dropFirst().compactMap { Int($0.prefix { $0 != "," }) }
        #expect(updates == Array(Set(updates)).sorted() && updates.count == uninterrupted.updates / 50)
    }

    /// SAC's twin critics on two threads (`train.learner_threads: 2`) give the same run, bit for
    /// bit, as on one: networks, optimizer moments, α, and the final evaluation.
    @Test func twoLearnerThreadsGiveTheSameSACRun() throws {
        let base = ["train.env_steps=600", "memory.min_size=100", "algorithm.batch_size=64", "network.hidden=[32, 32]", "train.eval_every=200",
                    "train.blas_threads=1", "train.deterministic=true", "eval.episodes=2", "train.stop_at_threshold=false"]
        let one = temporary("threads1"), two = temporary("threads2")
        defer { try? FileManager.default.removeItem(at: one); try? FileManager.default.removeItem(at: two) }
        let a = try Experiment.run(try ExperimentConfig.defaults(.sac, overrides: base), options: RunOptions(directory: one))
        let b = try Experiment.run(try ExperimentConfig.defaults(.sac, overrides: base + ["train.learner_threads=2"]), options: RunOptions(directory: two))
        #expect(a.updates == b.updates && a.updates > 400)
        #expect(a.evaluationReturns == b.evaluationReturns)
        let x = try comparable(one), y = try comparable(two)
        #expect(x.tensors.keys.sorted() == y.tensors.keys.sorted())
        for name in x.tensors.keys.sorted() where x.tensors[name] != y.tensors[name] {
            Issue.record("\(name) differs with two learner threads")
        }
    }

    @Test func aCheckpointOfAnotherRunIsRefused() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: ["train.env_steps=400", "memory.min_size=200", "network.hidden=[8]",
                                                                     "train.deterministic=true"])
        let directory = temporary("other")
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Experiment.run(config, options: RunOptions(directory: directory))
        let checkpoint = try CheckpointLoader.loadNewest(in: directory.appendingPathComponent("checkpoints"), fallback: false)
        var other = config
        try other.set("train.seed", .int(9))
        #expect(throws: RunError.self) { _ = try Experiment.run(other, options: RunOptions(resume: checkpoint.dict)) }
    }

    @Test func aDamagedNewestCheckpointIsNamedAndFallbackUsesTheNewestIntactOne() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "train.env_steps=900", "memory.min_size=200", "network.hidden=[8]", "train.deterministic=true",
            "callbacks=[{checkpointer: {every: 100, keep: 3}}]"])
        let directory = temporary("damaged")
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Experiment.run(config, options: RunOptions(directory: directory))
        let checkpoints = directory.appendingPathComponent("checkpoints")
        let files = CheckpointLoader.checkpoints(in: checkpoints)
        #expect(files.count == 3)
        var bytes = try Data(contentsOf: files.last!)
        bytes.removeLast(bytes.count / 2)
        try bytes.write(to: files.last!)
        #expect {
            _ = try CheckpointLoader.loadNewest(in: checkpoints, fallback: false)
        } throws: { "\($0)".contains(files.last!.lastPathComponent) }
        let intact = try CheckpointLoader.loadNewest(in: checkpoints, fallback: true)
        #expect(intact.url == files[files.count - 2])
    }
}

@Suite struct ThreadedResumeTests {
    /// A periodic checkpoint of a run with collector threads (no collector state in it, as
    /// after a hard kill) resumes: counters, networks and memory come back, environments start
    /// new episodes, and the run reaches its budget.
    @Test func aPeriodicCheckpointOfAThreadedRunResumes() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "train.env_steps=3000", "memory.min_size=300", "network.hidden=[8]", "train.eval_every=null", "eval.episodes=1",
            "collectors.count=2", "callbacks=[{checkpointer: {every: 200, keep: 10}}]"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("threaded-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = try Experiment.run(config, options: RunOptions(directory: directory))
        let checkpoints = CheckpointLoader.checkpoints(in: directory.appendingPathComponent("checkpoints"))
        let periodic = try #require(checkpoints.first { $0.lastPathComponent == "checkpoint_000000400.safetensors.gz" })
        let dict = try CheckpointLoader.load(periodic)
        #expect(dict.tensors.keys.allSatisfy { !$0.hasPrefix("extra.collectors.") }, "collector threads were running")
        #expect(dict.tensors.keys.contains { $0.hasPrefix("extra.memory.") })
        try FileManager.default.removeItem(at: directory.appendingPathComponent("result.json"))
        let resumed = try Experiment.run(config, options: RunOptions(directory: directory, resume: dict))
        #expect(resumed.resumedFromUpdates == 400)
        #expect(resumed.environmentSteps >= 3_000)
        #expect(resumed.updates >= whole.updates - 64, "the replay ratio holds across the resume: \(resumed.updates) vs \(whole.updates)")
        #expect(resumed.stoppedBy == .budget)
    }
}

extension ThreadedResumeTests {
    /// Two collector threads record observations while the learner folds and normalises (also
    /// under ThreadSanitizer): every observation an agent acted on is counted once.
    @Test func threadedReplayCollectorsFeedTheObservationStatistics() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "train.env_steps=3000", "memory.min_size=300", "network.hidden=[8]", "train.eval_every=null", "eval.episodes=1",
            "collectors.count=2", "env.normalize_observations=true", "callbacks=[{checkpointer: {every: 100000}}]"])
        let directory = temporaryRunDirectory("normalised-threads")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Experiment.run(config, options: RunOptions(directory: directory))
        let checkpoint = try CheckpointLoader.loadNewest(in: directory.appendingPathComponent("checkpoints"), fallback: false).dict
        let counted = try checkpoint.scalar("callbacks.normalization.observations.count")
        // Observations the collectors acted on and the learner folded before its last update: most
        // of the steps taken, and at most one vector step more per collector (acted on, then cut
        // short by the shutdown before it was counted).
        let steps = Double(result.environmentSteps)
        #expect(counted <= steps + 2 * 4 && counted >= steps * 0.8, "\(counted) of \(result.environmentSteps)")
    }
}

@Suite struct ThreadedStopResumeTests {
    /// Stopping a threaded n-step run (collectors usually blocked mid-insert by the rate limit
    /// when the table closes) writes a final checkpoint that resumes.
    @Test func aStoppedThreadedNStepRunResumes() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "train.env_steps=4000", "memory.min_size=300", "network.hidden=[8]", "train.eval_every=null", "eval.episodes=1",
            "collectors.count=2", "algorithm.n_step=3", "callbacks=[{checkpointer: {every: 1000}}]"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nstep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = RunOptions(directory: directory)
        options.extraCallbacks = [StopAfter(updates: 250)]
        let stopped = try Experiment.run(config, options: options)
        #expect(stopped.stoppedBy == .requested)
        let checkpoint = try CheckpointLoader.loadNewest(in: directory.appendingPathComponent("checkpoints"), fallback: false)
        #expect(checkpoint.url.lastPathComponent == "checkpoint_000000250.safetensors.gz")
        let resumed = try Experiment.run(config, options: RunOptions(directory: directory, resume: checkpoint.dict))
        #expect(resumed.resumedFromUpdates == 250)
        #expect(resumed.environmentSteps >= 4_000)
    }
}

/// `rl-train resume RUN --set train.env_steps=N`: a finished run continues from its final
/// checkpoint to a larger budget in its own directory, and ends where a run given that budget
/// from the start ends (deterministic mode); its earlier result is kept; other changes are refused.
@Suite struct ExtendedBudgetTests {
    @Test func aFinishedRunExtendedToALargerBudgetContinuesExactly() throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("extend-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let common = ["memory.min_size=300", "network.hidden=[16]", "train.eval_every=null", "train.deterministic=true", "eval.episodes=2",
                      "train.runs_dir=\(base.path)", "callbacks=[{checkpointer: {every: 500}}]"]
        let short = try ExperimentConfig.defaults(.dqn, overrides: common + ["train.env_steps=1500"])
        guard case .finished(let first, let directory) = try RunLauncher.train(short) else { Issue.record("the first run did not run"); return }
        #expect(first.environmentSteps == 1500)
        #expect { _ = try RunLauncher.resume(directory, overrides: ["algorithm.lr=0.1"]) } throws: { "\($0)".contains("resume changes only the budget") }
        #expect { _ = try RunLauncher.resume(directory, overrides: ["train.env_steps=1000"]) } throws: { "\($0)".contains("cannot shorten") }
        guard case .finished(let extended, let sameDirectory) = try RunLauncher.resume(directory, overrides: ["train.env_steps=3000"]) else {
            Issue.record("the extension did not run"); return
        }
        #expect(sameDirectory == directory && extended.environmentSteps == 3000 && extended.resumedFromUpdates == first.updates)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("result-1500.json").path))
        #expect(try RunDirectory.config(in: directory)[TrainKeys.environmentSteps] == 3000)
        // Resuming again with the same budget reports it complete.
        guard case .alreadyComplete = try RunLauncher.resume(directory, overrides: ["train.env_steps=3000"]) else { Issue.record("not complete"); return }
        // The same as a run with 3000 steps from the start (the budget does not steer a DQN run before it ends).
        let whole = try ExperimentConfig.defaults(.dqn, overrides: common + ["train.env_steps=3000"])
        guard case .finished(let direct, _) = try RunLauncher.train(whole) else { Issue.record("the direct run did not run"); return }
        #expect(direct.evaluationReturns == extended.evaluationReturns && direct.updates == extended.updates)
    }
}
