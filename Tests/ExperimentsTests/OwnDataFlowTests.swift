import Collectors
import Core
import Experiments
import Foundation
import Learner
import Memory
import NN
import SeededRandom
import Shared
import Testing

/// A memory of a kind the package does not have: the most recent `size` transitions, each
/// update learning from all of them (online learning over a sliding window, no replay).
final class SlidingWindow: TransitionWriter {
    let spec: TransitionSpec
    let size: Int
    private var observations: [[Float]] = [], nextObservations: [[Float]] = []
    private var actions: [Int32] = [], rewards: [Float] = [], terminated: [Bool] = [], truncated: [Bool] = []
    /// Transitions inserted so far.
    private(set) var inserted = 0

    init(spec: TransitionSpec, size: Int) {
        self.spec = spec
        self.size = size
    }

    func insert(_ t: TransitionView) throws {
        let slot = inserted % size
        if observations.count < size {
            observations.append(Array(t.observation)); nextObservations.append(Array(t.nextObservation))
            actions.append(t.actionIndex); rewards.append(t.reward); terminated.append(t.terminated); truncated.append(t.truncated)
        } else {
            observations[slot] = Array(t.observation); nextObservations[slot] = Array(t.nextObservation)
            actions[slot] = t.actionIndex; rewards[slot] = t.reward; terminated[slot] = t.terminated; truncated[slot] = t.truncated
        }
        inserted += 1
    }
    func flush() throws {}
    func abandon() {}

    /// The window, oldest first, into `batch`.
    func copy(into batch: ReplayBatch) {
        let first = inserted - observations.count
        for i in 0..<observations.count {
            let slot = (first + i) % size
            observations[slot].withUnsafeBufferPointer { o in
                nextObservations[slot].withUnsafeBufferPointer { n in
                    batch.write(row: i, TransitionView(observation: o, actionIndex: actions[slot], reward: rewards[slot],
                                                       terminated: terminated[slot], truncated: truncated[slot], nextObservation: n),
                                key: UInt64(first + i))
                }
            }
        }
        batch.setCount(observations.count)
    }
}

/// The trainer's side of the window: before each update the one collector takes `stride` more
/// steps (inline: the flow is deterministic whatever the mode), then the whole window is the batch.
final class SlidingWindowSource: BatchSource {
    let window: SlidingWindow
    let collector: ReplayCollector
    let statistics: RunControl
    let stride: Int
    private(set) var batchesFilled = 0

    init(window: SlidingWindow, collector: ReplayCollector, statistics: RunControl, stride: Int) {
        self.window = window
        self.collector = collector
        self.statistics = statistics
        self.stride = stride
    }

    func makeBatch() -> ReplayBatch { ReplayBatch(spec: window.spec, capacity: window.size) }

    func awaitFirstBatch(updates: Int) throws { try feed(updates) }

    func fill(_ batch: ReplayBatch, updates: Int, rng: inout Xoshiro256) throws {
        try feed(updates)
        window.copy(into: batch)
        batchesFilled += 1
    }

    private func feed(_ updates: Int) throws {
        while statistics.environmentSteps < window.size + stride * updates, !statistics.stopRequested { try collector.run(steps: 1) }
    }
}

/// The data flow of the window: what `Experiment.run` builds, restores, trains from and stops,
/// knowing nothing of its kind.
struct SlidingWindowFlow: DataFlow {
    var name: String { "sliding window" }
    let source = Locked<SlidingWindowSource?>(nil)

    func extras(_ config: ExperimentConfig) -> [ExtraColumn] { [] }

