import Core
import Foundation
import Learner
import StateDictIO

/// A run on disk: `<runs_dir>/<name>-<id8>/` with `config.yaml` (the resolved config),
/// `checkpoints/`, `metrics.csv` and, once complete, `result.json`.
public enum RunDirectory {
    /// Where a run stands.
    public enum Status {
        /// No directory yet.
        case new
        /// Started, no checkpoint: starts again from scratch in the same directory.
        case startedWithoutCheckpoint
        /// Interrupted after writing checkpoints: resume from the newest.
        case resumable
        /// Finished: `result.json` is there.
        case complete(RunResult)
    }

    /// `<train.runs_dir>/<run name>-<id8>`, relative to `base` (the working directory by default).
    public static func url(for config: ExperimentConfig, base: URL? = nil) -> URL {
        let runs = config[TrainKeys.runsDir]
        let root = runs.hasPrefix("/") ? URL(fileURLWithPath: runs)
            : (base ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).appendingPathComponent(runs)
        return root.appendingPathComponent("\(config.runName)-\(config.id8)")
    }

    public static func status(of directory: URL) -> Status {
        guard FileManager.default.fileExists(atPath: directory.path) else { return .new }
        if let result = readResult(in: directory) { return .complete(result) }
        if !CheckpointLoader.checkpoints(in: directory.appendingPathComponent(RunFiles.checkpoints)).isEmpty { return .resumable }
        return .startedWithoutCheckpoint
    }

    /// A directory for a run started again with `--force-new`: `<dir>-2`, `<dir>-3`, … (the
    /// first that does not exist), so nothing of the earlier run is touched.
    public static func fresh(after directory: URL) -> URL {
        var n = 2
        while true {
            let candidate = directory.deletingLastPathComponent().appendingPathComponent("\(directory.lastPathComponent)-\(n)")
            if !FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            n += 1
        }
    }

    /// Creates the directory and writes `config.yaml` (atomically) unless it is there.
    public static func prepare(_ directory: URL, config: ExperimentConfig) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(RunFiles.config)
        if !FileManager.default.fileExists(atPath: file.path) {
            let header = "resolved config of run \(config.runName)-\(config.id8) (id \(config.id))\nrerun: rl-train train \(file.path)"
            try config.yaml(header: header).write(to: file, atomically: true, encoding: .utf8)
        }
    }

    /// The run's resolved config from `config.yaml`.
    public static func config(in directory: URL, callbacks: CallbackRegistry = .builtIn) throws -> ExperimentConfig {
        let file = directory.appendingPathComponent(RunFiles.config)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ConfigError.unreadable(file: file.path, detail: "no config.yaml: not a run directory")
        }
        return try ExperimentConfig.load(file: file.path, callbackRegistry: callbacks)
    }

    public static func writeResult(_ result: RunResult, in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var data = try encoder.encode(result)
        data.append(0x0A)
        try data.write(to: directory.appendingPathComponent(RunFiles.result), options: .atomic)
    }

    public static func readResult(in directory: URL) -> RunResult? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(RunFiles.result)) else { return nil }
        return try? JSONDecoder().decode(RunResult.self, from: data)
    }
}

/// Starts, resumes or reports a run by its config: the run-once rule. The same config
/// (same identity) never trains twice: a complete run is reported, an interrupted one resumed.
public enum RunLauncher {
    public enum Outcome {
        case alreadyComplete(RunResult, directory: URL)
        case finished(RunResult, directory: URL)
    }

    /// Trains `config` in its run directory. `forceNew` starts a fresh run beside an existing
    /// one; `fallback` resumes from the newest intact checkpoint when the newest is damaged.
    public static func train(_ config: ExperimentConfig, forceNew: Bool = false, fallback: Bool = false, base: URL? = nil,
                             options: RunOptions = RunOptions(), announce: (String) -> Void = { _ in }) throws -> Outcome {
        var directory = RunDirectory.url(for: config, base: base)
        var status = RunDirectory.status(of: directory)
        if forceNew, case .new = status {} else if forceNew {
            directory = RunDirectory.fresh(after: directory)
            status = .new
        }
        return try run(config, in: directory, status: status, fallback: fallback, options: options, announce: announce)
    }

