import Collectors
import Envs
import Foundation
import Learner
import Memory
import NN
import SeededRandom

/// Settings of a DQN run. The defaults follow rl-zoo's CartPole-v1 hyperparameters (batch 64,
/// γ 0.99, 0.5 updates per env step, 1,000 learning starts, ε to 0.04), with a 64×64 network and
/// learning rate 1e-3 (5 seeds × 50k steps here: 3 of 5 greedy evaluations ≥ 475, about 2 s
/// each, where 256×256 at 2.3e-3 took 7× longer without doing better) and a hard target copy
/// every 128 updates (SB3 updates its target between bursts of 128 gradient steps).
public struct DQNSettings: Sendable {
    public var environmentID = "CartPole-v1"
    public var seed: UInt64 = 1
    public var environmentSteps = 50_000
    public var collectors = 1
    public var environmentsPerCollector = 4
    public var hidden = [64, 64]
    public var learningRate: Float = 1e-3
    public var batchSize = 64
    public var capacity = 100_000
    public var learningStarts = 1_000
    public var gamma: Float = 0.99
    /// Learner updates per environment step (rl-zoo: 128 updates per 256 steps).
    public var updatesPerStep = 0.5
    public var targetUpdateEvery = 128
    public var publishEvery = 10
    public var explorationSteps = 8_000
    public var finalEpsilon: Float = 0.04
    public var doubleDQN = true
    public var evaluationEpisodes = 10
    /// Greedy evaluation every this many learner updates; training stops once the mean return
    /// reaches the environment's reward threshold (nil: evaluate only at the end).
    public var evaluateEvery: Int? = 1_000

    public init() {}
}

/// What a finished run reports.
public struct RunResult: Sendable {
    /// Environment steps when a periodic evaluation first reached the reward threshold.
    public var solvedAtEnvironmentSteps: Int?
    public var environmentSteps: Int
    public var updates: Int
    public var episodes: Int
    public var recentMeanReturn: Double?
    public var evaluationMeanReturn: Double
    public var seconds: Double
}

/// Builds and runs a DQN experiment: environments, replay table with a samples-per-insert
/// limit, collector threads with ε-greedy agents, the Trainer with the DQN loss, target
/// updates and weight publishing; then a greedy evaluation.
public enum DQNExperiment {
    public static func run(_ settings: DQNSettings, registry: EnvironmentRegistry = .builtIn,
                           progress: ((TrainingProgress) -> Void)? = nil) throws -> RunResult {
        let start = ContinuousClock.now
        let probe = try registry.make(settings.environmentID)
        guard case .discrete(let actions) = probe.actionSpace else {
            throw EnvironmentError.invalidAction(environment: settings.environmentID, detail: "DQN needs a discrete action space, not \(probe.actionSpace)")
        }
        let observationSize = probe.observationSpace.size
        BLAS.setThreads(1)
        var rng = Xoshiro256(seed: settings.seed)
        let online = MLP(sizes: [observationSize] + settings.hidden + [actions.n], activation: .relu, rng: &rng)
        let target = MLP(copying: online)
        let spec = TransitionSpec(observationSize: observationSize, action: .discrete(n: actions.n))
        let table = try RunHarness.makeTable(spec: spec, capacity: settings.capacity, batchSize: settings.batchSize,
                                             updatesPerStep: settings.updatesPerStep, minSize: settings.learningStarts,
                                             producers: settings.environmentsPerCollector * settings.collectors)
        let publisher = WeightPublisher(initial: online)
        let statistics = CollectorStatistics()
        let collectors = try RunHarness.makeCollectors(
            count: settings.collectors, environmentsPerCollector: settings.environmentsPerCollector, registry: registry,
            id: settings.environmentID, seed: settings.seed, table: table, statistics: statistics) {
            EpsilonGreedyQAgent(network: MLP(copying: online), publisher: publisher, maxBatch: settings.environmentsPerCollector,
                                finalEpsilon: settings.finalEpsilon, decaySteps: settings.explorationSteps)
        }
        let loss = DQNLoss(online: online, target: target, optimizer: Adam(for: online, learningRate: settings.learningRate),
                           batchSize: settings.batchSize, gamma: settings.gamma, doubleDQN: settings.doubleDQN)
        let callbacks: [Callback] = [
            loss,
            TargetNetworkUpdate(online: online, target: target, every: settings.targetUpdateEvery),
            WeightPublishing(network: online, publisher: publisher, every: settings.publishEvery),
            ProgressReporter(statistics: statistics, budget: settings.environmentSteps, report: progress),
        ]
        return try RunHarness.execute(
            table: table, collectors: collectors, statistics: statistics, callbacks: callbacks, batchSize: settings.batchSize,
            minSize: settings.learningStarts, seed: settings.seed, environmentSteps: settings.environmentSteps,
            evaluateEvery: settings.evaluateEvery, threshold: try registry.spec(settings.environmentID).rewardThreshold,
            evaluate: { seed in
                try evaluateGreedy(online, registry: registry, id: settings.environmentID, episodes: settings.evaluationEpisodes, seed: seed)
            }, started: start)
    }

    /// Mean return of `episodes` greedy episodes (argmax Q), each on its own seed.
    public static func evaluateGreedy(_ network: MLP, registry: EnvironmentRegistry, id: String, episodes: Int, seed: UInt64) throws -> Double {
        var env = try registry.make(id)
        let workspace = network.makeWorkspace(maxBatch: 1)
        var observation = [Float](repeating: 0, count: env.observationSpace.size)
        var total = 0.0
        for episode in 0..<episodes {
            try observation.withUnsafeMutableBufferPointer { try env.reset(seed: seed &+ UInt64(episode), observation: $0) }
            while true {
                let action = observation.withUnsafeBufferPointer { obs -> Int in
                    let q = network.forward(obs.baseAddress!, batch: 1, workspace: workspace)
                    return q.indices.max { q[$0] < q[$1] }!
                }
                let result = try observation.withUnsafeMutableBufferPointer { try env.step(.discrete(action), observation: $0) }
                total += result.reward
                if result.isDone { break }
            }
        }
        return total / Double(episodes)
    }
}
