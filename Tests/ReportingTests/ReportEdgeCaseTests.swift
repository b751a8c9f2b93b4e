import Foundation
@testable import Reporting
import Testing

/// What real run directories hold besides finished, well-behaved runs: a run that failed before
/// writing anything, CSV files with a header only or empty, and metrics that went NaN or
/// infinite. Plots and reports must stay well-formed and say what is missing.
@Suite struct ReportEdgeCaseTests {
    func temporary() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("report-edge-\(UUID().uuidString)") }

    /// Every chart of a set of runs and groups, as `rl-train plot` and the reports draw them.
    func charts(_ runs: [RunRecord], groups: [(name: String, runs: [RunRecord])], sweptKeys: [String]) -> [SVGChart] {
        var charts = [TrainingPlots.trainingReturn(runs, axis: .steps), TrainingPlots.trainingReturn(runs, axis: .time),
                      TrainingPlots.evaluation(groups, axis: .steps), TrainingPlots.sweepReturn(groups)]
        charts += sweptKeys.map { TrainingPlots.scoreAgainst($0, runs) }
        return charts + TrainingPlots.scalars(runs, axis: .steps)
    }

    /// No chart may carry a coordinate that is not a finite number (an SVG viewer drops the
    /// whole path or shape then).
    func expectFiniteCoordinates(_ chart: SVGChart, sourceLocation: SourceLocation = #_sourceLocation) {
        let lowered = chart.svg.lowercased()
        for bad in ["nan", "inf"] {
            #expect(!lowered.contains(bad), "\(chart.title) holds \(bad): \(chart.svg.prefix(600))", sourceLocation: sourceLocation)
        }
    }

    /// A sweep of two grid points where one seed failed at start (its directory holds only a
    /// metrics.csv header): the sweep reads, the failed run is listed as unfinished, and every
    /// chart and the page are well-formed.
    @Test func aSweepWithAFailedRunReportsTheOthersAndListsIt() throws {
        let base = temporary()
        defer { try? FileManager.default.removeItem(at: base) }
        var lines: [String] = []
        for (lr, score) in [("0.001", 400.0), ("0.0003", 250.0)] {
            for seed in [1, 2] {
                let name = "dqn-CartPole-v1-lr=\(lr)-seed=\(seed)-0000000\(seed)"
                lines.append(name)
                if lr == "0.0003" && seed == 2 {
                    let failed = base.appendingPathComponent(name)
                    try FileManager.default.createDirectory(at: failed, withIntermediateDirectories: true)
                    try "updates,env_steps,episodes,seconds,steps_per_s,updates_per_s,recent_return,loss,eval_return,eval_confirmation\n"
                        .write(to: failed.appendingPathComponent("metrics.csv"), atomically: true, encoding: .utf8)
                } else {
                    _ = try makeRun(in: base, name: name, seed: seed, tags: ["algorithm.lr": lr, "train.seed": String(seed)], score: score + Double(seed))
                }
            }
        }
        let sweep = base.appendingPathComponent("sweeps/lr")
        try FileManager.default.createDirectory(at: sweep, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(to: sweep.appendingPathComponent("runs.txt"), atomically: true, encoding: .utf8)
        let record = try SweepRecord(directory: sweep)
        #expect(record.runs.count == 4)
        #expect(record.runs.filter { $0.result == nil }.count == 1)
        #expect(record.best?.name == "lr=0.001")
        for chart in charts(record.runs, groups: record.groups, sweptKeys: record.sweptKeys) {
            #expect(xmlError(chart.svg) == nil, "\(chart.title): \(xmlError(chart.svg) ?? "")")
            expectFiniteCoordinates(chart)
        }
        let page = HTMLReport.sweep(record)
        #expect(xmlError(page.replacingOccurrences(of: "<!DOCTYPE html>", with: "")) == nil, "\(xmlError(page) ?? "")")
        let failedRow = try #require(page.split(separator: "\n").first { $0.contains("lr=0.0003-seed=2") && $0.contains("<td>") })
        #expect(failedRow.contains("unfinished"), "\(failedRow)")
    }

    /// A run whose CSV files hold a header only, or nothing at all: the records read as empty
    /// tables, and the charts say there is no data instead of drawing an empty frame.
    @Test(arguments: ["header", "empty"])
    func emptyCSVFilesGiveChartsThatSayNoData(content: String) throws {
        let base = temporary()
        defer { try? FileManager.default.removeItem(at: base) }
        let directory = try makeRun(in: base, name: "dqn-CartPole-v1-00000001", seed: 1, tags: [:], score: 100)
        let metrics = content == "header" ? "updates,env_steps,episodes,seconds,steps_per_s,updates_per_s,recent_return,loss,eval_return,eval_confirmation\n" : ""
        let episodes = content == "header" ? "return,length,seconds,env_steps\n" : ""
        try metrics.write(to: directory.appendingPathComponent("metrics.csv"), atomically: true, encoding: .utf8)
        try episodes.write(to: directory.appendingPathComponent("episodes.csv"), atomically: true, encoding: .utf8)
        let run = try RunRecord(directory: directory)
        #expect(run.metrics.rows.isEmpty && run.episodes.rows.isEmpty)
        #expect(run.metrics.header.isEmpty == (content == "empty"))
        for chart in charts([run], groups: [(run.name, [run])], sweptKeys: []) {
            #expect(xmlError(chart.svg) == nil, "\(chart.title): \(xmlError(chart.svg) ?? "")")
            #expect(chart.series.allSatisfy { $0.points.isEmpty }, "\(chart.title) has no points")
            #expect(chart.svg.contains("no data"), "\(chart.title) says it has no data: \(chart.svg.prefix(400))")
        }
        let page = HTMLReport.run(run)
        #expect(xmlError(page.replacingOccurrences(of: "<!DOCTYPE html>", with: "")) == nil)
    }

    /// Metrics that went NaN or infinite (a diverged loss, a NaN written as "nan"): the points
    /// are left out of the charts, whose coordinates stay finite, and the finite ones are kept.
    @Test func nonFiniteMetricsAreLeftOutOfTheCharts() throws {
        let base = temporary()
        defer { try? FileManager.default.removeItem(at: base) }
        let directory = try makeRun(in: base, name: "dqn-CartPole-v1-00000002", seed: 1, tags: [:], score: 100)
        var metrics = "updates,env_steps,episodes,seconds,steps_per_s,updates_per_s,recent_return,loss,eval_return,eval_confirmation\n"
        let losses = ["0.5", "nan", "0.25", "inf", "-inf", "0.125"]
        for (k, loss) in losses.enumerated() {
            metrics += "\(k * 100),\(k * 250),\(k),\(Double(k) * 0.1),2500,1000,\(k == 2 ? "nan" : String(Double(k) * 10)),\(loss),\(k == 4 ? "nan" : ""),\n"
        }
        try metrics.write(to: directory.appendingPathComponent("metrics.csv"), atomically: true, encoding: .utf8)
        var episodes = "return,length,seconds,env_steps\n"
        for k in 0..<6 { episodes += "\(k == 3 ? "nan" : String(Double(k))),10,\(Double(k) * 0.1),\(k * 250)\n" }
        try episodes.write(to: directory.appendingPathComponent("episodes.csv"), atomically: true, encoding: .utf8)
        let run = try RunRecord(directory: directory)
        let all = charts([run], groups: [(run.name, [run])], sweptKeys: [])
        for chart in all {
            #expect(xmlError(chart.svg) == nil, "\(chart.title): \(xmlError(chart.svg) ?? "")")
            expectFiniteCoordinates(chart)
            for series in chart.series {
                #expect(series.points.allSatisfy { $0.x.isFinite && $0.y.isFinite }, "\(chart.title): \(series.points)")
            }
        }
        let loss = try #require(all.first { $0.yLabel == "loss" })
        #expect(loss.series.flatMap(\.points).map(\.y) == [0.5, 0.25, 0.125])
        let page = HTMLReport.run(run)
        #expect(xmlError(page.replacingOccurrences(of: "<!DOCTYPE html>", with: "")) == nil)
    }
}
