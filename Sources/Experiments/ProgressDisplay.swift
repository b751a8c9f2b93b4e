import Foundation

/// The progress line: a bar, counters, rates, the recent return, ETA, the algorithm's own
/// metrics (whatever it records: loss, α, ε, ...) and the latest evaluation; rewritten in place on
/// a terminal, plain periodic lines otherwise (logs, CI).
public final class ProgressDisplay {
    private let interactive = isatty(STDOUT_FILENO) != 0
    private var lastPlain = ContinuousClock.now
    private var shown = false

    static let barWidth = 20

    public init() {}

    public func show(_ p: TrainingProgress) {
        let fraction = p.budget > 0 ? min(Double(p.environmentSteps) / Double(p.budget), 1) : 0
        let recent = p.recentMeanReturn.map { String(format: "%.1f", $0) } ?? "—"
        let eta = p.secondsLeft.map { String(format: "%.0fs", max($0, 0)) } ?? "—"
        let filled = Int((fraction * Double(Self.barWidth)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: Self.barWidth - filled)
        var line = String(format: "%@ %5.1f%%  steps %d/%d  updates %d  %.0f steps/s  %.0f updates/s  return %@  ETA %@",
                          bar, fraction * 100, p.environmentSteps, p.budget, p.updates, p.stepsPerSecond, p.updatesPerSecond, recent, eta)
        for (name, value) in p.metrics { line += String(format: "  %@ %.3g", name, value) }
        if let e = p.evaluation {
            line += String(format: "  eval %.1f", e.mean) + (e.confirmationMean.map { String(format: " (confirm %.1f)", $0) } ?? "")
        }
        if interactive {
            print("\r\u{1B}[2K" + line, terminator: "")
            fflush(nil)   // flushes every output stream, stdout included
            shown = true
        } else if ContinuousClock.now - lastPlain >= .seconds(2) {
            print(line)
            fflush(nil)   // a log file or pipe sees each line as it is printed
            lastPlain = ContinuousClock.now
        }
    }

    public func finish() {
        if interactive && shown { print("") }
    }
}
