import Experiments
import Sweeps
import Foundation
import Testing

@Suite struct SweepTests {
    func temporary() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func sweepFile(in directory: URL, tokens: Int = 4) throws -> String {
        let text = """
        name: tiny
        config:
          env: {id: CartPole-v1}
          algorithm: {name: dqn}
          network: {hidden: [8]}
          memory: {min_size: 200}
          train: {env_steps: 1200, eval_every: null, deterministic: true, runs_dir: "\(directory.path)/runs"}
          eval: {episodes: 2}
        set: [collectors.num_envs=2]
        grid:
          algorithm.lr: [1e-3, 3e-3]
          train.seed: [1, 2]
        tokens: \(tokens)
        """
        let file = directory.appendingPathComponent("tiny.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test func theGridExpandsToItsCartesianProductWithTags() throws {
        let directory = try temporary()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = try SweepSpec.load(file: try sweepFile(in: directory))
        let points = try spec.expand()
        #expect(points.count == 4)
        #expect(points.map { $0.config.double("algorithm.lr") } == [1e-3, 1e-3, 3e-3, 3e-3])
        #expect(points.map { $0.config.int("train.seed") } == [1, 2, 1, 2])
        #expect(points.allSatisfy { $0.config.int("collectors.num_envs") == 2 })
        #expect(Set(points.map(\.config.id)).count == 4)
        #expect(points[2].config.runName == "dqn-CartPole-v1-lr=0.003-seed=1")
        #expect(SweepSpec.tokens(of: points[0].config) == 2)
    }

    @Test func sweepFileErrorsNameTheKey() throws {
        let directory = try temporary()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.yaml")
        try "config: {env: {id: CartPole-v1}, algorithm: {name: dqn}}\ngird: {train.seed: [1]}\n".write(to: file, atomically: true, encoding: .utf8)
        #expect { _ = try SweepSpec.load(file: file.path) } throws: { "\($0)".contains("did you mean 'grid'") }
        try "config: {env: {id: CartPole-v1}, algorithm: {name: dqn}}\ngrid: {algorithm.lr: [fast]}\n".write(to: file, atomically: true, encoding: .utf8)
        #expect { _ = try SweepSpec.load(file: file.path).expand() } throws: { "\($0)".contains("algorithm.lr") }
    }

    /// A tiny real sweep through the rl-train binary: 4 runs, 2 at a time; a results table with
    /// one row per learning rate over 2 seeds; a rerun reuses every run instead of training.
    @Test func aTinyRealSweepProducesItsResultsTableAndARerunReusesTheRuns() throws {
        guard let executable = rlTrainExecutable() else { return }
        let directory = try temporary()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = try SweepSpec.load(file: try sweepFile(in: directory))
        let runner = SweepRunner(spec: spec, executable: executable, points: try spec.expand())
        var mostRunning = 0
        let runs = try runner.run { runs in mostRunning = max(mostRunning, runs.filter { $0.state == .running }.count) }
        for run in runs where run.state != .finished {
            Issue.record("\(run.directory.lastPathComponent): \(run.state); log: \((try? String(contentsOf: run.log!, encoding: .utf8)) ?? "")")
        }
        #expect(mostRunning == 2, "4 tokens hold two 2-token runs at once")
        let table = ResultsTable(runs: runs)
        #expect(table.rows.count == 2)
        #expect(table.rows.map { $0.point.map(\.value) } == [["0.001"], ["0.003"]])
        #expect(table.rows.allSatisfy { $0.complete == 2 && $0.evaluationMean != nil && $0.meanSeconds != nil })
        try runner.writeResults(runs)
        let csv = try String(contentsOf: runner.directory.appendingPathComponent("results.csv"), encoding: .utf8)
        let report = try String(contentsOf: runner.directory.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(report.contains("Best grid point:</b> lr=") && report.contains("<svg") && report.contains("<h2>Runs</h2>"))
        for run in runs {
            #expect(FileManager.default.fileExists(atPath: run.directory.appendingPathComponent("episodes.csv").path))
            let events = try FileManager.default.contentsOfDirectory(atPath: run.directory.appendingPathComponent("tensorboard").path)
            #expect(events.contains { $0.hasPrefix("events.out.tfevents.") })
        }
        // The command line: plots of the sweep and a run's own report.
        for arguments in [["plot", runner.directory.path], ["report", runs[0].directory.path]] {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "rl-train \(arguments[0])")
        }
        for name in ["plot-return.svg", "plot-evaluation.svg", "plot-score-algorithm.lr.svg"] {
            #expect(FileManager.default.fileExists(atPath: runner.directory.appendingPathComponent(name).path), "\(name)")
        }
        #expect(FileManager.default.fileExists(atPath: runs[0].directory.appendingPathComponent("report.html").path))
        #expect(csv.hasPrefix("algorithm.lr,runs complete,best policy eval mean,best policy eval std,solved,"))
        #expect(csv.split(separator: "\n").count == 3)
        #expect(table.markdown.contains("Best: algorithm.lr = "))

        let again = SweepRunner(spec: spec, executable: executable, points: try spec.expand())
        #expect(again.runs.allSatisfy { $0.state == .reused })
        let rerun = try again.run()
        #expect(rerun.allSatisfy { $0.state == .reused })
        #expect(rerun.map { $0.result?.evaluationReturns } == runs.map { $0.result?.evaluationReturns })
        // The report is regenerated from the run directories alone: the same page.
        try again.writeResults(rerun)
        #expect(try String(contentsOf: runner.directory.appendingPathComponent("report.html"), encoding: .utf8) == report)
    }
}

/// The built rl-train next to the test binary (recording an issue when it is missing).
func rlTrainExecutable() -> URL? {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let found = [binary, binary.deletingLastPathComponent()].map { $0.appendingPathComponent("rl-train") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    if found == nil { Issue.record("rl-train not found next to the test binary (\(binary.path)); run `swift build` first") }
    return found
}

/// A fresh temporary directory.
func temporaryDirectory(_ prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct SweepGridTests {
    @Test func gridValuesThatAreTheSameRunAreRefused() throws {
        let directory = try temporaryDirectory("dup")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("dup.yaml")
        try "config: {env: {id: CartPole-v1}, algorithm: {name: dqn}}\ngrid: {algorithm.lr: [1e-3, 0.001]}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        #expect { _ = try SweepSpec.load(file: file.path).expand() } throws: { "\($0)".contains("are the same run") }
    }

    @Test func anInlineConfigWithFlowCharactersSurvivesTheTripToTheChild() throws {
        let directory = try temporaryDirectory("flow")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("flow.yaml")
        try "config:\n  env: {id: CartPole-v1}\n  algorithm: {name: dqn}\n  train: {name: \"a, b: c\"}\ngrid: {train.seed: [1]}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let spec = try SweepSpec.load(file: file.path)
        let reread = try ExperimentConfig.parse(spec.baseText)
        #expect(reread.optionalString("train.name") == "a, b: c")
    }
}

@Suite struct SweepInterruptionTests {
    /// Ctrl-C during `rl-train sweep` stops every running child with a final checkpoint, the
    /// sweep exits 130 naming the interruption, and a rerun continues: interrupted runs resume,
    /// complete ones are reused, and the table is complete.
    @Test func ctrlCStopsTheSweepAndARerunContinues() throws {
        guard let executable = rlTrainExecutable() else { return }
        let directory = try temporaryDirectory("sweepint")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("long.yaml")
        try """
        config:
          env: {id: CartPole-v1}
          algorithm: {name: dqn}
          network: {hidden: [8]}
          memory: {min_size: 200}
          train: {env_steps: 12000, eval_every: null, runs_dir: "\(directory.path)/runs"}
          eval: {episodes: 1}
          callbacks: [{checkpointer: {every: 100}}]
        grid:
          train.seed: [1, 2, 3]
        tokens: 2
        """.write(to: file, atomically: true, encoding: .utf8)
        func sweep() throws -> (Process, Pipe) {
            let process = Process(), output = Pipe()
            process.executableURL = executable
            process.arguments = ["sweep", file.path]
            process.standardOutput = output
            process.standardError = output
            try process.run()
            return (process, output)
        }
        let (first, firstOutput) = try sweep()
        let runs = directory.appendingPathComponent("runs")
        let deadline = ContinuousClock.now + .seconds(120)
        var sawCheckpoint = false
        while ContinuousClock.now < deadline, first.isRunning, !sawCheckpoint {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
            sawCheckpoint = names.contains { !CheckpointLoader.checkpoints(in: runs.appendingPathComponent($0).appendingPathComponent("checkpoints")).isEmpty }
            usleep(20_000)
        }
        #expect(sawCheckpoint)
        kill(first.processIdentifier, SIGINT)
        first.waitUntilExit()
        let text = String(decoding: firstOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(first.terminationStatus == 130, "\(text)")
        #expect(text.contains("interrupted: rerun"), "\(text)")

        let (second, secondOutput) = try sweep()
        second.waitUntilExit()
        let rerun = String(decoding: secondOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(second.terminationStatus == 0, "\(rerun)")
        let logs = try FileManager.default.contentsOfDirectory(atPath: runs.appendingPathComponent("sweeps/long/logs").path)
        let resumedSomewhere = try logs.contains {
            try String(contentsOf: runs.appendingPathComponent("sweeps/long/logs").appendingPathComponent($0), encoding: .utf8).contains("resuming")
        }
        #expect(resumedSomewhere, "an interrupted run resumed from its checkpoint")
        let csv = try String(contentsOf: runs.appendingPathComponent("sweeps/long/results.csv"), encoding: .utf8)
        #expect(csv.contains("3/3"), "\(csv)")
    }
}

import Learner
