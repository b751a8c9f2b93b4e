import Foundation
import StateDictIO

/// Writes checkpoints every `cycle` updates and when training ends: every listed callback's
/// state dict (under `callbacks.<name>.`), the trainer's counters, and whatever `extra`
/// returns (replay memory, collector counters, RNG states), as one state-dict file
/// `checkpoint_<updates>.safetensors.gz`, written atomically (temporary file, fsync, rename),
/// keeping the newest `keep` files.
public final class Checkpointer: Callback {
    public let name = "checkpointer"
    public let cycle: Int?
    public var order: Int { 1_000 }   // after everything that changes state in a step
    public let directory: URL
    public let keep: Int
    private let callbacks: [Callback]
    private let extra: () -> StateDict
    private let metadata: [String: String]
    /// The files written so far, oldest first.
    public private(set) var written: [URL] = []

    /// `metadata` goes into every file's safetensors header (e.g. the run id and its config).
    public init(directory: URL, every: Int, keep: Int = 3, callbacks: [Callback], metadata: [String: String] = [:],
                extra: @escaping () -> StateDict = { StateDict() }) {
        precondition(every > 0 && keep > 0, "every and keep must be positive")
        self.directory = directory
        cycle = every
        self.keep = keep
        self.callbacks = callbacks
        self.extra = extra
        self.metadata = metadata
    }

    public func endCycle(_ state: inout TrainingState) throws { try save(state) }
    public func endTraining(_ state: inout TrainingState) throws {
        if written.last?.lastPathComponent != CheckpointLoader.fileName(updates: state.updates) { try save(state) }
    }

    /// Writes one checkpoint now.
    public func save(_ state: TrainingState) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var dict = StateDict(metadata: metadata.merging(["format": CheckpointLoader.format]) { _, format in format })
        for callback in callbacks { dict.merge(callback.stateDict(), prefix: "callbacks.\(callback.name)") }
        dict["trainer.updates"] = Tensor(scalar: Int64(state.updates))
        dict["trainer.environment_steps"] = Tensor(scalar: Int64(state.environmentSteps))
        dict.merge(extra(), prefix: "extra")
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

    /// Restores every callback's state (networks, optimizers, hyperparameters) and the trainer
    /// counters from a checkpoint.
    public static func restore(_ dict: StateDict, callbacks: [Callback], state: inout TrainingState) throws {
        for callback in callbacks {
            try callback.loadStateDict(dict.scoped("callbacks.\(callback.name)"), loadNetwork: true, loadOptimizer: true, loadHparams: true)
        }
        state.updates = Int(try dict.integer("trainer.updates"))
        state.environmentSteps = Int(try dict.integer("trainer.environment_steps"))
    }
}
