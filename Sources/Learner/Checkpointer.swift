import Core
import Foundation
import StateDictIO

/// Writes checkpoints every `cycle` updates and when training ends: what `contents` returns
/// for the training state at that moment (a run's `RunState` gives everything: callbacks,
/// counters, random streams, collectors, memory; `LearnerCheckpoint` the callbacks and the
/// trainer's counters), as one state-dict file `checkpoint_<updates>.safetensors.gz`, written
/// atomically (temporary file, fsync, rename), keeping the newest `keep` files. `saveBest`
/// writes `best.safetensors.gz` beside them: the policy with the best evaluation so far (the
/// callbacks' state dicts only; it is for evaluation, and resumes come from the newest
/// checkpoint).
public final class Checkpointer: Callback {
    public let name = "checkpointer"
    public let cycle: Int?
    public var phase: CallbackPhase { .persist }
    public let directory: URL
    public let keep: Int
    private let contents: (_ state: TrainingState, _ includeMemory: Bool) -> StateDict
    private let metadata: [String: String]
    /// Whether periodic and final checkpoints include the replay memory.
    public let saveMemory: Bool
    /// The files written so far, oldest first.
    public private(set) var written: [URL] = []

    /// `metadata` goes into every file's safetensors header (e.g. the run id and its config).
    /// `contents` returns what a checkpoint holds at a training state, with the replay memory
    /// when asked.
    public init(directory: URL, every: Int, keep: Int = 3, metadata: [String: String] = [:], saveMemory: Bool = true,
                contents: @escaping (_ state: TrainingState, _ includeMemory: Bool) -> StateDict) {
        precondition(every > 0 && keep > 0, "every and keep must be positive")
        self.directory = directory
        cycle = every
        self.keep = keep
        self.contents = contents
        self.metadata = metadata
        self.saveMemory = saveMemory
    }

    /// Checkpoints of `callbacks` and the trainer's counters (`LearnerCheckpoint`).
    public convenience init(directory: URL, every: Int, keep: Int = 3, callbacks: [Callback], metadata: [String: String] = [:]) {
        self.init(directory: directory, every: every, keep: keep, metadata: metadata, saveMemory: false) { state, _ in
            LearnerCheckpoint.stateDict(callbacks: callbacks, state: state)
        }
    }

    public func endCycle(_ state: inout TrainingState) throws { try save(state) }
    public func endTraining(_ state: inout TrainingState) throws {
        if written.last?.lastPathComponent != CheckpointLoader.fileName(updates: state.updates) { try save(state) }
    }

    /// The header of every file written: this checkpointer's metadata, `more`, and the format.
    private func header(_ more: [String: String] = [:]) -> [String: String] {
        metadata.merging(more) { _, new in new }.merging(["format": CheckpointLoader.format]) { _, format in format }
    }

    /// Writes `best.safetensors.gz` now (atomically, replacing the previous best): `policy`, the
    /// callbacks' state dicts (`LearnerCheckpoint.policy`); `metadata` says what made it the best.
    public func saveBest(policy: StateDict, metadata more: [String: String]) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var dict = policy
        dict.metadata = header(more)
        try dict.write(to: directory.appendingPathComponent(RunFiles.bestPolicy))
    }

    /// Writes one checkpoint now.
    public func save(_ state: TrainingState) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var dict = contents(state, saveMemory)
        dict.metadata = header()
        let url = directory.appendingPathComponent(CheckpointLoader.fileName(updates: state.updates))
        try dict.write(to: url)
        written.removeAll { $0 == url }
        written.append(url)
        // Keep the newest `keep` checkpoints in the directory (also ones from earlier runs).
        let all = CheckpointLoader.checkpoints(in: directory)
        for old in all.dropLast(keep) { try? FileManager.default.removeItem(at: old) }
        written = written.filter { FileManager.default.fileExists(atPath: $0.path) }
    }
}

