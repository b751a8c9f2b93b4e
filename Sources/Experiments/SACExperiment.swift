import Collectors
import Envs
import Foundation
import Learner
import Memory
import NN
import SeededRandom

/// Settings of a SAC run; defaults follow rl-zoo's Pendulum-v1 entry (SB3 defaults with
/// learning rate 1e-3: batch 256, τ 0.005, γ 0.99, one update per env step, 256×256).
public struct SACSettings: Sendable {
    public var environmentID = "Pendulum-v1"
    public var seed: UInt64 = 1
    public var environmentSteps = 10_000
    public var collectors = 1
    public var environmentsPerCollector = 1
    public var hidden = [256, 256]
    public var learningRate: Float = 1e-3
    public var batchSize = 256
    public var capacity = 1_000_000
    public var learningStarts = 100
    public var gamma: Float = 0.99
    public var tau: Float = 0.005
    public var updatesPerStep = 1.0
    public var publishEvery = 1
    public var evaluationEpisodes = 10
    /// Evaluate every this many updates and stop at `solvedThreshold` (default: the env's
    /// reward threshold, or −200 for Pendulum, which has none).
    public var evaluateEvery: Int? = 1_000
    public var solvedThreshold: Double?
    /// OpenBLAS threads for the learner's matrix products.
    public var blasThreads = 1

    public init() {}
}

/// Builds and runs a SAC experiment, as `DQNExperiment` does for DQN.
public enum SACExperiment {
    public static func run(_ settings: SACSettings, registry: EnvironmentRegistry = .builtIn,
                           progress: ((TrainingProgress) -> Void)? = nil) throws -> RunResult {
        let start = ContinuousClock.now
        let probe = try registry.make(settings.environmentID)
        guard case .box(let actionBox) = probe.actionSpace else {
            throw EnvironmentError.invalidAction(environment: settings.environmentID, detail: "SAC needs a continuous action space, not \(probe.actionSpace)")
        }
        BLAS.setThreads(settings.blasThreads)
        defer { BLAS.setThreads(1) }
        let model = SACModel(observationSize: probe.observationSpace.size, actionSize: actionBox.size, hidden: settings.hidden,
                             batchSize: settings.batchSize, learningRate: settings.learningRate, gamma: settings.gamma, seed: settings.seed)
        let spec = TransitionSpec(observationSize: model.observationSize, action: .continuous(size: model.actionSize))
        let minSize = max(settings.learningStarts, settings.batchSize)
        let table = try RunHarness.makeTable(spec: spec, capacity: settings.capacity, batchSize: settings.batchSize,
                                             updatesPerStep: settings.updatesPerStep, minSize: minSize,
                                             producers: settings.environmentsPerCollector * settings.collectors)
        let publisher = WeightPublisher(initial: model.actor)
        let statistics = CollectorStatistics()
        let collectors = try RunHarness.makeCollectors(
            count: settings.collectors, environmentsPerCollector: settings.environmentsPerCollector, registry: registry,
            id: settings.environmentID, seed: settings.seed, table: table, statistics: statistics) {
            GaussianPolicyAgent(actor: MLP(copying: model.actor), publisher: publisher, maxBatch: settings.environmentsPerCollector)
        }
        let registered = try registry.spec(settings.environmentID).rewardThreshold
        let threshold = settings.solvedThreshold ?? registered ?? (settings.environmentID == "Pendulum-v1" ? -200 : nil)
        let callbacks: [Callback] = [
            SACTarget(model: model), SACCriticLoss(model: model, first: true), SACCriticLoss(model: model, first: false),
            SACPolicyLoss(model: model), SACAlphaLoss(model: model),
            TargetNetworkUpdate(online: model.critic1, target: model.target1, tau: settings.tau),
            TargetNetworkUpdate(online: model.critic2, target: model.target2, tau: settings.tau),
            WeightPublishing(network: model.actor, publisher: publisher, every: settings.publishEvery),
            ProgressReporter(statistics: statistics, budget: settings.environmentSteps, report: progress),
        ]
        return try RunHarness.execute(
            table: table, collectors: collectors, statistics: statistics, callbacks: callbacks, batchSize: settings.batchSize,
            minSize: minSize, seed: settings.seed, environmentSteps: settings.environmentSteps,
            evaluateEvery: settings.evaluateEvery, threshold: threshold,
            evaluate: { seed in
                try evaluateDeterministic(model.actor, registry: registry, id: settings.environmentID,
                                          episodes: settings.evaluationEpisodes, seed: seed)
            }, started: start)
    }

    /// Mean return of `episodes` episodes with the deterministic action tanh(μ), rescaled to the box.
    public static func evaluateDeterministic(_ actor: MLP, registry: EnvironmentRegistry, id: String, episodes: Int, seed: UInt64) throws -> Double {
        var env = try registry.make(id)
        guard case .box(let box) = env.actionSpace else { return 0 }
        let agent = GaussianPolicyAgent(actor: actor, publisher: nil, maxBatch: 1, deterministic: true)
        var observation = [Float](repeating: 0, count: env.observationSpace.size)
        var action = [Float](repeating: 0, count: box.size), scaled = action
        var unused = [Int](repeating: 0, count: 1)
        var rng = Xoshiro256(seed: seed)
        var total = 0.0
        for episode in 0..<episodes {
            try observation.withUnsafeMutableBufferPointer { try env.reset(seed: seed &+ UInt64(episode), observation: $0) }
            while true {
                observation.withUnsafeBufferPointer { obs in action.withUnsafeMutableBufferPointer { a in unused.withUnsafeMutableBufferPointer {
                    agent.act(observations: obs, count: 1, environmentSteps: 0, indices: $0, values: a, rng: &rng)
                } } }
                for j in 0..<box.size { scaled[j] = box.low[j] + (action[j] + 1) * 0.5 * (box.high[j] - box.low[j]) }
                let result = try scaled.withUnsafeBufferPointer { a in
                    try observation.withUnsafeMutableBufferPointer { try env.step(.continuous(a), observation: $0) }
                }
                total += result.reward
                if result.isDone { break }
            }
        }
        return total / Double(episodes)
    }
}
