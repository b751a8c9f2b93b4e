import Collectors
import Core
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
    /// What an on-policy algorithm's rollouts are; nil for replay.
    public let rollout: Rollout?
    /// An on-policy collector's agent (it reports log π and V with each action), when the
    /// algorithm collects rollouts; `makeAgent` gives the same agent as an `Agent`.
    public let makeOnPolicyAgent: ((_ maxBatch: Int, _ seed: UInt64) -> OnPolicyAgent)?
    /// The publisher the collectors' agents take their weights from (nil when they act with the
    /// learner's own networks, as on-policy collectors do). Remote collectors receive what it
    /// publishes, and their process publishes it into its own copy.
    public let weights: WeightPublisher?

    /// The shape of an on-policy algorithm's rollouts.
    public struct Rollout {
        /// Vector steps per collector per rollout (SB3's `n_steps`).
        public var steps: Int
        /// GAE's λ.
        public var lambda: Double
        public init(steps: Int, lambda: Double) {
            self.steps = steps
            self.lambda = lambda
        }
    }

    /// A replay algorithm's parts (or any whose collectors need only act): `weights` is what
    /// the collectors' agents take their weights from.
    public init(spec: TransitionSpec, learning: [Callback], makeAgent: @escaping (_ maxBatch: Int, _ seed: UInt64) -> Agent,
                evaluationAgent: @escaping (_ deterministic: Bool) -> Agent, weights: WeightPublisher? = nil) {
        self.spec = spec
        self.learning = learning
        self.makeAgent = makeAgent
        self.evaluationAgent = evaluationAgent
        self.weights = weights
        rollout = nil
        makeOnPolicyAgent = nil
    }

    /// An on-policy algorithm's parts: rollouts of `rollout`'s shape, collected by the agents
    /// `makeOnPolicyAgent` makes (they act with the learner's own networks, so nothing is published).
    public init(spec: TransitionSpec, learning: [Callback], rollout: Rollout,
                makeOnPolicyAgent: @escaping (_ maxBatch: Int, _ seed: UInt64) -> OnPolicyAgent,
                evaluationAgent: @escaping (_ deterministic: Bool) -> Agent) {
        self.spec = spec
        self.learning = learning
        self.makeAgent = makeOnPolicyAgent
        self.makeOnPolicyAgent = makeOnPolicyAgent
        self.evaluationAgent = evaluationAgent
        self.rollout = rollout
        weights = nil
    }

    /// The weight initialiser a config names (`network.init`).
    public static func initializer(_ config: ExperimentConfig) -> Initializer {
        config[NetworkKeys.initialization] == "orthogonal" ? .orthogonal : .pytorchDefault
    }

    /// The transition spec of a config: the action's kind and size, and its data flow's extra
    /// columns (the n-step discount of replay, a rollout's extras).
    public static func transitionSpec(_ config: ExperimentConfig, _ environment: BuilderContext) -> TransitionSpec {
        let extras = config.definition.dataFlow.extras(config)
        switch environment.actionSpace {
        case .discrete(let d): return TransitionSpec(observationSize: environment.observationSize, action: .discrete(n: d.n), extras: extras)
        case .box(let box): return TransitionSpec(observationSize: environment.observationSize, action: .continuous(size: box.size), extras: extras)
        }
    }
}
