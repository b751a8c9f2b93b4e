import Collectors
import Core
import Foundation
import Learner

/// Appends one row to `metrics.csv` every `cycle` updates: counters, rates, the recent mean
/// return, the latest value of every metric the algorithm records (its `Algorithm.metrics`, in
/// that order), and the latest evaluation (and its confirmation) when one
/// ran since the last row. On resume it first drops rows past the checkpoint's update count (written after the
/// checkpoint by the interrupted session), so the file reads as one uninterrupted run.
final class MetricsLogger: Callback {
    let name = "metrics"
    let cycle: Int?
    var phase: CallbackPhase { .log }
    let file: URL
    let statistics: RunControl
    /// Seconds of training so far, counting earlier sessions of a resumed run.
    let seconds: () -> Double
    private var handle: FileHandle?
    private var lastEvaluationLogged = -1
    private var lastSeconds = 0.0, lastSteps = 0, lastUpdates = 0

    /// The algorithm's metric columns.
    let metrics: [String]
    var header: String {
        (["updates", "env_steps", "episodes", "seconds", "steps_per_s", "updates_per_s", "recent_return"] + metrics
            + ["eval_return", "eval_confirmation"]).joined(separator: ",")
    }

    init(file: URL, every: Int, statistics: RunControl, metrics: [String], seconds: @escaping () -> Double) {
        cycle = every
        self.seconds = seconds
        self.file = file
        self.statistics = statistics
        self.metrics = metrics
    }

    func restoreState(_ state: inout TrainingState) throws {
        var kept = [header]
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            for line in text.split(separator: "\n").dropFirst() {
                if let updates = Int(line.prefix { $0 != "," }), updates <= state.updates { kept.append(String(line)) }
            }
        }
        try (kept.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        handle = try FileHandle(forWritingTo: file)
        try handle?.seekToEnd()
        lastSteps = statistics.environmentSteps
        lastUpdates = state.updates
        lastSeconds = seconds()
    }

    func endCycle(_ state: inout TrainingState) throws {
        let now = seconds(), steps = statistics.environmentSteps
        let dt = max(now - lastSeconds, 1e-9)
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        var evaluation = ","
        if let e = state[RunKeys.evaluation], e.updates != lastEvaluationLogged {
            evaluation = f(e.mean) + "," + f(e.confirmationMean)
            lastEvaluationLogged = e.updates
        }
        let row = ([String(state.updates), String(steps), String(statistics.episodes), String(format: "%.3f", now),
                    f(Double(steps - lastSteps) / dt), f(Double(state.updates - lastUpdates) / dt), f(statistics.recentMeanReturn)]
                   + metrics.map { f(state.metrics[$0]) } + [evaluation]).joined(separator: ",")
        handle?.write(Data((row + "\n").utf8))
        (lastSeconds, lastSteps, lastUpdates) = (now, steps, state.updates)
    }

    func endTraining(_ state: inout TrainingState) throws {
        try handle?.close()
        handle = nil
    }
}
