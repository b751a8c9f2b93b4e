import Core
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Reporting
import Testing

/// A run directory with the files a run writes, made by hand.
func makeRun(in base: URL, name: String, seed: Int, tags: [String: String], score: Double) throws -> URL {
    let directory = base.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: directory.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
    var metrics = "updates,env_steps,episodes,seconds,steps_per_s,updates_per_s,recent_return,loss,epsilon,eval_return,eval_confirmation\n"
    var episodes = "return,length,seconds,env_steps\n"
    for k in 1...20 {
        let eval = k % 5 == 0 ? String(score * Double(k) / 20) : ""
        metrics += "\(k * 100),\(k * 250),\(k * 3),\(Double(k) * 0.1),2500,1000,\(Double(k) * 10),\(1.0 / Double(k)),\(max(0.05, 1 - Double(k) / 10)),\(eval),\n"
        for e in 0..<3 { episodes += "\(Double(k * 10 + e)),\(k * 10),\(Double(k) * 0.1),\(k * 250 - 80 * (2 - e))\n" }
    }
    try metrics.write(to: directory.appendingPathComponent("metrics.csv"), atomically: true, encoding: .utf8)
    try episodes.write(to: directory.appendingPathComponent("episodes.csv"), atomically: true, encoding: .utf8)
    // The final policy scores score − 1 on every episode, the best one score ± 1.
    let result = RunResult(
        runID: "abc", algorithm: "dqn", environment: "CartPole-v1", seed: seed, stoppedBy: .budget, environmentSteps: 5000,
        updates: 2000, episodes: 60,
        final: EvaluationSummary(updates: 2000, environmentSteps: 5000, seed: 4, returns: [Double](repeating: score - 1, count: 20)),
        best: BestEvaluation(selectionScore: score, selectionEpisodes: 40, fresh: EvaluationSummary(
            updates: 1500, environmentSteps: 3750, seed: 4, returns: (0..<20).map { score + ($0 % 2 == 0 ? 1 : -1) })),
        seconds: 2.0, tags: tags, metrics: ["loss": 0.05, "epsilon": 0.05])
    try JSONEncoder().encode(result).write(to: directory.appendingPathComponent(RunFiles.result))
    try Data([0x1F, 0x8B]).write(to: directory.appendingPathComponent("checkpoints/best.safetensors.gz"))
    return directory
}

/// Parses SVG or XHTML-free markup as XML; nil when well-formed.
func xmlError(_ text: String) -> String? {
    let parser = XMLParser(data: Data(text.utf8))
    return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "parse error") at line \(parser.lineNumber)"
}

