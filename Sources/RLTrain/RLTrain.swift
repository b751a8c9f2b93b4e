import ArgumentParser
import Envs
import Experiments
import Foundation
import SeededRandom

/// `rl-train`: the command line. Parses arguments and calls the library; nothing else.
@main
struct RLTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl-train",
        abstract: "Train reinforcement-learning agents on built-in or custom environments.",
        subcommands: [Train.self, Demo.self, Envs.self, EnvReplay.self],
        defaultSubcommand: Train.self
    )
}

extension RLTrain {
    enum Algorithm: String, ExpressibleByArgument, CaseIterable {
        case dqn, sac
    }

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an agent: DQN (default: CartPole-v1) or SAC (default: Pendulum-v1); stops when solved or out of steps.")

        @Option(help: "Algorithm: dqn (discrete actions) or sac (continuous actions).") var algo: Algorithm = .dqn
        @Option(help: "Environment id (default: CartPole-v1 for dqn, Pendulum-v1 for sac).") var env: String?
        @Option(help: "Environment steps to train for (default: 50000 for dqn, 10000 for sac).") var steps: Int?
        @Option(help: "Collector threads.") var collectors = 1
        @Option(help: "Environments per collector (default: 4 for dqn, 1 for sac).") var numEnvs: Int?
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(help: "Hidden layer sizes, comma-separated (default: 64,64 for dqn, 256,256 for sac).") var hidden: String?
        @Option(help: "Adam learning rate (default: 1e-3).") var lr: Float = 1e-3
        @Option(help: "DQN: learner updates between hard target-network copies.") var targetEvery = 128
        @Option(help: "SAC: OpenBLAS threads for the learner.") var blasThreads = 1

        func validate() throws {
            if let steps, steps <= 0 { throw ValidationError("--steps must be positive") }
            if let numEnvs, numEnvs <= 0 { throw ValidationError("--num-envs must be positive") }
            guard collectors > 0 else { throw ValidationError("--collectors must be positive") }
            guard blasThreads > 0 else { throw ValidationError("--blas-threads must be positive") }
            if hidden != nil, hiddenSizes == nil {
                throw ValidationError("--hidden must be positive integers separated by commas, e.g. 64,64")
            }
        }

        var hiddenSizes: [Int]? {
            guard let hidden else { return nil }
            let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
            return sizes.map { $0! }
        }

        /// Applies the options shared by every algorithm (nil options keep its defaults).
        func apply<S: RunSettings>(to settings: inout S) {
            if let env { settings.environmentID = env }
            if let steps { settings.environmentSteps = steps }
            if let numEnvs { settings.environmentsPerCollector = numEnvs }
            if let sizes = hiddenSizes { settings.hidden = sizes }
            settings.collectors = collectors
            settings.seed = seed
            settings.learningRate = lr
        }

        func run() throws {
            let display = ProgressDisplay()
            let result: RunResult
            let episodes: Int
            switch algo {
            case .dqn:
                var settings = DQNSettings()
                apply(to: &settings)
                settings.targetUpdateEvery = targetEvery
                episodes = settings.evaluationEpisodes
                result = try DQNExperiment.run(settings) { display.show($0) }
            case .sac:
                var settings = SACSettings()
                apply(to: &settings)
                settings.blasThreads = blasThreads
                episodes = settings.evaluationEpisodes
                result = try SACExperiment.run(settings) { display.show($0) }
            }
            display.finish()
            if let solved = result.solvedAtEnvironmentSteps { print("solved (evaluation reached the threshold) at \(solved) env steps") }
            print(String(format: "done: %d env steps, %d updates, %d episodes in %.1f s; evaluation over %d episodes: mean return %.1f",
                         result.environmentSteps, result.updates, result.episodes, result.seconds, episodes, result.evaluationMeanReturn))
        }
    }

    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every registered environment with random actions and summarise the episodes.")

        @Option(help: "Environment steps per environment.") var steps = 200_000
        @Option(help: "Environments stepped together per id.") var numEnvs = 8
        @Option(help: "Seed for the environments and the random actions.") var seed: UInt64 = 0

        func validate() throws {
            guard steps > 0 else { throw ValidationError("--steps must be positive") }
            guard numEnvs > 0 else { throw ValidationError("--num-envs must be positive") }
        }

        func run() throws {
            let registry = EnvironmentRegistry.builtIn
            print("Random-policy rollouts (\(numEnvs) envs each, \(steps) steps):")
            var rng = Xoshiro256(seed: seed)
            for id in registry.ids {
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
            for info in try EnvironmentRegistry.builtIn.catalog() {
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
            try ReferenceReplay().run(request) { print($0.jsonLine) }
        }
    }
}
