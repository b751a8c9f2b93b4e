import Core
import Experiments
import Foundation
import Shared
import Reporting

/// A sweep: a base config, a grid of values per key path, and a concurrency limit in tokens.
///
///     base: ../configs/dqn-cartpole.yaml   # relative to this file; or `config:` with the config inline
///     set: [train.env_steps=20000]         # optional overrides of the base
///     grid:
///       algorithm.lr: [1e-3, 3e-4]
///       train.seed: [1, 2, 3]
///     tokens: 2                            # CPU threads the sweep may use at once
///     name: dqn-lr                         # default: the file's name without extension
///     launcher: {ray: {address: "10.0.0.1:6379", python: python3}}   # optional; default: local processes
///
/// Every grid point is one run (with the grid keys as tags), so the run-once rule applies:
/// complete runs are reused, interrupted ones resumed.
public struct SweepSpec {
    public var name: String
    /// The base config file (written out when the sweep gives it inline).
    public var baseFile: String
    public var baseText: String
    public var overrides: [String]
    /// Key paths and their values, in the order written.
    public var grid: [(path: String, values: [ConfigValue])]
    public var tokens: Int
    /// `launcher.ray`: the Ray cluster to run on (`address`, and the `python` that has ray), or nil for local processes.
    public var rayAddress: String?
    public var rayPython: String?

