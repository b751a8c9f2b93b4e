import Core
import Foundation
import Learner

/// An evaluation as the TensorBoard logger shows it.
public struct EvaluationPoint: Sendable, Equatable {
    public var updates: Int
    public var environmentSteps: Int
    public var mean: Double
    public var std: Double
    public init(updates: Int, environmentSteps: Int, mean: Double, std: Double) {
        self.updates = updates
        self.environmentSteps = environmentSteps
        self.mean = mean
        self.std = std
    }
}

/// Writes a run's curves as TensorBoard scalars in `<run>/tensorboard/`, against environment
/// steps: every metric the algorithm records (`train/<name>`, whatever they are), each finished
/// training episode's return and length (`episode/return`, `episode/length`), each evaluation's
/// mean and standard deviation (`eval/mean_return`, `eval/std_return`), and the rates
/// (`time/env_steps_per_s`, `time/updates_per_s`) every `every` updates. A resumed run writes a
/// new file in the same directory that starts with a `SessionLog` START at the checkpoint's
/// step, so TensorBoard drops the interrupted session's tail and the curves continue as one.
public final class TensorBoardLogger: Callback {
    public let name = "tensorboard"
    public let cycle: Int?
    public var phase: CallbackPhase { .log }
    public let directory: URL
    let statistics: RunControl
    let episodes: EpisodeLog
    let seconds: () -> Double
    let evaluation: (TrainingState) -> EvaluationPoint?
    private var file: TensorBoardEventFile?
    private var lastSeconds = 0.0, lastSteps = 0, lastUpdates = 0, lastEvaluation = -1

    /// `seconds` gives the run's training seconds so far (over every session); `evaluation`, the
    /// latest evaluation in the training state.
    public init(directory: URL, every: Int, statistics: RunControl, seconds: @escaping () -> Double,
                evaluation: @escaping (TrainingState) -> EvaluationPoint?) {
        self.directory = directory
        cycle = every
        self.statistics = statistics
        episodes = statistics.subscribeEpisodes()   // now: collector threads may finish episodes before training begins
        self.seconds = seconds
        self.evaluation = evaluation
    }

    public func restoreState(_ state: inout TrainingState) throws {
        let file = try TensorBoardEventFile(directory: directory)
        // The checkpoint's step count (collector threads may already be past it).
        if state.updates > 0 { file.sessionStart(step: state.environmentSteps) }
        try file.flush()
        self.file = file
        (lastSeconds, lastSteps, lastUpdates) = (seconds(), state.environmentSteps, state.updates)
    }

    public func endCycle(_ state: inout TrainingState) throws { try write(state) }

    public func endTraining(_ state: inout TrainingState) throws {
        try write(state)
        try file?.close()
        file = nil
    }

    private func write(_ state: TrainingState) throws {
        guard let file else { return }
        for episode in episodes.drain() {
            file.scalar("episode/return", episode.return, step: episode.environmentSteps)
            file.scalar("episode/length", Double(episode.length), step: episode.environmentSteps)
        }
        let step = statistics.environmentSteps
        for (name, value) in state.metrics.sorted(by: { $0.key < $1.key }) { file.scalar("train/\(name)", value, step: step) }
        let now = seconds(), dt = now - lastSeconds
        if dt > 0, state.updates > lastUpdates {
            file.scalar("time/env_steps_per_s", Double(step - lastSteps) / dt, step: step)
            file.scalar("time/updates_per_s", Double(state.updates - lastUpdates) / dt, step: step)
        }
        (lastSeconds, lastSteps, lastUpdates) = (now, step, state.updates)
        if let point = evaluation(state), point.updates != lastEvaluation {
            file.scalar("eval/mean_return", point.mean, step: point.environmentSteps)
            file.scalar("eval/std_return", point.std, step: point.environmentSteps)
            lastEvaluation = point.updates
        }
        try file.flush()
    }
}

/// Appends each finished training episode to `<run>/episodes.csv` (`return,length,seconds,env_steps`,
/// after Stable-Baselines3's Monitor files: seconds of training when it ended, over every
/// session of a resumed run). On resume it first drops episodes past the checkpoint's step count,
/// so the file reads as one run.
public final class EpisodeLogger: Callback {
    public let name = "episodes"
    public let cycle: Int?
    public var phase: CallbackPhase { .log }
    public let file: URL
    public static let header = "return,length,seconds,env_steps"
    let statistics: RunControl
    let episodes: EpisodeLog
    let seconds: () -> Double
    private var handle: FileHandle?

    public init(file: URL, every: Int, statistics: RunControl, seconds: @escaping () -> Double) {
        self.file = file
        cycle = every
        self.statistics = statistics
        episodes = statistics.subscribeEpisodes()
        self.seconds = seconds
    }

    public func restoreState(_ state: inout TrainingState) throws {
        var kept = [Self.header]
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            let limit = state.environmentSteps   // the checkpoint's (collector threads may already be past it)
            for line in text.split(separator: "\n").dropFirst() {
                if let steps = line.split(separator: ",").last.flatMap({ Int($0) }), steps <= limit { kept.append(String(line)) }
            }
        }
        try (kept.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        handle = try FileHandle(forWritingTo: file)
        try handle?.seekToEnd()
    }

    public func endCycle(_ state: inout TrainingState) throws { try write() }

    public func endTraining(_ state: inout TrainingState) throws {
        try write()
        try handle?.close()
        handle = nil
    }

    private func write() throws {
        let finished = episodes.drain()
        guard let handle, !finished.isEmpty else { return }
        let now = seconds(), clock = ContinuousClock.now
        var text = ""
        for episode in finished {
            let at = max(0, now - (clock - episode.time) / .seconds(1))
            text += "\(episode.return),\(episode.length),\(String(format: "%.3f", at)),\(episode.environmentSteps)\n"
        }
        try handle.write(contentsOf: Data(text.utf8))
    }
}
