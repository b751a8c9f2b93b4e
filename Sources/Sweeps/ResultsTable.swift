import Experiments
import Foundation
import Shared

/// A sweep's results per grid point (seeds pooled): mean ± std over seeds of each run's best
/// policy on fresh episodes (or, with `last`, its final policy), environment steps to the
/// threshold, wall time; as CSV and Markdown, with the best grid point named.
public struct ResultsTable {
    public struct Row {
        /// The tag values (grid keys and the base config's tags) other than the seed.
        public var point: [(path: String, value: String)]
        public var seeds: Int
        public var complete: Int
        public var evaluationMean: Double?
        public var evaluationStd: Double?
        public var solved: Int
        /// Mean env steps to the threshold over the seeds that reached it.
        public var stepsToThreshold: Double?
        public var meanSeconds: Double?
    }

    public var rows: [Row]
    /// Whether the table reports each run's final policy instead of its best kept one.
    public let last: Bool
    /// The key path treated as the seed axis.
    public static let seedKey = "train.seed"

    public init(runs: [SweepRun], last: Bool = false) {
        self.last = last
        // A run's point: its tag values (the grid keys and any tags of the base config), seed apart.
        func point(_ run: SweepRun) -> [(path: String, value: String)] {
            run.point.config.tags.filter { $0.path != Self.seedKey }.map { ($0.path, $0.value.stringValue ?? $0.value.description) }
        }
        var groups: [String: [SweepRun]] = [:], order: [String] = []
        for run in runs {
            let key = point(run).map { "\($0.path)=\($0.value)" }.joined(separator: ",")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(run)
        }
        rows = order.map { key in
            let members = groups[key]!
            let results = members.compactMap(\.result)
            let means = results.compactMap { $0.evaluation(last: last)?.mean }
            let mean = means.isEmpty ? nil : Statistics.mean(means)
            let std = means.isEmpty ? nil : Statistics.std(means)
            let solvedSteps = results.compactMap(\.solvedAtEnvironmentSteps).map(Double.init)
            let seconds = results.map(\.seconds)
            return Row(point: point(members[0]),
                       seeds: members.count, complete: results.count, evaluationMean: mean, evaluationStd: std,
                       solved: solvedSteps.count,
                       stepsToThreshold: solvedSteps.isEmpty ? nil : solvedSteps.reduce(0, +) / Double(solvedSteps.count),
                       meanSeconds: seconds.isEmpty ? nil : seconds.reduce(0, +) / Double(seconds.count))
        }
    }

    /// The row with the highest mean evaluation.
    public var best: Row? { rows.filter { $0.evaluationMean != nil }.max { $0.evaluationMean! < $1.evaluationMean! } }

    var pointColumns: [String] { rows.first?.point.map(\.path) ?? [] }

    func cells(_ row: Row) -> [String] {
        func f(_ v: Double?, _ format: String) -> String { v.map { String(format: format, $0) } ?? "" }
        return row.point.map(\.value) + ["\(row.complete)/\(row.seeds)", f(row.evaluationMean, "%.2f"), f(row.evaluationStd, "%.2f"),
                                         "\(row.solved)/\(row.seeds)", f(row.stepsToThreshold, "%.0f"), f(row.meanSeconds, "%.1f")]
    }

    var header: [String] {
        pointColumns + ["runs complete", last ? "final policy eval mean" : "best policy eval mean", last ? "final policy eval std" : "best policy eval std",
                        "solved", "steps to solved", "seconds"]
    }

    public var csv: String {
        func escape(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        return ([header] + rows.map(cells)).map { $0.map(escape).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    public var markdown: String {
        var header = self.header
        header.replaceSubrange(pointColumns.count + 1 ... pointColumns.count + 2, with: [last ? "final policy eval (mean ± std over seeds)" : "best policy eval (mean ± std over seeds)"])
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
        for row in rows {
            var cells = self.cells(row)
            let both = row.evaluationMean.map { String(format: "%.2f ± %.2f", $0, row.evaluationStd ?? 0) } ?? ""
            cells.replaceSubrange(row.point.count + 1 ... row.point.count + 2, with: [both])
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        if let best {
            lines.append("")
            lines.append("Best: " + (best.point.isEmpty ? "the only grid point" : best.point.map { "\($0.path) = \($0.value)" }.joined(separator: ", "))
                         + String(format: " (eval mean %.2f over %d seeds)", best.evaluationMean!, best.complete))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `results.csv` and `results.md` into `directory`.
    public func write(to directory: URL) throws {
        try csv.write(to: directory.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        try markdown.write(to: directory.appendingPathComponent("results.md"), atomically: true, encoding: .utf8)
    }
}