    /// Reads a sweep file; errors name the key and line.
    public static func load(file: String) throws -> SweepSpec {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigError.unreadable(file: file, detail: "cannot read the sweep file (\(error.localizedDescription))")
        }
        guard let root = try RawNode.parse(text, source: file), case .mapping(let entries) = root.kind else {
            throw ConfigError.wrongType(path: "(sweep)", line: nil, expected: "a mapping with base or config, grid and tokens", got: "nothing")
        }
        let known = ["base", "config", "set", "grid", "tokens", "name", "launcher"]
        for entry in entries where !known.contains(entry.key) {
            throw ConfigError.unknownKey(path: entry.key, line: entry.keyLine, known: known, suggestion: closest(to: entry.key, in: known))
        }
        func entry(_ key: String) -> RawNode? { entries.first { $0.key == key }?.value }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        var spec = SweepSpec(name: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent, baseFile: "", baseText: "",
                             overrides: [], grid: [], tokens: ProcessInfo.processInfo.activeProcessorCount)
        switch (entry("base"), entry("config")) {
        case (let base?, nil):
            guard case .scalar(let path, _) = base.kind else {
                throw ConfigError.wrongType(path: "base", line: base.line, expected: "a config file path", got: base.what)
            }
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
            spec.baseFile = url.standardizedFileURL.path
            do { spec.baseText = try String(contentsOf: url, encoding: .utf8) } catch {
                throw ConfigError.unreadable(file: url.path, detail: "base config of sweep \(file) cannot be read")
            }
        case (nil, let inline?):
            guard case .mapping = inline.kind else {
                throw ConfigError.wrongType(path: "config", line: inline.line, expected: "a config mapping", got: inline.what)
            }
            spec.baseText = inline.flowText
        case (nil, nil): throw ConfigError.missing(path: "base", detail: "a base config: base: FILE or config: {...}")
        default: throw ConfigError.invalid(path: "config", detail: "give either base or config, not both")
        }
        if let set = entry("set") {
            guard case .sequence(let items) = set.kind else {
                throw ConfigError.wrongType(path: "set", line: set.line, expected: "a list of path=value overrides", got: set.what)
            }
            spec.overrides = try items.map {
                guard case .scalar(let text, _) = $0.kind, text.contains("=") else {
                    throw ConfigError.wrongType(path: "set", line: $0.line, expected: "path=value", got: $0.what)
                }
                return text
            }
        }
        guard let grid = entry("grid"), case .mapping(let axes) = grid.kind, !axes.isEmpty else {
            throw ConfigError.missing(path: "grid", detail: "a mapping of key paths to lists of values, e.g. train.seed: [1, 2, 3]")
        }
        for axis in axes {
            guard case .sequence(let values) = axis.value.kind, !values.isEmpty else {
                throw ConfigError.wrongType(path: "grid.\(axis.key)", line: axis.value.line, expected: "a non-empty list of values", got: axis.value.what)
            }
            spec.grid.append((axis.key, values.map(\.untyped)))
        }
        if let tokens = entry("tokens") {
            guard case .scalar(let text, false) = tokens.kind, let n = Int(text), n >= 1 else {
                throw ConfigError.wrongType(path: "tokens", line: tokens.line, expected: "an integer ≥ 1 (CPU threads)", got: tokens.what)
            }
            spec.tokens = n
        }
        if let launcher = entry("launcher") {
            guard case .mapping(let kinds) = launcher.kind, kinds.count == 1, kinds[0].key == "local" || kinds[0].key == "ray" else {
                throw ConfigError.wrongType(path: "launcher", line: launcher.line, expected: "{local: null} or {ray: {address: HOST:PORT, python: PATH}}",
                                            got: launcher.what)
            }
            if kinds[0].key == "ray" {
                guard case .mapping(let fields) = kinds[0].value.kind else {
                    throw ConfigError.wrongType(path: "launcher.ray", line: kinds[0].value.line, expected: "{address: HOST:PORT, python: PATH}",
                                                got: kinds[0].value.what)
                }
                for field in fields {
                    guard case .scalar(let text, _) = field.value.kind, ["address", "python"].contains(field.key) else {
                        throw ConfigError.unknownKey(path: "launcher.ray.\(field.key)", line: field.keyLine, known: ["address", "python"],
                                                     suggestion: closest(to: field.key, in: ["address", "python"]))
                    }
                    if field.key == "address" { spec.rayAddress = text } else { spec.rayPython = text }
                }
                guard spec.rayAddress != nil else { throw ConfigError.missing(path: "launcher.ray.address", detail: "the Ray cluster's HOST:PORT") }
            }
        }
        if let name = entry("name") {
            guard case .scalar(let text, _) = name.kind, !text.isEmpty else {
                throw ConfigError.wrongType(path: "name", line: name.line, expected: "a name", got: name.what)
            }
            spec.name = text
        }
        return spec
    }

    /// One run of the sweep.
    public struct Point {
        /// The grid values of this run, in grid order.
        public var values: [(path: String, value: ConfigValue)]
        /// Overrides for `rl-train train BASE --set ...`: the sweep's, then the grid's, then the tags.
        public var overrides: [String]
        public var config: ExperimentConfig
    }

    /// The grid's cartesian product (the last key varies fastest), each point validated.
    public func expand(callbacks: CallbackRegistry = .builtIn) throws -> [Point] {
        var combinations: [[(path: String, value: ConfigValue)]] = [[]]
        for axis in grid {
            combinations = combinations.flatMap { prefix in axis.values.map { prefix + [(axis.path, $0)] } }
        }
        let base = try ExperimentConfig.parse(baseText, source: baseFile.isEmpty ? "sweep config" : baseFile,
                                              overrides: overrides, callbackRegistry: callbacks)
        let tags = base[TrainKeys.tags] + grid.map(\.path).filter { !base[TrainKeys.tags].contains($0) }
        var byID: [String: [(path: String, value: ConfigValue)]] = [:]
        return try combinations.map { values in
            let pointOverrides = overrides + values.map { "\($0.path)=\($0.value)" } + ["train.tags=\(ConfigValue.list(tags.map { .string($0) }))"]
            let config = try ExperimentConfig.parse(baseText, source: baseFile.isEmpty ? "sweep config" : baseFile,
                                                    overrides: pointOverrides, callbackRegistry: callbacks)
            // Two grid values that read as the same value (1e-3 and 0.001) would be one run
            // trained twice at once in one directory.
            if let other = byID[config.id] {
                let describe = { (v: [(path: String, value: ConfigValue)]) in v.map { "\($0.path)=\($0.value)" }.joined(separator: ", ") }
                throw ConfigError.invalid(path: "grid", detail: "grid points \(describe(other)) and \(describe(values)) are the same run (id \(config.id8))")
            }
            byID[config.id] = values
            return Point(values: values, overrides: pointOverrides, config: config)
        }
    }

    /// Tokens (CPU threads) a run holds: its collector threads plus the learner's threads
    /// (its BLAS threads on each of its update threads).
    public static func tokens(of config: ExperimentConfig) -> Int {
        config[CollectorsKeys.count] + config[TrainKeys.blasThreads] * config[TrainKeys.learnerThreads]
    }
}

