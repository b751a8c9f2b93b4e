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
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train DQN on a discrete-action environment (default: CartPole-v1, 50k steps).")

        @Option(help: "Environment id.") var env = "CartPole-v1"
        @Option(help: "Environment steps to train for.") var steps = 50_000
        @Option(help: "Collector threads.") var collectors = 1
        @Option(help: "Environments per collector.") var numEnvs = 4
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(help: "Hidden layer sizes, comma-separated.") var hidden = "64,64"
        @Option(help: "Adam learning rate.") var lr: Float = 1e-3
        @Option(help: "Learner updates between hard target-network copies.") var targetEvery = 128

        func validate() throws {
            guard steps > 0 else { throw ValidationError("--steps must be positive") }
            guard collectors > 0, numEnvs > 0 else { throw ValidationError("--collectors and --num-envs must be positive") }
            guard hiddenSizes != nil else { throw ValidationError("--hidden must be positive integers separated by commas, e.g. 64,64") }
        }

        var hiddenSizes: [Int]? {
            let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
            return sizes.map { $0! }
        }

        func run() throws {
            var settings = DQNSettings()
            settings.hidden = hiddenSizes!
            settings.learningRate = lr
            settings.targetUpdateEvery = targetEvery
            settings.environmentID = env
            settings.environmentSteps = steps
            settings.collectors = collectors
            settings.environmentsPerCollector = numEnvs
            settings.seed = seed
            let display = ProgressDisplay()
            let result = try DQNExperiment.run(settings) { display.show($0) }
            display.finish()
            if let solved = result.solvedAtEnvironmentSteps { print("solved (greedy evaluation reached the threshold) at \(solved) env steps") }
            print(String(format: "done: %d env steps, %d updates, %d episodes in %.1f s; greedy evaluation over %d episodes: mean return %.1f",
                         result.environmentSteps, result.updates, result.episodes, result.seconds,
                         settings.evaluationEpisodes, result.evaluationMeanReturn))
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
