import Collectors
import Envs
import Experiments
import Foundation
import Learner
import Memory
import NN
import SeededRandom
import Testing

/// A small algorithm defined outside the package: Q-learning with a linear Q function (no
/// hidden layer), its own key, changed defaults and a metric of its own. Nothing of the
/// package is edited to add it: one value and one registration.
let linearQ = Algorithm(
    name: "linear-q", summary: "Q-learning with a linear Q function (a test's own algorithm)", actions: .discrete,
    defaultEnvironment: "CartPole-v1",
    keys: [ConfigKey("algorithm.epsilon", .float(min: 0, max: 1, minExclusive: false), "constant ε of the ε-greedy collectors", .float(0.2))],
    defaults: ["algorithm.batch_size": .int(32), "memory.min_size": .int(100), "train.env_steps": .int(1_500), "train.eval_every": .int(200)],
    metrics: ["loss", "weight_norm"]
) { config, environment in
    guard case .discrete(let actions) = environment.actionSpace else { preconditionFailure("validated") }
    var rng = Xoshiro256(seed: UInt64(config.int("train.seed")))
    let online = MLP(sizes: [environment.observationSize, actions.n], activation: .relu, rng: &rng)
    let target = MLP(copying: online)
    let publisher = WeightPublisher(initial: online)
    let epsilon = Float(config.double("algorithm.epsilon"))
    let learning: [Callback] = [
        DQNLoss(online: online, target: target, optimizer: Adam(for: online, learningRate: Float(config.double("algorithm.lr"))),
                batchSize: config.int("algorithm.batch_size"), gamma: Float(config.double("algorithm.gamma")), doubleDQN: false),
        TargetNetworkUpdate(online: online, target: target, every: 50),
        WeightPublishing(network: online, publisher: publisher, every: 1),
        WeightNorm(network: online),
    ]
    return AlgorithmParts(
        spec: AlgorithmParts.transitionSpec(config, environment), learning: learning,
        makeAgent: { maxBatch, _ in
            EpsilonGreedyQAgent(network: MLP(copying: online), publisher: publisher, maxBatch: maxBatch,
                                schedule: EpsilonSchedule(initial: epsilon, final: epsilon, decaySteps: 0))
        },
        evaluationAgent: { _ in
            EpsilonGreedyQAgent(network: online, publisher: nil, maxBatch: 1, schedule: EpsilonSchedule(initial: 0, final: 0, decaySteps: 0))
        })
}

/// Records the parameters' norm: a metric only this algorithm has.
final class WeightNorm: Callback {
    let name = "weight_norm"
    let network: MLP
    init(network: MLP) { self.network = network }
    func endBatch(_ batch: ReplayBatch, state: inout TrainingState) throws {
        var sum = 0.0
        for i in 0..<network.parameters.count { sum += Double(network.parameters[i] * network.parameters[i]) }
        state.record("weight_norm", sum.squareRoot())
    }
}

@Suite struct AlgorithmRegistryTests {
    func registry() throws -> AlgorithmRegistry {
        var registry = AlgorithmRegistry.builtIn
        try registry.register(linearQ)
        return registry
    }

    @Test func anAlgorithmFromOutsideTrainsFromAConfigAndLogsItsMetrics() throws {
        let algorithms = try registry()
        let config = try ExperimentConfig.parse("""
            env: {id: CartPole-v1}
            algorithm: {name: linear-q, epsilon: 0.3}
            train: {deterministic: true}
            callbacks: [{metrics: {every: 100}}]
            """, algorithms: algorithms)
        #expect(config.algorithm == "linear-q")
        #expect(config.double("algorithm.epsilon") == 0.3)
        #expect(config.int("algorithm.batch_size") == 32, "the algorithm's default of a common key")
        #expect(config.canonicalForm.contains("algorithm.epsilon=0.3"))
        #expect(!config.canonicalForm.contains("batch_size"), "its own defaults stay out of the identity")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("linear-q-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Experiment.run(config, options: RunOptions(directory: directory))
        #expect(result.algorithm == "linear-q")
        #expect(result.updates == 1_401, "1,500 steps, learning from step 100, one update per step")
        #expect(result.metrics?["weight_norm"] != nil && result.metrics?["loss"] != nil)
        let rows = try String(contentsOf: directory.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "updates,env_steps,episodes,seconds,steps_per_s,updates_per_s,recent_return,loss,weight_norm,eval_return,eval_confirmation")
        #expect(rows.count == 15)
        let last = rows.last!.split(separator: ",", omittingEmptySubsequences: false)
        #expect(Double(last[8]).map { $0 > 0 } == true, "the weight_norm column holds values")
    }

    @Test func namesAreCheckedAgainstTheRegistry() throws {
        var algorithms = try registry()
        #expect(throws: ConfigError.self) { try algorithms.register(linearQ) }
        let unknown = #expect(throws: ConfigError.self) {
            try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: linear-qq}\n", algorithms: algorithms)
        }
        #expect("\(unknown!)".contains("did you mean 'linear-q'"))
        let foreign = #expect(throws: ConfigError.self) {
            try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: dqn, epsilon: 0.1}\n", algorithms: algorithms)
        }
        #expect("\(foreign!)".contains("applies only to linear-q, not dqn"))
        // Without the registration the name is unknown: the built-in registry is not changed.
        #expect(throws: ConfigError.self) { try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: linear-q}\n") }
        let defaults = try ExperimentConfig.defaults("linear-q", algorithms: algorithms)
        #expect(defaults.string("env.id") == "CartPole-v1")
        let prioritized = #expect(throws: ConfigError.self) {
            try ExperimentConfig.defaults(.sac, overrides: ["memory.prioritized=true"])
        }
        #expect("\(prioritized!)".contains("sac's loss does not update priorities"))
        let continuous = #expect(throws: ConfigError.self) { try ExperimentConfig.defaults("linear-q", environment: "Pendulum-v1", algorithms: algorithms) }
        #expect("\(continuous!)".contains("needs a discrete action space"))
        let discrete = #expect(throws: ConfigError.self) { try ExperimentConfig.defaults(.sac, environment: "CartPole-v1", algorithms: algorithms) }
        #expect("\(discrete!)".contains("use algorithm.name: a2c or dqn or linear-q or ppo"), "the suggestion comes from the registry in use")
    }
}
