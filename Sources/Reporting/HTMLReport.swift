import Core
import Foundation

/// Self-contained HTML pages (inline SVG and CSS, no script, nothing fetched): a sweep's
/// results table, plots, best grid point with the path to its best checkpoint and per-seed
/// details, after gobbli's experiment results; or the same for one run. Everything comes from
/// the run directories, so a page regenerated later (an interrupted and resumed sweep) is the
/// same page.
public enum HTMLReport {
    /// The page of a sweep.
    public static func sweep(_ sweep: SweepRecord, axis: TrainingPlots.Axis = .steps) -> String {
        var body = "<h1>Sweep \(escape(sweep.name))</h1>\n"
        body += "<p class=\"meta\">\(sweep.runs.count) runs in \(sweep.groups.count) grid point\(sweep.groups.count == 1 ? "" : "s")"
            + (sweep.sweptKeys.isEmpty ? "" : "; swept: " + sweep.sweptKeys.map { "<code>\(escape($0))</code>" }.joined(separator: ", ")) + "</p>\n"
        if let best = sweep.best {
            body += "<div class=\"best\"><b>Best grid point:</b> \(escape(best.name)). Its best run: <code>\(escape(best.run.directory.path))</code>"
            if let checkpoint = best.run.bestCheckpoint { body += "<br>best checkpoint: <code>\(escape(checkpoint.path))</code>" }
            body += "</div>\n"
        }
        if !sweep.table.isEmpty {
            body += "<h2>Results</h2>\n" + table(header: sweep.table[0], rows: Array(sweep.table.dropFirst()))
        }
        body += "<h2>Training</h2>\n" + TrainingPlots.sweepReturn(sweep.groups).svg
        body += TrainingPlots.evaluation(sweep.groups, axis: axis).svg
        for key in sweep.sweptKeys { body += TrainingPlots.scoreAgainst(key, sweep.runs).svg }
        body += "<h2>Runs</h2>\n" + runTable(sweep.runs)
        for group in sweep.groups {
            body += "<h3>\(escape(group.name))</h3>\n" + TrainingPlots.trainingReturn(group.runs, axis: axis).svg
        }
        return page(title: "Sweep \(sweep.name)", body: body)
    }

    /// The page of one run.
    public static func run(_ run: RunRecord, axis: TrainingPlots.Axis = .steps) -> String {
        var body = "<h1>Run \(escape(run.name))</h1>\n" + runTable([run])
        if let checkpoint = run.bestCheckpoint { body += "<p>Best checkpoint: <code>\(escape(checkpoint.path))</code></p>\n" }
        body += "<h2>Training</h2>\n" + TrainingPlots.trainingReturn([run], axis: axis).svg
        body += TrainingPlots.evaluation([(run.name, [run])], axis: axis).svg
        body += "<h2>Scalars</h2>\n" + TrainingPlots.scalars([run], axis: axis).map(\.svg).joined()
        return page(title: "Run \(run.name)", body: body)
    }

    /// Per-run details: seed, how it ended, solved step, final and best policy, seconds, last metrics, best checkpoint.
    static func runTable(_ runs: [RunRecord]) -> String {
        let header = ["run", "seed", "stopped by", "solved at (env steps)", "final policy", "best policy (fresh episodes)", "seconds",
                      "last metrics", "best checkpoint"]
        func summary(_ e: EvaluationSummary?) -> String {
            e.map { String(format: "%.2f ± %.2f (%d episodes)", $0.mean, $0.std, $0.episodes) } ?? "—"
        }
        var rows: [[String]] = []
        for run in runs {
            var cells = [run.name, "—", "unfinished", "—", "—", "—", "—", "", run.bestCheckpoint?.path ?? "—"]
            if let result = Self.result(of: run) {
                cells[1] = String(result.seed)
                cells[2] = result.stoppedBy.rawValue
                cells[3] = result.solvedAtEnvironmentSteps.map(String.init) ?? "—"
                cells[4] = summary(result.evaluation(last: true)) + (result.defaultPolicy == .final && result.best != nil ? " (default)" : "")
                cells[5] = summary(result.best?.fresh ?? result.final) + (result.defaultPolicy == .best ? " (default)" : "")
                cells[6] = String(format: "%.1f", result.seconds)
                cells[7] = (result.metrics ?? [:]).sorted { $0.key < $1.key }
                    .map { "\($0.key) \(String(format: "%.4g", $0.value))" }.joined(separator: ", ")
            }
            rows.append(cells)
        }
        return table(header: header, rows: rows)
    }

    /// A run's result, read out of line: Swift 6.3's optimizer crashed (an ownership verifier
    /// failure) on the same read inlined into the loop above.
    @inline(never)
    static func result(of run: RunRecord) -> RunResult? { run.result }

    static func table(header: [String], rows: [[String]]) -> String {
        var html = "<table>\n<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for row in rows { html += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
        return html + "</table>\n"
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1200px; }
        table { border-collapse: collapse; margin: 8px 0 20px; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; }
        code { font-size: 12px; }
        .best { background: #eef6ee; border: 1px solid #9c9; padding: 8px 12px; margin: 12px 0; }
        .meta { color: #555; }
        svg { display: block; margin: 8px 0 16px; }
        </style></head>
        <body>
        \(body)</body></html>

        """
    }
}