@Suite struct ReportTests {
    func temporary() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)") }

    /// A sweep directory: two learning rates × two seeds, listed in runs.txt, with a results table.
    func makeSweep() throws -> (base: URL, sweep: URL) {
        let base = temporary()
        var lines: [String] = []
        for (lr, score) in [("0.001", 400.0), ("0.0003", 250.0)] {
            for seed in [1, 2] {
                let name = "dqn-CartPole-v1-lr=\(lr)-seed=\(seed)-0000000\(seed)"
                _ = try makeRun(in: base, name: name, seed: seed, tags: ["algorithm.lr": lr, "train.seed": String(seed)], score: score + Double(seed))
                lines.append(name)
            }
        }
        let sweep = base.appendingPathComponent("sweeps/lr")
        try FileManager.default.createDirectory(at: sweep, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(to: sweep.appendingPathComponent("runs.txt"), atomically: true, encoding: .utf8)
        try "algorithm.lr,runs complete,best policy eval mean\n0.001,2/2,401.50\n0.0003,2/2,251.50\n"
            .write(to: sweep.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        return (base, sweep)
    }

    @Test func chartsAreWellFormedSVGWithAxesLegendsAndBands() throws {
        let (base, sweep) = try makeSweep()
        defer { try? FileManager.default.removeItem(at: base) }
        let record = try SweepRecord(directory: sweep)
        #expect(record.runs.count == 4)
        #expect(record.sweptKeys == ["algorithm.lr"])
        #expect(record.groups.map(\.name) == ["lr=0.001", "lr=0.0003"])
        #expect(record.best?.name == "lr=0.001")
        #expect(record.best?.run.seed == 2)
        let charts = [TrainingPlots.trainingReturn(record.runs, axis: .steps), TrainingPlots.trainingReturn(record.runs, axis: .time),
                      TrainingPlots.evaluation(record.groups, axis: .steps), TrainingPlots.sweepReturn(record.groups),
                      TrainingPlots.scoreAgainst("algorithm.lr", record.runs)] + TrainingPlots.scalars(record.runs, axis: .steps)
        for chart in charts {
            #expect(xmlError(chart.svg) == nil, "\(chart.title): \(xmlError(chart.svg) ?? "")")
            #expect(chart.svg.contains(">\(chart.xLabel)<") && chart.svg.contains(">\(chart.yLabel)<"), "\(chart.title) labels its axes")
        }
        #expect(TrainingPlots.scalars(record.runs, axis: .steps).map(\.yLabel) == ["loss", "epsilon", "steps_per_s", "updates_per_s"])
        // Two seeds per grid point: the evaluation carries a standard-error band.
        #expect(charts[2].svg.contains("<polygon"))
        #expect(charts[2].series.first?.points.last?.y == 401.5)   // mean of 401 and 402 at the last evaluation
    }

    @Test func ticksAreRoundAndLabelsShort() {
        #expect(TrainingPlots.rollingMean([(0, 1), (1, 3), (2, 5)], window: 2).map(\.y) == [1, 2, 4])
        #expect(SVGChart.ticks(0, 50_000) == [0, 10_000, 20_000, 30_000, 40_000, 50_000])
        #expect(SVGChart.label(20_000) == "20k" && SVGChart.label(1_500_000) == "1.5M" && SVGChart.label(0.25) == "0.25")
    }

    /// The sweep report opens in a real browser (headless Chromium): it renders something other
    /// than a blank page and logs no errors.
    @Test func theSweepReportRendersInHeadlessChromium() throws {
        let (base, sweep) = try makeSweep()
        defer { try? FileManager.default.removeItem(at: base) }
        let page = HTMLReport.sweep(try SweepRecord(directory: sweep))
        #expect(page.contains("Best grid point:</b> lr=0.001"))
        #expect(page.contains("best.safetensors.gz"))
        let file = sweep.appendingPathComponent("report.html")
        try page.write(to: file, atomically: true, encoding: .utf8)
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            Issue.record("no chromium: ./scripts/install-deps.sh --browser installs it (scripts/test.sh does)")
            return
        }
        let screenshot = base.appendingPathComponent("report.png")
        let process = Process(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                             "--user-data-dir=\(base.appendingPathComponent("profile").path)", "--window-size=1200,1600",
                             "--screenshot=\(screenshot.path)", file.absoluteString]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "chromium: \(log.suffix(500))")
        let consoleErrors = log.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        #expect(consoleErrors.isEmpty, "the page logged: \(consoleErrors)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
        #expect(try distinctColors(png: screenshot) > 8, "the screenshot is not blank")
    }
}

/// Distinct pixel colours of a PNG, counted by Python's zlib (no image library needed).
func distinctColors(png: URL) throws -> Int {
    let script = """
    import struct, sys, zlib
    data = open(sys.argv[1], 'rb').read()
    pos, idat, width = 8, b'', 0
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR': width, height, depth, color = struct.unpack('>IIBB', body[:10])
        if kind == b'IDAT': idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    channels = {2: 3, 6: 4}[color]
    stride = width * channels + 1
    rows = [raw[i * stride + 1:(i + 1) * stride] for i in range(len(raw) // stride)]
    # Filtered bytes still differ wherever the picture does; count distinct pixel byte tuples.
    pixels = set()
    for row in rows[::7]:
        for x in range(0, len(row), channels * 5):
            pixels.add(row[x:x + channels])
    print(len(pixels))
    """
    let python = ProcessInfo.processInfo.environment["RL_PYTHON"] ?? "/usr/bin/python3"
    let process = Process(), output = Pipe()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script, png.path]
    process.standardOutput = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
}
