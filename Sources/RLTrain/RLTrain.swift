import ArgumentParser
import Core
import Envs
import MuJoCoEnvs
import Experiments
import Sweeps
import Foundation
import Learner
import Reporting
import SeededRandom
import Shared
import StateDictIO

/// `rl-train`: the command line. Parses arguments and calls the library; nothing else.
@main
struct RLTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl-train",
        abstract: "Train reinforcement-learning agents on built-in or custom environments.",
        subcommands: [Train.self, Resume.self, Eval.self, Sweep.self, Collect.self, Plot.self, Report.self, Config.self, Demo.self, Envs.self, EnvReplay.self],
        defaultSubcommand: Train.self
    )
}

extension RLTrain {
    /// A registered algorithm's name, checked against `AlgorithmRegistry.builtIn`.
    struct AlgorithmArgument: ExpressibleByArgument {
        let name: AlgorithmName
        init?(argument: String) {
            // Names are registered in lower case; `--algo PPO` means ppo.
            let name = AlgorithmRegistry.builtIn.names.first { $0.lowercased() == argument.lowercased() }
            guard let name else { return nil }
            self.name = AlgorithmName(name)
        }
        init(_ name: AlgorithmName) { self.name = name }
        static var allValueStrings: [String] { AlgorithmRegistry.builtIn.names }
        var defaultValueDescription: String { name.rawValue }
    }

    /// Prints a run's outcome; an interrupted run exits with status 130 after saying how to resume.
    static func report(_ outcome: RunLauncher.Outcome) throws {
        switch outcome {
        case let .alreadyComplete(result, directory):
            print("already complete (same config, same id): \(directory.path)")
            print(summary(result))
            print("use --force-new to train it again in a new directory")
        case let .finished(result, directory):
            if result.stoppedBy.isInterruption {
                print("interrupted at \(result.environmentSteps) env steps, \(result.updates) updates; final checkpoint written")
                print("resume with: rl-train resume \(directory.path)")
                throw ExitCode(130)
            }
            print(summary(result))
            print("run directory: \(directory.path)")
        }
    }