    /// Continues the run in `directory` (its own config.yaml): resumed from its newest
    /// checkpoint, restarted when it has none, reported when complete.
    ///
    /// `overrides` may extend the budget (`train.env_steps=N`, `train.updates=N`), the one change
    /// a resume allows: a finished run then continues from its final checkpoint to the new budget
    /// in the same directory (its config.yaml says so; the earlier result.json is kept as
    /// result-<env steps>.json). Anything else would make it another run.
    public static func resume(_ directory: URL, overrides: [String] = [], fallback: Bool = false, options: RunOptions = RunOptions(),
                              announce: (String) -> Void = { _ in }) throws -> Outcome {
        let original = try RunDirectory.config(in: directory)
        guard !overrides.isEmpty else {
            return try run(original, in: directory, status: RunDirectory.status(of: directory), fallback: fallback, options: options, announce: announce)
        }
        for override in overrides {
            let path = String(override.prefix { $0 != "=" })
            guard ExperimentConfig.budgetPaths.contains(path) else {
                throw ConfigError.invalid(path: path, detail: "resume changes only the budget (\(ExperimentConfig.budgetPaths.joined(separator: ", "))); "
                                          + "any other change makes another run: rl-train train with the changed config (or --init-from this run)")
            }
        }
        let extended = try ExperimentConfig.parse(original.yaml(), source: "\(directory.path)/\(RunFiles.config)", overrides: overrides)
        for key in [TrainKeys.environmentSteps] where extended[key] < original[key] {
            throw ConfigError.invalid(path: key.path, detail: "\(extended[key]) is below the run's budget \(original[key]); resume extends a budget, it cannot shorten one")
        }
        var status = RunDirectory.status(of: directory)
        if case .complete(let result) = status {
            guard extended[TrainKeys.environmentSteps] > result.environmentSteps || (extended[TrainKeys.updates].map { $0 > result.updates } ?? false) else {
                return .alreadyComplete(result, directory: directory)
            }
            let result = directory.appendingPathComponent(RunFiles.result)
            let kept = directory.appendingPathComponent("result-\(original[TrainKeys.environmentSteps]).json")
            try? FileManager.default.removeItem(at: kept)
            try FileManager.default.moveItem(at: result, to: kept)
            status = .resumable
            announce("extending \(directory.path) to \(extended[TrainKeys.environmentSteps]) env steps (its result so far: \(kept.lastPathComponent))")
        }
        let file = directory.appendingPathComponent(RunFiles.config)
        let header = "resolved config of run \(directory.lastPathComponent) (id \(original.id)), extended to a larger budget (id \(extended.id))\nrerun: rl-train train \(file.path)"
        try extended.yaml(header: header).write(to: file, atomically: true, encoding: .utf8)
        return try run(extended, in: directory, status: status, fallback: fallback, options: options, announce: announce)
    }

    /// The one resume flow: by the directory's status, report, resume from the newest
    /// checkpoint, restart, or start.
    static func run(_ config: ExperimentConfig, in directory: URL, status: RunDirectory.Status, fallback: Bool, options: RunOptions,
                    announce: (String) -> Void) throws -> Outcome {
        var options = options
        options.directory = directory
        switch status {
        case .complete(let result):
            return .alreadyComplete(result, directory: directory)
        case .resumable:
            let (url, dict) = try CheckpointLoader.loadNewest(in: directory.appendingPathComponent(RunFiles.checkpoints), fallback: fallback)
            announce("resuming \(directory.path) from \(url.lastPathComponent)")
            options.resume = dict
        case .startedWithoutCheckpoint:
            announce("restarting \(directory.path) (interrupted before its first checkpoint)")
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(RunFiles.metrics))
        case .new:
            announce("run directory \(directory.path)")
        }
        try RunDirectory.prepare(directory, config: config)
        return .finished(try Experiment.run(config, options: options), directory: directory)
    }
}