extension RawNode {
    /// The node as flow-style YAML text (used to write an inline config to a file).
    var flowText: String {
        switch kind {
        case .scalar(let text, let quoted):
            // Plain scalars stay plain (so 1e-3 stays a number) unless flow syntax would misread them.
            let special = text.contains { ",[]{}#:\"'".contains($0) } || text.first == " " || text.last == " "
            return quoted || text.isEmpty || special ? ConfigValue.quoted(text) : text
        case .sequence(let items): return "[" + items.map(\.flowText).joined(separator: ", ") + "]"
        case .mapping(let entries): return "{" + entries.map { "\($0.key): \($0.value.flowText)" }.joined(separator: ", ") + "}"
        }
    }
}

/// What became of one run of a sweep.
public struct SweepRun {
    public enum State: Equatable {
        case queued, running
        /// Complete before the sweep started (run-once): not trained again.
        case reused
        case finished
        case interrupted
        case failed(String)
    }
    public var point: SweepSpec.Point
    public var directory: URL
    public var state: State
    public var result: RunResult?
    public var log: URL?
}

extension SweepRunner {
    /// `runs.txt`: each point's run directory, relative to the runs directory, one per line (what
    /// `SweepRecord` reads back for plots and the report).
    func writeRunList() throws {
        let base = directory.deletingLastPathComponent().deletingLastPathComponent().standardizedFileURL.path
        let lines = runs.map { run -> String in
            let path = run.directory.standardizedFileURL.path
            return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
        }
        try (lines.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("runs.txt"), atomically: true, encoding: .utf8)
    }

    /// Writes the results table (`results.csv`, `results.md`) and the report (`report.html`:
    /// the table, plots, the best grid point and per-seed details, from the run directories).
    @discardableResult
    public func writeResults(_ runs: [SweepRun], last: Bool = false) throws -> ResultsTable {
        let table = ResultsTable(runs: runs, last: last)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try table.write(to: directory)
        try writeRunList()
        let report = HTMLReport.sweep(try SweepRecord(directory: directory))
        try report.write(to: directory.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        return table
    }
}

/// Runs a sweep's points as `rl-train train` child processes, at most `tokens` CPU threads at
/// once; reuses complete runs; on SIGINT/SIGTERM stops launching, passes one SIGINT to each
/// running child (they write a final checkpoint) and waits for them, so a rerun continues.
public final class SweepRunner {
    public let spec: SweepSpec
    public let executable: URL
    public let directory: URL
    public internal(set) var runs: [SweepRun]

    /// `directory` holds the sweep's logs and result tables (default:
    /// `<runs_dir>/sweeps/<name>`).
    public init(spec: SweepSpec, executable: URL, points: [SweepSpec.Point], base: URL? = nil) {
        self.spec = spec
        self.executable = executable
        let first = points[0].config
        directory = RunDirectory.url(for: first, base: base).deletingLastPathComponent()
            .appendingPathComponent("sweeps").appendingPathComponent(spec.name)
        runs = points.map { point in
            let dir = RunDirectory.url(for: point.config, base: base)
            if case .complete(let result) = RunDirectory.status(of: dir) {
                return SweepRun(point: point, directory: dir, state: .reused, result: result)
            }
            return SweepRun(point: point, directory: dir, state: .queued)
        }
    }

