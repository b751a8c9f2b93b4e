import Foundation

/// The figures of one or more runs, read from their directories: training return per episode
/// with a rolling mean, evaluation mean with a ±standard-error band across seeds, and every
/// other scalar the runs logged; for a sweep, a curve per grid point (seeds pooled) and the
/// final score against each swept value.
public enum TrainingPlots {
    /// The x axis of the training curves.
    public enum Axis: String, Sendable, CaseIterable {
        case steps, time
        var label: String { self == .steps ? "environment steps" : "wall time (s)" }
    }

    /// Episodes in the rolling mean of the training return.
    public static let window = 20

    /// Each run's episode returns (faint) and their rolling mean.
    public static func trainingReturn(_ runs: [RunRecord], axis: Axis) -> SVGChart {
        var chart = SVGChart(title: "Training return per episode (rolling mean of \(window))", xLabel: axis.label, yLabel: "episode return")
        for (i, run) in runs.enumerated() {
            let points = episodePoints(run, axis: axis)
            var raw = SVGChart.Series(name: run.name, points: points, colorIndex: i)
            raw.opacity = 0.22
            raw.width = 1
            raw.legend = false
            chart.series.append(raw)
            chart.series.append(SVGChart.Series(name: label(run, among: runs), points: rollingMean(points, window: window), colorIndex: i))
        }
        return chart
    }

    /// The evaluation mean of runs that share their evaluation schedule (the seeds of one
    /// config): the mean over runs at each evaluation, with a band of ±1 standard error.
    public static func evaluation(_ groups: [(name: String, runs: [RunRecord])], axis: Axis) -> SVGChart {
        var chart = SVGChart(title: "Evaluation: mean return (band: ±1 standard error across seeds)", xLabel: axis.label, yLabel: "mean evaluation return")
        for (i, group) in groups.enumerated() {
            let curves = group.runs.map { $0.metrics.points(x: axis == .steps ? "env_steps" : "seconds", y: "eval_return") }.filter { !$0.isEmpty }
            guard let grid = curves.max(by: { $0.count < $1.count })?.map(\.0) else { continue }
            var points: [(x: Double, y: Double)] = [], band: [(x: Double, low: Double, high: Double)] = []
            for x in grid {
                let values = curves.compactMap { interpolate($0, at: x) }
                guard !values.isEmpty else { continue }
                let mean = values.reduce(0, +) / Double(values.count)
                points.append((x, mean))
                if values.count > 1 {
                    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
                    let se = (variance / Double(values.count)).squareRoot()
                    band.append((x, mean - se, mean + se))
                }
            }
            var series = SVGChart.Series(name: "\(group.name) (\(curves.count) seed\(curves.count == 1 ? "" : "s"))", points: points, colorIndex: i)
            series.band = band
            chart.series.append(series)
        }
        return chart
    }

    /// One chart per scalar the runs logged besides returns and counters (losses, α, ε, rates, ...).
    public static func scalars(_ runs: [RunRecord], axis: Axis) -> [SVGChart] {
        var names: [String] = []
        for run in runs { for name in run.algorithmMetrics + ["steps_per_s", "updates_per_s"] where !names.contains(name) { names.append(name) } }
        return names.compactMap { name in
            var chart = SVGChart(title: name.replacingOccurrences(of: "_", with: " "), xLabel: axis.label, yLabel: name)
            for (i, run) in runs.enumerated() {
                let points = run.metrics.points(x: axis == .steps ? "env_steps" : "seconds", y: name).map { (x: $0.0, y: $0.1) }
                if !points.isEmpty { chart.series.append(SVGChart.Series(name: label(run, among: runs), points: points, colorIndex: i)) }
            }
            return chart.series.isEmpty ? nil : chart
        }
    }

