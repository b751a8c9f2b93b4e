import Collectors
import Learner
import Memory
import NN

/// What an algorithm contributes to a run (built by its `Algorithm`): the transition spec, its
/// learning callbacks (whose state a checkpoint saves), the collectors' agents and an
/// evaluation agent.
public struct AlgorithmParts {
    public let spec: TransitionSpec
    public let learning: [Callback]
    /// A collector's agent (its own network copy, fed by the weight publisher), for `maxBatch`
    /// environments, seeded for its own random streams.
    public let makeAgent: (_ maxBatch: Int, _ seed: UInt64) -> Agent
    /// An agent acting with the learner's current weights (for evaluation).
    public let evaluationAgent: (_ deterministic: Bool) -> Agent

    public init(spec: TransitionSpec, learning: [Callback], makeAgent: @escaping (_ maxBatch: Int, _ seed: UInt64) -> Agent,
                evaluationAgent: @escaping (_ deterministic: Bool) -> Agent) {
        self.spec = spec
        self.learning = learning
        self.makeAgent = makeAgent
        self.evaluationAgent = evaluationAgent
    }

    /// The weight initialiser a config names (`network.init`).
    public static func initializer(_ config: ExperimentConfig) -> Initializer {
        config.string("network.init") == "orthogonal" ? .orthogonal : .pytorchDefault
    }

    /// The transition spec of a config: the action's kind and size, and the n-step discount column.
    public static func transitionSpec(_ config: ExperimentConfig, _ environment: AlgorithmEnvironment) -> TransitionSpec {
        let extras = config.int("algorithm.n_step") > 1 ? [ExtraColumn(name: "discount")] : []
        switch environment.actionSpace {
        case .discrete(let d): return TransitionSpec(observationSize: environment.observationSize, action: .discrete(n: d.n), extras: extras)
        case .box(let box): return TransitionSpec(observationSize: environment.observationSize, action: .continuous(size: box.size), extras: extras)
        }
    }
}