    /// Runs every queued point; `progress` is called with the runs whenever one changes state.
    /// With `ray`, the points run as tasks on that Ray cluster instead of local child processes.
    /// `stop` ends the sweep early (rl-train requests it on SIGINT, SIGTERM and SIGHUP): the
    /// first request asks every running point for a final checkpoint, a later one at least a
    /// second after it ends them. The runs have process groups of their own, so a terminal's
    /// Ctrl-C reaches only this process: a program that embeds a sweep must request `stop`
    /// itself, or its runs outlive it.
    public func run(ray: RayLauncher? = nil, stop: StopRequest = StopRequest(), progress: ([SweepRun]) -> Void = { _ in }) throws -> [SweepRun] {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("logs"), withIntermediateDirectories: true)
        try writeRunList()
        // Children must be reapable with waitpid: an inherited "ignore SIGCHLD" would make the
        // kernel reap them and lose their exit status.
        signal(SIGCHLD, SIG_DFL)
        if let ray { return try run(on: ray, stop: stop, progress: progress) }
        let baseFile: String
        if spec.baseFile.isEmpty {
            let file = directory.appendingPathComponent("base.yaml")
            try spec.baseText.write(to: file, atomically: true, encoding: .utf8)
            baseFile = file.path
        } else {
            baseFile = spec.baseFile
        }
        var forwardedAt: ContinuousClock.Instant?, countAtForward = 0, escalated = false
        var running: [(index: Int, child: ChildProcess, tokens: Int)] = []
        // Whatever ends this function (an error included), no child is left running unsupervised.
        defer {
            for entry in running { entry.child.signal(SIGINT) }
            for entry in running { entry.child.wait() }
        }
        var used = 0
        progress(runs)
        while true {
            // Reap finished children.
            for entry in running {
                guard let status = entry.child.poll()?.shellStatus else { continue }
                used -= entry.tokens
                running.removeAll { $0.index == entry.index }
                var run = runs[entry.index]
                if status == 0, let result = RunDirectory.readResult(in: run.directory) {
                    run.state = .finished
                    run.result = result
                } else if status == 130 || stop.isRequested {
                    run.state = .interrupted
                } else {
                    let tail = (try? String(contentsOf: run.log!, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: " | ") ?? ""
                    run.state = .failed("exit status \(status): \(tail)")
                }
                runs[entry.index] = run
                progress(runs)
            }
            if stop.isRequested {
                // The first request asks every run for a final checkpoint. A request at least a
                // second later ends them at once (the runs then take the default action);
                // requests that arrive together (SIGHUP and its echo when a terminal closes) count
                // as one, or the second would kill the runs mid-checkpoint.
                if forwardedAt == nil {
                    for entry in running { entry.child.signal(SIGINT) }
                    forwardedAt = ContinuousClock.now
                    countAtForward = stop.count
                } else if stop.count > countAtForward, !escalated, let forwardedAt, ContinuousClock.now - forwardedAt >= .seconds(1) {
                    for entry in running { entry.child.signal(SIGINT) }
                    escalated = true
                }
                if running.isEmpty { break }
            } else {
                // Launch what fits.
                while let next = runs.firstIndex(where: { $0.state == .queued }) {
                    let need = min(SweepSpec.tokens(of: runs[next].point.config), spec.tokens)
                    guard used + need <= spec.tokens else { break }
                    let log = directory.appendingPathComponent("logs").appendingPathComponent(runs[next].directory.lastPathComponent + ".log")
                    let arguments = ["train", baseFile] + runs[next].point.overrides.flatMap { ["--set", $0] }
                    let child = try Self.start(executable.path, arguments, log: log.path)
                    runs[next].state = .running
                    runs[next].log = log
                    running.append((next, child, need))
                    used += need
                    progress(runs)
                }
                if running.isEmpty { break }
            }
            usleep(50_000)
        }
        for i in runs.indices where runs[i].state == .queued && stop.isRequested { runs[i].state = .interrupted }
        return runs
    }
}

extension SweepRunner {
    /// A run or driver process in its own process group (so a terminal's Ctrl-C reaches only
    /// the sweep, which forwards exactly one SIGINT), its output appended to `log`.
    static func start(_ executable: String, _ arguments: [String], log: String) throws -> ChildProcess {
        do {
            return try ChildProcess(executable: executable, arguments: arguments, logFile: log)
        } catch let error as ChildProcessError {
            throw ConfigError.unreadable(file: executable, detail: error.detail)
        }
    }
}