    /// A sweep's training return: per grid point the mean over its seeds of their rolling-mean
    /// curves, on a common grid of environment steps.
    public static func sweepReturn(_ groups: [(name: String, runs: [RunRecord])]) -> SVGChart {
        var chart = SVGChart(title: "Training return per grid point (seeds pooled, rolling mean of \(window))", xLabel: Axis.steps.label,
                             yLabel: "episode return")
        for (i, group) in groups.enumerated() {
            let curves = group.runs.map { rollingMean(episodePoints($0, axis: .steps), window: window) }.filter { !$0.isEmpty }
            guard let end = curves.compactMap({ $0.last?.x }).max() else { continue }
            let grid = (0...100).map { end * Double($0) / 100 }
            let points: [(x: Double, y: Double)] = grid.compactMap { x in
                let values = curves.compactMap { interpolate($0.map { ($0.x, $0.y) }, at: x) }
                return values.isEmpty ? nil : (x, values.reduce(0, +) / Double(values.count))
            }
            chart.series.append(SVGChart.Series(name: group.name, points: points, colorIndex: i))
        }
        return chart
    }

    /// The score (each run's best policy on fresh episodes, else its final) against one swept
    /// key: mean over seeds with a ±std band, each seed as a faint marker.
    public static func scoreAgainst(_ key: String, _ runs: [RunRecord]) -> SVGChart {
        var chart = SVGChart(title: "Score against \(key)", xLabel: key, yLabel: "best policy mean return (fresh episodes)")
        let values = Array(Set(runs.compactMap { $0.tags[key] }))
        let numeric = values.allSatisfy { Double($0) != nil }
        let ordered = numeric ? values.sorted { Double($0)! < Double($1)! } : values.sorted()
        if !numeric { chart.categories = ordered }
        func x(_ value: String) -> Double { numeric ? Double(value)! : Double(ordered.firstIndex(of: value)!) }
        var seeds = SVGChart.Series(name: "each seed", points: [], colorIndex: 0)
        seeds.markers = true
        seeds.opacity = 0.35
        var means: [(x: Double, y: Double)] = [], band: [(x: Double, low: Double, high: Double)] = []
        for value in ordered {
            let scores = runs.filter { $0.tags[key] == value }.compactMap { $0.evaluation(best: true)?.mean }
            guard !scores.isEmpty else { continue }
            for score in scores { seeds.points.append((x(value), score)) }
            let mean = scores.reduce(0, +) / Double(scores.count)
            let std = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count)).squareRoot()
            means.append((x(value), mean))
            band.append((x(value), mean - std, mean + std))
        }
        var mean = SVGChart.Series(name: "mean over seeds (band: ±std)", points: means, colorIndex: 1)
        mean.band = band
        mean.markers = !numeric
        chart.series = [seeds, mean]
        return chart
    }

    // MARK: - Helpers

    static func episodePoints(_ run: RunRecord, axis: Axis) -> [(x: Double, y: Double)] {
        run.episodes.points(x: axis == .steps ? "env_steps" : "seconds", y: "return").map { (x: $0.0, y: $0.1) }
    }

    /// The mean of each point's last `window` values.
    static func rollingMean(_ points: [(x: Double, y: Double)], window: Int) -> [(x: Double, y: Double)] {
        var sum = 0.0, result: [(x: Double, y: Double)] = []
        for (i, p) in points.enumerated() {
            sum += p.y
            if i >= window { sum -= points[i - window].y }
            result.append((p.x, sum / Double(min(i + 1, window))))
        }
        return result
    }

    /// Linear interpolation inside the curve's x range (nil outside it).
    static func interpolate(_ curve: [(Double, Double)], at x: Double) -> Double? {
        guard let first = curve.first, let last = curve.last, x >= first.0, x <= last.0 else { return nil }
        var low = 0, high = curve.count - 1
        while high - low > 1 {
            let mid = (low + high) / 2
            if curve[mid].0 <= x { low = mid } else { high = mid }
        }
        let (xa, ya) = curve[low], (xb, yb) = curve[high]
        return xb == xa ? ya : ya + (yb - ya) * (x - xa) / (xb - xa)
    }

    /// A run's legend: its seed when the runs differ only by seed, else its directory name.
    static func label(_ run: RunRecord, among runs: [RunRecord]) -> String {
        let names = Set(runs.map { $0.name.split(separator: "-").dropLast().joined(separator: "-") })
        if names.count == 1, let seed = run.seed { return "seed \(seed)" }
        return run.name
    }
}