    func assemble(_ run: RunAssembly, build: (BuilderContext) throws -> AlgorithmParts) throws -> AssembledFlow {
        let parts = try build(run.environment)
        try run.check(parts)
        let window = SlidingWindow(spec: run.spec, size: run.config.int("algorithm.window"))
        let collector = ReplayCollector(environments: try run.environments(forCollector: 0), agent: run.agent(parts, forCollector: 0),
                                  writer: window, statistics: run.statistics, seed: run.collectorSeed(0))
        let source = SlidingWindowSource(window: window, collector: collector, statistics: run.statistics,
                                         stride: run.config.int("algorithm.stride"))
        self.source.withLock { $0 = source }
        // The collector runs inline, so there are no threads to start or stop.
        return AssembledFlow(parts: parts, source: source, collectors: [], collectorsRestAtCheckpoints: true, close: {})
    }
}

/// Q-learning over a sliding window: linear-q's networks and loss, fed by the window.
func slidingWindowQ(_ flow: SlidingWindowFlow) -> Algorithm {
    Algorithm(
        name: "window-q", summary: "Q-learning over a sliding window of recent transitions (a test's own data flow)", actions: .discrete,
        defaultEnvironment: "CartPole-v1",
        keys: [ConfigKey("algorithm.window", .int(min: 1, max: nil), "transitions in the window (the batch)", .int(64)),
               ConfigKey("algorithm.stride", .int(min: 1, max: nil), "environment steps between updates", .int(4))],
        defaults: ["train.env_steps": .int(2_000), "train.eval_every": .null, "collectors.num_envs": .int(1)],
        metrics: ["loss"], dataFlow: flow
    ) { config, environment in
        guard case .discrete(let actions) = environment.actionSpace else { preconditionFailure("validated") }
        var rng = Xoshiro256(seed: UInt64(config.int("train.seed")))
        let online = MLP(sizes: [environment.observationSize, 32, actions.n], activation: .relu, rng: &rng)
        let target = MLP(copying: online)
        let greedy = EpsilonSchedule(initial: 0, final: 0, decaySteps: 0)
        return AlgorithmParts(
            spec: AlgorithmParts.transitionSpec(config, environment),
            learning: [DQNLoss(online: online, target: target, optimizer: Adam(for: online, learningRate: Float(config.double("algorithm.lr"))),
                               batchSize: config.int("algorithm.window"), gamma: Float(config.double("algorithm.gamma")), doubleDQN: false),
                       TargetNetworkUpdate(online: online, target: target, every: 25)],
            makeAgent: { maxBatch, _ in
                EpsilonGreedyQAgent(network: online, publisher: nil, maxBatch: maxBatch, schedule: EpsilonSchedule(initial: 0.3, final: 0.3, decaySteps: 0))
            },
            evaluationAgent: { _ in EpsilonGreedyQAgent(network: online, publisher: nil, maxBatch: 1, schedule: greedy) })
    }
}

@Suite struct OwnDataFlowTests {
    /// Registered from this test target, with a memory of its own kind: the run builds, trains
    /// and evaluates it like any other, and its source fed every update.
    @Test func anAlgorithmWithItsOwnMemoryTrainsThroughTheRun() throws {
        let flow = SlidingWindowFlow()
        var registry = AlgorithmRegistry.builtIn
        try registry.register(slidingWindowQ(flow))
        let config = try ExperimentConfig.parse("""
            env: {id: CartPole-v1}
            algorithm: {name: window-q, window: 64, stride: 4}
            train: {deterministic: true, seed: 5}
            eval: {episodes: 2}
            """, algorithms: registry)
        let result = try Experiment.run(config)
        let source = try #require(flow.source.withLock { $0 })
        // Before update u the window holds 64 + 4u steps' transitions; the budget of 2,000 steps
        // is reached at the fill of update 484, so the run makes 485 updates.
        #expect(result.updates == 485 && result.environmentSteps == 2_000 && result.stoppedBy == .budget)
        #expect(source.batchesFilled == 485 && source.window.inserted == 2_000)
        #expect(result.metrics?["loss"].map { $0.isFinite && $0 > 0 } == true, "\(result.metrics ?? [:])")
        #expect(result.final?.episodes == 2)
    }
}
