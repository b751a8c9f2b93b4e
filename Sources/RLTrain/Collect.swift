import ArgumentParser
import Experiments
import Foundation
#if Remote
import Remote
#endif

extension RLTrain {
    /// Makes the gRPC service remote collectors join (`collectors.serve`), in a build with the `Remote` trait.
    static var collectorService: ((Int) throws -> RemoteCollectorService)? {
        #if Remote
        return { port in CollectionServer(listening: .tcp(host: "0.0.0.0", port: port)) }
        #else
        return nil
        #endif
    }

    /// Refuses a config that serves remote collectors in a build that cannot, before a run directory is made.
    static func checkServing(_ config: ExperimentConfig) throws {
        if config[CollectorsKeys.serve] != nil, collectorService == nil { throw RemoteCollectorServiceError.notBuilt }
    }

    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Collect transitions for a learner on another machine (rl-train train --serve PORT).",
            discussion: """
            Asks the learner at HOST:PORT for its run, builds the run's environments and agents here, and streams \
            transitions to it while acting with the newest weights it sends, until the learner finishes the run. \
            A learner that restarts from its checkpoint is rejoined. Needs the Remote build (scripts/build-remote.sh).
            """)

        @Option(help: "The learner's address, HOST:PORT.") var learner: String
        @Argument(help: "The run's config; the learner must run exactly it (omit to take the learner's).") var config: String?
        @Option(name: .customLong("set"), help: "Override a key of the config file before comparing (repeatable).") var overrides: [String] = []
        @Option(help: "Collector threads here (default: the config's collectors.count, at least 1).") var collectors: Int?
        @Option(help: "Environments per collector (default: the config's collectors.num_envs).") var numEnvs: Int?
        @Option(help: "Seed of this process's environments and exploration (default: random).") var seed: UInt64?
        @Option(help: "Seconds to keep trying to reach an absent learner before giving up.") var patience: Double = 600
        @Option(help: "Batches in flight without an acknowledgement (a collector that dies loses at most these).") var window: Int = 1

        func validate() throws {
            if let collectors, collectors < 1 { throw ValidationError("--collectors must be at least 1") }
            if let numEnvs, numEnvs < 1 { throw ValidationError("--num-envs must be at least 1") }
            if window < 1 { throw ValidationError("--window must be at least 1") }
            if !(patience > 0 && patience <= 1e7) { throw ValidationError("--patience must be a number of seconds above 0 (at most 10,000,000)") }
        }

        func run() throws {
            #if Remote
            var options = RemoteCollector.Options(learner: learner)
            if let config { options.config = try ExperimentConfig.load(file: config, overrides: overrides) }
            options.collectors = collectors
            options.numEnvs = numEnvs
            options.seed = seed
            options.patience = .milliseconds(Int(patience * 1000))
            options.window = window
            let signals = ProcessSignals(second: .terminates)
            defer { signals.restore() }
            options.stop = signals.stop
            let outcome: RemoteCollector.Outcome
            do {
                outcome = try RemoteCollector(options).run()
            } catch RemoteError.stopped {
                print("stopped before joining the learner")
                throw ExitCode(130)
            }
            print("\(outcome.finished ? "run finished" : "stopped"): the learner counts \(outcome.environmentSteps) env steps; this process ended \(outcome.episodes) episodes")
            if !outcome.finished { throw ExitCode(130) }
            #else
            throw RemoteCollectorServiceError.notBuilt
            #endif
        }
    }
}