/// Finds, verifies and applies checkpoints written by `Checkpointer`. Loading executes nothing
/// from the file: it is a state-dict file, checked entry by entry.
public enum CheckpointLoader {
    static let format = "swiftrl-checkpoint/1"

    static func fileName(updates: Int) -> String { String(format: "checkpoint_%09d.safetensors.gz", updates) }

    /// The best policy's checkpoint in `directory`, verified; nil when the run kept none.
    public static func loadBest(in directory: URL) throws -> (url: URL, dict: StateDict)? {
        let url = directory.appendingPathComponent(RunFiles.bestPolicy)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return (url, try load(url))
    }

    /// The checkpoint files in `directory`, oldest (fewest updates) first.
    public static func checkpoints(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("checkpoint_") && $0.hasSuffix(".safetensors.gz") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// Errors naming the directory or file at fault.
    public enum LoadError: Error, CustomStringConvertible {
        case noCheckpoint(directory: String)
        case notACheckpoint(file: String)
        case allDamaged(directory: String, newest: String)
        public var description: String {
            switch self {
            case .noCheckpoint(let directory): return "\(directory): no checkpoint_*.safetensors.gz files"
            case .notACheckpoint(let file): return "\(file): not a SwiftRL checkpoint (format metadata missing)"
            case let .allDamaged(directory, newest): return "\(directory): no intact checkpoint; the newest failed with: \(newest)"
            }
        }
    }

    /// Reads and verifies one checkpoint file.
    public static func load(_ url: URL) throws -> StateDict {
        let dict = try StateDict.read(from: url)
        guard dict.metadata["format"] == format else { throw LoadError.notACheckpoint(file: url.path) }
        return dict
    }

    /// The newest checkpoint in `directory`. A damaged newest file is an error naming it and
    /// what is wrong, unless `fallback`, which walks back to the newest intact one.
    public static func loadNewest(in directory: URL, fallback: Bool) throws -> (url: URL, dict: StateDict) {
        let files = checkpoints(in: directory)
        guard !files.isEmpty else { throw LoadError.noCheckpoint(directory: directory.path) }
        var firstError: (any Error)?
        for url in files.reversed() {
            do {
                return (url, try load(url))
            } catch {
                if !fallback { throw error }
                firstError = firstError ?? error
            }
        }
        throw LoadError.allDamaged(directory: directory.path, newest: "\(firstError!)")
    }

}

/// The learner's part of a checkpoint: every callback's state dict under `callbacks.<name>.`
/// and the trainer's counters under `trainer.`. A run's `RunState` adds the rest.
public enum LearnerCheckpoint {
    public static func stateDict(callbacks: [Callback], state: TrainingState) -> StateDict {
        var dict = policy(callbacks: callbacks)
        dict["trainer.updates"] = Tensor(scalar: Int64(state.updates))
        dict["trainer.environment_steps"] = Tensor(scalar: Int64(state.environmentSteps))
        return dict
    }

    /// The callbacks' state dicts alone (what evaluating a policy needs).
    public static func policy(callbacks: [Callback]) -> StateDict {
        var dict = StateDict()
        for callback in callbacks { dict.merge(callback.stateDict(), prefix: "callbacks.\(callback.name)") }
        return dict
    }

    /// Loads the callbacks' networks (and, unless `networksOnly`, optimizers and hyperparameters).
    public static func loadCallbacks(_ dict: StateDict, into callbacks: [Callback], networksOnly: Bool = false) throws {
        for callback in callbacks {
            try callback.loadStateDict(dict.scoped("callbacks.\(callback.name)"), loadNetwork: true, loadOptimizer: !networksOnly,
                                       loadHparams: !networksOnly)
        }
    }

    /// Restores every callback's state (networks, optimizers, hyperparameters) and the trainer
    /// counters.
    public static func restore(_ dict: StateDict, callbacks: [Callback], state: inout TrainingState) throws {
        try loadCallbacks(dict, into: callbacks)
        state.updates = Int(try dict.integer("trainer.updates"))
        state.environmentSteps = Int(try dict.integer("trainer.environment_steps"))
    }
}
