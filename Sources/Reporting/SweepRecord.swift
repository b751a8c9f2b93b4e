import Foundation

/// A sweep directory read back: its results table (`results.csv`, as the sweep wrote it) and
/// its runs (`runs.txt`: one run directory per line; points not started yet are left out),
/// grouped into grid points by their tags.
public struct SweepRecord {
    public let directory: URL
    public let table: [[String]]
    public let runs: [RunRecord]

    public init(directory: URL) throws {
        self.directory = directory
        let list = directory.appendingPathComponent("runs.txt")
        guard let text = try? String(contentsOf: list, encoding: .utf8) else { throw ReportError.noRuns(directory.path) }
        let base = directory.deletingLastPathComponent().deletingLastPathComponent()   // <runs_dir>/sweeps/<name>
        // Points an interrupted sweep has not started yet have no files: they are left out.
        runs = try text.split(separator: "\n").compactMap { line in
            let path = String(line)
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
            do { return try RunRecord(directory: url) } catch ReportError.notARun { return nil }
        }
        table = (try? String(contentsOf: directory.appendingPathComponent("results.csv"), encoding: .utf8)).map(Self.parseCSV) ?? []
    }

    public var name: String { directory.lastPathComponent }
    /// The key treated as the seed axis.
    public static let seedKey = "train.seed"

    /// The swept keys: tags whose values differ between runs, the seed apart.
    public var sweptKeys: [String] {
        let keys = Set(runs.flatMap { $0.tags.keys }).subtracting([Self.seedKey])
        return keys.filter { key in Set(runs.map { $0.tags[key] ?? "" }).count > 1 }.sorted()
    }

    /// Runs grouped by grid point (their tag values, the seed apart), in first-seen order.
    public var groups: [(name: String, runs: [RunRecord])] {
        var order: [String] = [], members: [String: [RunRecord]] = [:]
        for run in runs {
            let key = sweptKeys.map { "\($0.split(separator: ".").last!)=\(run.tags[$0] ?? "")" }.joined(separator: ", ")
            let name = key.isEmpty ? "all runs" : key
            if members[name] == nil { order.append(name) }
            members[name, default: []].append(run)
        }
        return order.map { ($0, members[$0]!) }
    }

    /// The grid point whose runs' best policies score highest on average, and its best run.
    public var best: (name: String, run: RunRecord)? {
        let scored = groups.compactMap { group -> (String, Double, [RunRecord])? in
            let scores = group.runs.compactMap { $0.evaluation(best: true)?.mean }
            return scores.isEmpty ? nil : (group.name, scores.reduce(0, +) / Double(scores.count), group.runs)
        }
        guard let top = scored.max(by: { $0.1 < $1.1 }) else { return nil }
        let run = top.2.max { ($0.evaluation(best: true)?.mean ?? -.infinity) < ($1.evaluation(best: true)?.mean ?? -.infinity) }!
        return (top.0, run)
    }

    /// CSV with quoted fields (as the results table writes them).
    static func parseCSV(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { line in
            var cells: [String] = [], cell = "", quoted = false
            var iterator = line.makeIterator()
            while let c = iterator.next() {
                if quoted {
                    if c == "\"" { quoted = false } else { cell.append(c) }
                } else if c == "\"" {
                    if cell.hasSuffix("\"") || !cell.isEmpty { cell.append("\"") }
                    quoted = true
                } else if c == "," {
                    cells.append(cell)
                    cell = ""
                } else {
                    cell.append(c)
                }
            }
            cells.append(cell)
            return cells
        }
    }
}
