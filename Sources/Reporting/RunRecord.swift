import Core
import Foundation

/// What a run directory holds, read back for plots and reports: `result.json` (when the run
/// finished), `metrics.csv`, `episodes.csv`, and the best checkpoint's path. Nothing here knows
/// an algorithm: metric columns are whatever the run wrote.
public struct RunRecord {
    public let directory: URL
    /// result.json (nil while the run is unfinished).
    public let result: RunResult?
    public let metrics: CSVTable
    public let episodes: CSVTable

    public init(directory: URL) throws {
        self.directory = directory
        let resultFile = directory.appendingPathComponent(RunFiles.result)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunFiles.metrics).path)
                || FileManager.default.fileExists(atPath: resultFile.path) else {
            throw ReportError.notARun(directory.path)
        }
        if let data = try? Data(contentsOf: resultFile) {
            do {
                result = try JSONDecoder().decode(RunResult.self, from: data)
            } catch {
                throw ReportError.unreadable(resultFile.path, "not a run's result (\(error))")
            }
        } else {
            result = nil
        }
        metrics = try CSVTable(file: directory.appendingPathComponent(RunFiles.metrics))
        episodes = try CSVTable(file: directory.appendingPathComponent(RunFiles.episodes))
    }

    /// The directory's name (`<name>-<id8>`).
    public var name: String { directory.lastPathComponent }
    public var seed: Int? { result?.seed }
    /// Tag values of the run's config (`train.tags`: the swept keys of a sweep).
    public var tags: [String: String] { result?.tags ?? [:] }
    public var bestCheckpoint: URL? {
        let url = directory.appendingPathComponent(RunFiles.checkpoints).appendingPathComponent(RunFiles.bestPolicy)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// A summary of the final or best evaluation (`final`, `best.fresh`).
    public func evaluation(best: Bool) -> (mean: Double, std: Double, episodes: Int)? {
        guard let summary = result?.evaluation(last: !best) else { return nil }
        return (summary.mean, summary.std, summary.episodes)
    }

    /// The metric columns of metrics.csv besides the counters, rates and returns every run writes.
    public var algorithmMetrics: [String] {
        metrics.header.filter { !Self.commonColumns.contains($0) }
    }
    static let commonColumns: Set<String> = ["updates", "env_steps", "episodes", "seconds", "steps_per_s", "updates_per_s", "recent_return",
                                             "eval_return", "eval_confirmation"]
}

/// Errors reading run and sweep directories.
public enum ReportError: Error, CustomStringConvertible {
    case notARun(String)
    case unreadable(String, String)
    case noRuns(String)

    public var description: String {
        switch self {
        case .notARun(let path): return "\(path) is not a run directory (no metrics.csv or result.json)"
        case .unreadable(let path, let detail): return "cannot read \(path): \(detail)"
        case .noRuns(let path): return "\(path) lists no run directories (runs.txt)"
        }
    }
}

/// A numeric CSV file as written by the loggers (a header, then numbers; empty cells are nil).
public struct CSVTable {
    public var header: [String] = []
    public var rows: [[Double?]] = []

    public init(header: [String], rows: [[Double?]]) {
        self.header = header
        self.rows = rows
    }

    /// An empty table when the file does not exist.
    public init(file: URL) throws {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).makeIterator()
        guard let first = lines.next() else { return }
        header = first.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for (index, line) in IteratorSequence(lines).enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw ReportError.unreadable(file.path, "line \(index + 2) has \(cells.count) cells, the header \(header.count)")
            }
            rows.append(cells.map { Double($0) })
        }
    }

    public func column(_ name: String) -> [Double?] {
        guard let index = header.firstIndex(of: name) else { return [] }
        return rows.map { $0[index] }
    }

    /// (x, y) pairs of two columns where both are present and finite: a loss that diverged to
    /// NaN or infinity is a gap in a curve, not a point (and not a NaN that would poison a
    /// rolling mean from there on).
    public func points(x: String, y: String) -> [(Double, Double)] {
        zip(column(x), column(y)).compactMap { a, b in
            guard let a, let b, a.isFinite, b.isFinite else { return nil }
            return (a, b)
        }
    }
}