    static func summary(_ r: RunResult) -> String {
        var text = ""
        if let solved = r.solvedAtEnvironmentSteps {
            text += "solved at \(solved) env steps (an evaluation and its confirmation on other episodes both reached \(r.threshold.map { "\($0)" } ?? "the threshold"))\n"
        }
        text += String(format: "done: %d env steps, %d updates, %d episodes in %.1f s", r.environmentSteps, r.updates, r.episodes, r.seconds)
        if let final = r.final {
            text += String(format: "\nfinal policy over %d fresh episodes: mean return %.1f ± %.1f", final.episodes, final.mean, final.std)
        }
        if let best = r.best, best.fresh.updates != r.final?.updates {
            text += String(format: "\nbest policy (update %d, scored %.1f over %d episodes; checkpoints/best.safetensors.gz), on the same episodes: %.1f ± %.1f",
                           best.fresh.updates, best.selectionScore, best.selectionEpisodes, best.fresh.mean, best.fresh.std)
            text += "\nrl-train eval, reports and sweep tables use the \(r.defaultPolicy == .best ? "best" : "final") policy (it scored higher on these episodes)"
        }
        if let loop = r.learnerLoopSeconds, let sample = r.learnerSampleSeconds, loop > 0 {
            text += String(format: "\nlearner: %.2f s updating, %.1f%% of it obtaining batches (sampling + waiting for collectors)",
                           loop, 100 * sample / loop)
            if let waits = r.learnerWaits, let collectorWaits = r.collectorWaits {
                text += "; \(waits) batches waited for the collectors, \(collectorWaits) inserts waited for the learner"
            }
        }
        return text
    }

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an agent from a config file (YAML or JSON) or from built-in defaults.",
            discussion: """
            Without a config, trains DQN on CartPole-v1 (or --algo sac on Pendulum-v1, --algo td3, ...) with built-in defaults until \
            solved or out of budget. A run lives in runs/<name>-<id8>/, named by the hash of its canonical config: \
            the same config again resumes an interrupted run or reports a complete one (--force-new trains anew).
            """)

        @Argument(help: "Config file (YAML or JSON); omit for built-in defaults.") var config: String?
        @Option(name: .customLong("set"), help: "Override a config key, e.g. --set algorithm.lr=3e-4 (repeatable).") var overrides: [String] = []
        @Option(help: "Without a config: a registered algorithm (rl-train config algorithms), on its default environment.")
        var algo = AlgorithmArgument(.dqn)
        @Option(help: "Shortcut for --set env.id=ID.") var env: String?
        @Option(help: "Shortcut for --set train.env_steps=N.") var steps: Int?
        @Option(help: "Shortcut for --set train.seed=N.") var seed: Int?
        @Option(help: "Shortcut for --set collectors.count=N.") var collectors: Int?
        @Option(help: "Shortcut for --set collectors.num_envs=N.") var numEnvs: Int?
        @Option(help: "Shortcut for --set network.hidden=[..], e.g. 64,64.") var hidden: String?
        @Option(help: "Shortcut for --set algorithm.lr=X.") var lr: Double?
        @Option(help: "Shortcut for --set train.blas_threads=N.") var blasThreads: Int?
        @Option(help: "Accept remote collectors (rl-train collect --learner HOST:PORT) on this TCP port: --set collectors.serve=PORT; needs the Remote build (scripts/build-remote.sh).")
        var serve: Int?
        @Flag(help: "Validate, print the resolved config, its id and run directory; train nothing, create nothing.") var dryRun = false
        @Flag(help: "Train again in a new directory even if this config already has a run.") var forceNew = false
        @Flag(help: "When resuming, fall back to the newest intact checkpoint if the newest is damaged.") var fallback = false

        var allOverrides: [String] {
            var all: [String] = []
            if let env { all.append("env.id=\"\(env)\"") }
            if let steps { all.append("train.env_steps=\(steps)") }
            if let seed { all.append("train.seed=\(seed)") }
            if let collectors { all.append("collectors.count=\(collectors)") }
            if let numEnvs { all.append("collectors.num_envs=\(numEnvs)") }
            if let hidden { all.append("network.hidden=[\(hidden)]") }
            if let lr { all.append("algorithm.lr=\(lr)") }
            if let blasThreads { all.append("train.blas_threads=\(blasThreads)") }
            if let serve { all.append("collectors.serve=\(serve)") }
            return all + overrides
        }

        func run() throws {
            let resolved: ExperimentConfig
            if let config {
                resolved = try ExperimentConfig.load(file: config, overrides: allOverrides)
            } else {
                resolved = try ExperimentConfig.defaults(algo.name, overrides: allOverrides)
            }
            if dryRun {
                print(resolved.yaml(documented: true))
                print("# id:        \(resolved.id)")
                print("# canonical: \(resolved.canonicalForm.split(separator: "\n").joined(separator: "; "))")
                let directory = RunDirectory.url(for: resolved)
                let status: String
                switch RunDirectory.status(of: directory) {
                case .new: status = "new"
                case .startedWithoutCheckpoint: status = "started, no checkpoint (would restart)"
                case .resumable: status = "interrupted (would resume)"
                case .complete: status = "complete (would report, not train)"
                }
                print("# run dir:   \(directory.path) [\(status)]")
                return
            }
            try RLTrain.checkServing(resolved)
            let display = ProgressDisplay()
            let signals = ProcessSignals(second: .terminates)
            defer { signals.restore() }
            var options = RunOptions()
            options.progress = { display.show($0) }
            options.collectorService = RLTrain.collectorService
            options.stop = signals.stop
            let outcome = try RunLauncher.train(resolved, forceNew: forceNew, fallback: fallback, options: options) { print($0) }
            display.finish()
            try RLTrain.report(outcome)
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume an interrupted run from its newest checkpoint (counters, schedules, RNG streams, replay memory).")

        @Argument(help: "The run directory (runs/<name>-<id8>).") var runDirectory: String
        @Flag(help: "Fall back to the newest intact checkpoint if the newest is damaged.") var fallback = false
        @Option(name: .customLong("set"), help: "Extend the budget: train.env_steps=N or train.updates=N (a finished run continues from its final checkpoint).")
        var overrides: [String] = []

        func run() throws {
            let display = ProgressDisplay()
            let signals = ProcessSignals(second: .terminates)
            defer { signals.restore() }
            var options = RunOptions()
            options.progress = { display.show($0) }
            options.collectorService = RLTrain.collectorService
            options.stop = signals.stop
            let outcome = try RunLauncher.resume(URL(fileURLWithPath: runDirectory), overrides: overrides, fallback: fallback, options: options) { print($0) }
            display.finish()
            try RLTrain.report(outcome)
        }
    }

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate a trained policy from a run directory (its default policy: of the final and the best kept one, the one that scored higher at the end of the run) or a checkpoint file.")

        @Argument(help: "A run directory or a checkpoint_*.safetensors.gz file.") var source: String
        @Option(help: "Episodes (default: the config's eval.episodes).") var episodes: Int?
        @Option(help: "Seed of the first episode (default: derived from train.seed, apart from every training and evaluation seed).") var seed: UInt64?
        @Flag(help: "Print one JSON object instead of text.") var json = false
        @Flag(help: "Use the newest intact checkpoint if the newest is damaged.") var fallback = false
        @Flag(help: "Evaluate a run directory's newest checkpoint (its final policy when the run finished).") var last = false
        @Flag(help: "Evaluate a run directory's best kept policy (checkpoints/best.safetensors.gz).") var best = false

        func validate() throws {
            if let episodes, episodes <= 0 { throw ValidationError("--episodes must be positive") }
            if last && best { throw ValidationError("--last and --best choose different policies; give one") }
        }

        /// The policy a run directory's result names as its default; the best kept one when the
        /// run has no result yet (interrupted), as before it finished.
        static func defaultPolicy(of run: URL) -> PolicyChoice {
            guard let data = try? Data(contentsOf: run.appendingPathComponent(RunFiles.result)),
                  let result = try? JSONDecoder().decode(RunResult.self, from: data), result.final != nil else { return .best }
            return result.defaultPolicy
        }

        func run() throws {
            let url = URL(fileURLWithPath: source)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw ValidationError("\(source): no such run directory or checkpoint file")
            }
            let file: URL, checkpoint: StateDict
            if isDirectory.boolValue {
                let checkpoints = url.lastPathComponent == RunFiles.checkpoints ? url : url.appendingPathComponent(RunFiles.checkpoints)
                let run = url.lastPathComponent == RunFiles.checkpoints ? url.deletingLastPathComponent() : url
                let wantBest = best || (!last && Self.defaultPolicy(of: run) == .best)
                if wantBest, let kept = try CheckpointLoader.loadBest(in: checkpoints) {
                    (file, checkpoint) = kept
                } else {
                    (file, checkpoint) = try CheckpointLoader.loadNewest(in: checkpoints, fallback: fallback)
                }
            } else {
                (file, checkpoint) = (url, try CheckpointLoader.load(url))
            }
            guard let text = checkpoint.metadata["config"] else {
                throw ValidationError("\(file.path): the checkpoint carries no config; it was not written by rl-train")
            }
            let config = try ExperimentConfig.parse(text, source: "\(file.lastPathComponent) (embedded config)")
            let returns = try Experiment.evaluate(checkpoint: checkpoint, config: config, episodes: episodes, seed: seed)
            let mean = Statistics.mean(returns), std = Statistics.std(returns)
            if json {
                let object: [String: Any] = ["checkpoint": file.path, "run_id": config.id, "env": config[EvalKeys.environmentID] ?? config[EnvKeys.id],
                                             "episodes": returns.count, "mean": mean, "std": std,
                                             "min": returns.min()!, "max": returns.max()!, "returns": returns,
                                             "deterministic": config[EvalKeys.deterministic]]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(file.path)")
                print(String(format: "%d episodes: mean return %.2f ± %.2f (min %.1f, max %.1f)", returns.count, mean, std, returns.min()!, returns.max()!))
            }
        }
    }

    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a grid of configs (base config + grid + tokens) with a concurrency limit and summarise the results.",
            discussion: """
            Complete runs are reused and interrupted ones resumed (run-once); Ctrl-C stops every run with a final \
            checkpoint and a rerun continues. Results go to <runs_dir>/sweeps/<name>/results.{csv,md}.
            """)

        @Argument(help: "The sweep file (YAML).") var file: String
        @Option(help: "Override the sweep's tokens (CPU threads used at once).") var tokens: Int?
        @Flag(help: "Print the planned runs and their state; train nothing, create nothing.") var dryRun = false
        @Flag(help: "Tabulate each run's final policy instead of its default one (the higher-scoring of final and best).") var last = false
        @Option(help: "Run the grid points as tasks on the Ray cluster at this address (HOST:PORT) instead of local processes.")
        var ray: String?
        @Option(help: "The Python that has ray installed (default: the sweep file's launcher.ray.python, $RL_RAY_PYTHON, python3).")
        var rayPython: String?

        func validate() throws {
            if let tokens, tokens < 1 { throw ValidationError("--tokens must be at least 1") }
        }

        func run() throws {
            var spec = try SweepSpec.load(file: file)
            if let tokens { spec.tokens = tokens }
            let points = try spec.expand()
            let runner = SweepRunner(spec: spec, executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(), points: points)
            if dryRun {
                print("sweep \(spec.name): \(points.count) runs, \(spec.tokens) tokens")
                for run in runner.runs {
                    let state = run.state == .reused ? "complete (reused)" : {
                        switch RunDirectory.status(of: run.directory) {
                        case .resumable: return "interrupted (resumes)"
                        case .startedWithoutCheckpoint: return "started (restarts)"
                        default: return "new"
                        }
                    }()
                    print("  \(run.directory.lastPathComponent)  [\(SweepSpec.tokens(of: run.point.config)) tokens]  \(state)")
                }
                return
            }
            var launcher: RayLauncher?
            if let address = ray ?? spec.rayAddress {
                let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                guard let driver = RayLauncher.locateDriver(executable: executable) else {
                    throw ValidationError("the Ray driver python/swiftrl_ray.py was not found near \(executable.path); set RL_RAY_DRIVER to its path")
                }
                launcher = RayLauncher(address: address, python: rayPython ?? spec.rayPython ?? ProcessInfo.processInfo.environment["RL_RAY_PYTHON"] ?? "python3",
                                       driver: driver)
            }
            let started = ContinuousClock.now
            let signals = ProcessSignals(second: .requestsAgain, hangUp: true)
            defer { signals.restore() }
            let runs = try runner.run(ray: launcher, stop: signals.stop) { runs in
                func count(_ f: (SweepRun.State) -> Bool) -> Int { runs.filter { f($0.state) }.count }
                let failed = count { if case .failed = $0 { return true } else { return false } }
                let elapsed = ContinuousClock.now - started
                print("sweep \(spec.name): \(count { $0 == .finished }) finished, \(count { $0 == .reused }) reused, "
                      + "\(count { $0 == .running }) running, \(count { $0 == .queued }) queued, \(failed) failed  "
                      + "(\(elapsed.components.seconds) s)")
            }
            for run in runs {
                if case .failed(let why) = run.state { print("FAILED \(run.directory.lastPathComponent): \(why) (log: \(run.log?.path ?? "-"))") }
            }
            let table = try runner.writeResults(runs, last: last)
            print(table.markdown)
            print("results: \(runner.directory.appendingPathComponent("results.csv").path), results.md, report.html")
            if runs.contains(where: { $0.state == .interrupted }) {
                print("interrupted: rerun `rl-train sweep \(file)` to continue")
                throw ExitCode(130)
            }
            if runs.contains(where: { if case .failed = $0.state { return true } else { return false } }) { throw ExitCode.failure }
        }
    }

    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plot runs or a sweep as SVG files.",
            discussion: """
            RUN_DIR...: training return per episode with its rolling mean, evaluation mean (±1 standard error across \
            the runs), and every other scalar the runs logged (losses, α, ε, rates). SWEEP_DIR (<runs_dir>/sweeps/<name>): \
            one curve per grid point with its seeds pooled, and the score against each swept value.
            """)

        @Argument(help: "Run directories, or one sweep directory.") var directories: [String]
        @Option(help: "x axis of the curves: steps (environment steps) or time (wall-clock seconds).") var x: String = "steps"
        @Option(help: "Folder for the SVG files (default: the run or sweep directory; for several runs, the current folder).") var output: String?

        func validate() throws {
            guard TrainingPlots.Axis(rawValue: x) != nil else { throw ValidationError("--x must be steps or time") }
        }

        func run() throws {
            let axis = TrainingPlots.Axis(rawValue: x)!
            let urls = directories.map { URL(fileURLWithPath: $0) }
            var charts: [(String, SVGChart)] = []
            let folder: URL
            if urls.count == 1, FileManager.default.fileExists(atPath: urls[0].appendingPathComponent("runs.txt").path) {
                let sweep = try SweepRecord(directory: urls[0])
                folder = output.map { URL(fileURLWithPath: $0) } ?? urls[0]
                charts.append(("return", TrainingPlots.sweepReturn(sweep.groups)))
                charts.append(("evaluation", TrainingPlots.evaluation(sweep.groups, axis: axis)))
                for key in sweep.sweptKeys { charts.append(("score-\(key)", TrainingPlots.scoreAgainst(key, sweep.runs))) }
            } else {
                let runs = try urls.map { try RunRecord(directory: $0) }
                folder = output.map { URL(fileURLWithPath: $0) } ?? (urls.count == 1 ? urls[0] : URL(fileURLWithPath: "."))
                charts.append(("return", TrainingPlots.trainingReturn(runs, axis: axis)))
                charts.append(("evaluation", TrainingPlots.evaluation(RunGroups.bySeed(runs), axis: axis)))
                for chart in TrainingPlots.scalars(runs, axis: axis) { charts.append((chart.yLabel, chart)) }
            }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, chart) in charts {
                let file = folder.appendingPathComponent("plot-\(name).svg")
                try chart.svg.write(to: file, atomically: true, encoding: .utf8)
                print(file.path)
            }
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a self-contained HTML report of a run or a sweep (report.html in its directory).",
            discussion: "A sweep's report is also written when the sweep ends. Both open from disk, with no server.")

        @Argument(help: "A run directory or a sweep directory (<runs_dir>/sweeps/<name>).") var directory: String
        @Option(help: "x axis of the curves: steps or time.") var x: String = "steps"

        func validate() throws {
            guard TrainingPlots.Axis(rawValue: x) != nil else { throw ValidationError("--x must be steps or time") }
        }

        func run() throws {
            let url = URL(fileURLWithPath: directory), axis = TrainingPlots.Axis(rawValue: x)!
            let page = FileManager.default.fileExists(atPath: url.appendingPathComponent("runs.txt").path)
                ? HTMLReport.sweep(try SweepRecord(directory: url), axis: axis) : HTMLReport.run(try RunRecord(directory: url), axis: axis)
            let file = url.appendingPathComponent("report.html")
            try page.write(to: file, atomically: true, encoding: .utf8)
            print(file.path)
        }
    }

    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Config helpers.", subcommands: [Defaults.self, Algorithms.self, Callbacks.self], defaultSubcommand: Defaults.self)
    }

    struct Defaults: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the full default config of an algorithm, with a comment per key.")

        @Argument(help: "A registered algorithm (rl-train config algorithms).") var algorithm = AlgorithmArgument(.dqn)
        @Option(help: "Environment id (default: the algorithm's default environment).") var env: String?

        func run() throws {
            let config = try ExperimentConfig.defaults(algorithm.name, environment: env)
            print(config.yaml(documented: true, header: "rl-train config defaults \(algorithm.name): every key with its default"))
            print("# registered callbacks:")
            for line in Callbacks.lines(adjusted: config.definition.defaults) { print("#   " + line) }
        }
    }

    struct Callbacks: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registered callbacks a config's callbacks section can name, with their parameters and defaults.")

        @Argument(help: "Show the defaults an algorithm gives them (on-policy algorithms count updates in rollouts).") var algorithm: AlgorithmArgument?

        static func lines(adjusted: [String: ConfigValue]) -> [String] {
            CallbackRegistry.builtIn.names.map { name in
                let kind = CallbackRegistry.builtIn.kind(name)!
                let parameters = kind.parameters.map { "\($0.path.split(separator: ".").last!): \(adjusted[$0.path] ?? $0.defaultValue!)" }
                return "\(name) {\(parameters.joined(separator: ", "))}: \(kind.doc)"
            }
        }

        func run() throws {
            let adjusted = algorithm.flatMap { AlgorithmRegistry.builtIn.algorithm($0.name)?.defaults } ?? [:]
            for line in Self.lines(adjusted: adjusted) { print(line) }
            print("A config's callbacks list is merged by name into the defaults; {name: false} leaves one out.")
        }
    }

    struct Algorithms: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered algorithms, their action spaces, own keys and metrics.")

        func run() throws {
            let registry = AlgorithmRegistry.builtIn
            for name in registry.names {
                let algorithm = registry.algorithm(AlgorithmName(name))!
                print("\(name): \(algorithm.summary)")
                print("  actions: \(algorithm.actions.rawValue); default environment: \(algorithm.defaultEnvironment)")
                print("  keys: \(algorithm.keys.map(\.path).joined(separator: ", "))")
                print("  metrics: \(algorithm.metrics.joined(separator: ", "))")
            }
        }
    }

    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every registered environment with random actions and summarise the episodes.",
            discussion: """
            After `--`, a command runs a bridged environment instead (the same as env.command in a \
            config), e.g. `rl-train demo --steps 2000 --max-episode-steps 100 -- python3 my_env.py`: \
            a quick check that it starts, speaks the protocol and steps.
            """)

        @Option(help: "Environment steps per environment.") var steps = 200_000
        @Option(help: "Environments stepped together per id.") var numEnvs = 8
        @Option(help: "Seed for the environments and the random actions.") var seed: UInt64 = 0
        @Option(help: "Time limit for a bridged environment (default: the one it announces).") var maxEpisodeSteps: Int?
        @Argument(parsing: .postTerminator, help: "A bridged environment's command, after --.") var command: [String] = []

        func validate() throws {
            guard steps > 0 else { throw ValidationError("--steps must be positive") }
            guard numEnvs > 0 else { throw ValidationError("--num-envs must be positive") }
            if let maxEpisodeSteps, maxEpisodeSteps <= 0 { throw ValidationError("--max-episode-steps must be positive") }
        }

        func run() throws {
            var registry = EnvironmentRegistry.standard
            var ids = registry.ids
            if !command.isEmpty {
                registry = EnvironmentRegistry()
                try registry.register(try EnvironmentSpec.bridge(id: "bridged", command: command, maxEpisodeSteps: maxEpisodeSteps))
                ids = ["bridged"]
                let spec = try registry.spec("bridged")
                let probe = try registry.make("bridged")
                print("\(command.joined(separator: " ")): observation \(probe.observationSpace), action \(probe.actionSpace), "
                      + "time limit \(spec.maxEpisodeSteps.map(String.init) ?? "none")")
            }
            print("Random-policy rollouts (\(numEnvs) envs each, \(steps) steps):")
            var rng = Xoshiro256(seed: seed)
            for id in ids {
                let vector = try VectorEnvironment(registry: registry, id: id, count: numEnvs, seed: seed)
                let summary = try RandomRollout.run(vector, steps: steps, seed: seed, rng: &rng)
                let mean = summary.meanReturn.map { String(format: "%9.2f", $0) } ?? "      n/a"
                let length = summary.meanLength.map { String(format: "%7.1f", $0) } ?? "    n/a"
                print("  \(id.padding(toLength: 26, withPad: " ", startingAt: 0)) episodes \(String(format: "%6d", summary.episodes))"
                      + "  mean return \(mean)  mean length \(length)  \(String(format: "%.2e", summary.stepsPerSecond)) steps/s")
            }
        }
    }

    struct Envs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registered environments with their spaces and limits.")

        func run() throws {
            for info in try EnvironmentRegistry.standard.catalog() {
                print(info.id + (info.summary.isEmpty ? "" : " — \(info.summary)"))
                print("  observation: \(info.observationSpace)")
                print("  action:      \(info.actionSpace)")
                print("  time limit:  \(info.maxEpisodeSteps.map(String.init) ?? "none")"
                      + "   solved at: \(info.rewardThreshold.map { "\($0)" } ?? "n/a")")
            }
        }
    }

    struct EnvReplay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "env-replay",
            abstract: "Replay a reference trajectory request (one JSON object on stdin; one JSON line per step on stdout).")

        func run() throws {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            let request = try ReferenceReplay.parseRequest(input)
            try ReferenceReplay(registry: .standard).run(request, onReset: { print($0) }, onStep: { print($0.jsonLine) })
        }
    }
}
