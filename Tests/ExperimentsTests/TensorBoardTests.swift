import Experiments
import Foundation
import Learner
import Testing

/// The run's TensorBoard files read back by TensorBoard's own `EventAccumulator` (Python), against
/// metrics.csv and episodes.csv, for a run and for the same run stopped and resumed.
@Suite struct TensorBoardTests {
    func temporary(_ name: String) -> URL { temporaryRunDirectory(name) }

    /// Every scalar tag with its (step, value) pairs, as TensorBoard loads the directory
    /// (purging an interrupted session's tail at a SessionLog START).
    func scalars(_ directory: URL) throws -> [String: [[Double]]] {
        let script = """
        import json, sys
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        accumulator = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0})
        accumulator.Reload()
        print(json.dumps({tag: [[e.step, e.value] for e in accumulator.Scalars(tag)] for tag in accumulator.Tags()['scalars']}))
        """
        let python = ProcessInfo.processInfo.environment["RL_PYTHON"] ?? "python3"
        let process = Process(), output = Pipe(), errors = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, directory.appendingPathComponent("tensorboard").path]
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record("reading the event files failed (RL_PYTHON needs tensorboard: scripts/install-deps.sh --python): \(log.suffix(400))")
            return [:]
        }
        return try JSONDecoder().decode([String: [[Double]]].self, from: data)
    }

    func table(_ file: URL) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        return (lines[0].split(separator: ",").map(String.init),
                lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) })
    }

    @Test func eventFilesHoldWhatMetricsAndEpisodesHoldAndAResumeContinuesTheCurves() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "train.env_steps=3000", "memory.min_size=300", "network.hidden=[16]", "train.eval_every=400", "eval.episodes=2",
            "train.stop_at_threshold=false", "train.deterministic=true",
            "callbacks=[{checkpointer: {every: 100, keep: 2}}, {metrics: {every: 50}}, {tensorboard: {every: 50}}, {episodes: {every: 50}}]"])
        let whole = temporary("tb-whole"), split = temporary("tb-split")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: split) }
        let result = try Experiment.run(config, options: RunOptions(directory: whole))
        let events = try scalars(whole)
        for tag in ["train/loss", "train/mean_q", "train/epsilon", "episode/return", "episode/length", "eval/mean_return", "eval/std_return",
                    "time/env_steps_per_s", "time/updates_per_s"] {
            #expect(events[tag]?.isEmpty == false, "\(tag) is written")
        }
        // train/loss at each row's env steps is metrics.csv's loss (printed there with 6 digits).
        let metrics = try table(whole.appendingPathComponent("metrics.csv"))
        let steps = metrics.header.firstIndex(of: "env_steps")!, loss = metrics.header.firstIndex(of: "loss")!
        let evalColumn = metrics.header.firstIndex(of: "eval_return")!
        let csvLoss = metrics.rows.compactMap { row in Double(row[loss]).map { [Double(row[steps])!, $0] } }
        let tbLoss = events["train/loss"] ?? []
        #expect(tbLoss.count == csvLoss.count + 1, "one row per cycle, and the final write at the end of training")
        for (a, b) in zip(tbLoss, csvLoss) {
            #expect(a[0] == b[0] && abs(a[1] - b[1]) <= 1e-5 * max(1, abs(b[1])), "loss at step \(b[0]): \(a[1]) vs \(b[1])")
        }
        let csvEval = metrics.rows.compactMap { row in Double(row[evalColumn]).map { [Double(row[steps])!, $0] } }
        #expect(events["eval/mean_return"]?.map { $0[1] } == csvEval.map { $0[1] })
        // Every training episode, as episodes.csv and the result count them.
        let episodes = try table(whole.appendingPathComponent("episodes.csv"))
        #expect(episodes.header == ["return", "length", "seconds", "env_steps"])
        #expect(episodes.rows.count == result.episodes)
        #expect(events["episode/return"]?.count == result.episodes)
        #expect(events["episode/return"]?.map { $0[1] } == episodes.rows.map { Double($0[0])! })
        #expect(events["episode/length"]?.map { $0[0] } == episodes.rows.map { Double($0[3])! })

        // Stopped at 137 updates and resumed: TensorBoard shows the uninterrupted curves.
        var first = RunOptions(directory: split)
        first.extraCallbacks = [StopAfter(updates: 137)]
        _ = try Experiment.run(config, options: first)
        let checkpoint = try CheckpointLoader.loadNewest(in: split.appendingPathComponent("checkpoints"), fallback: false)
        _ = try Experiment.run(config, options: RunOptions(directory: split, resume: checkpoint.dict))
        let files = try FileManager.default.contentsOfDirectory(atPath: split.appendingPathComponent("tensorboard").path)
        #expect(files.filter { $0.hasPrefix("events.out.tfevents.") }.count == 2, "a file per session")
        let resumed = try scalars(split)
        for tag in ["train/loss", "train/epsilon", "episode/return", "episode/length", "eval/mean_return"] {
            #expect(resumed[tag] == events[tag], "\(tag) continues as one curve")
        }
        let resumedEpisodes = try table(split.appendingPathComponent("episodes.csv"))
        #expect(resumedEpisodes.rows.map { [$0[0], $0[1], $0[3]] } == episodes.rows.map { [$0[0], $0[1], $0[3]] })
    }
}
