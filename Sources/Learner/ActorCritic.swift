import NN
import SeededRandom
import Shared
import StateDictIO

/// The networks of an on-policy actor-critic (PPO, A2C): a policy (categorical logits, or the
/// means of a diagonal Gaussian with state-independent log-stds) and a value function V(s),
/// as separate networks or one shared trunk whose last layer holds both heads.
///
///     let model = ActorCritic(observationSize: 4, policy: .categorical(n: 2), hidden: [64, 64], activation: .tanh,
///                             shared: false, initializer: .orthogonal, learningRate: 3e-4, seed: 1)
///
/// With orthogonal initialisation the policy's output rows are scaled to gain 0.01 and the
/// value's kept at gain 1 (Stable-Baselines3's and CleanRL's PPO), so the first policy is
/// near-uniform. One Adam (ε 1e-5, as SB3's PPO) per parameter block, with one learning rate.
public final class ActorCritic {
    public enum Policy: Equatable, Sendable {
        case categorical(n: Int)
        case gaussian(size: Int)

        /// Floats of the policy head per row (logits, or means).
        public var width: Int {
            switch self {
            case .categorical(let n): return n
            case .gaussian(let size): return size
            }
        }
    }

    public let observationSize: Int
    public let policy: Policy
    /// The policy network; with `shared`, the whole trunk with both heads (policy.width + 1 outputs).
    public let actor: MLP
    /// The value network; nil when shared.
    public let critic: MLP?
    /// log σ of the Gaussian policy (empty for categorical), its gradient and optimizer.
    public let logStd: UnsafeMutableBufferPointer<Float>
    public let logStdGradient: UnsafeMutableBufferPointer<Float>
    public let actorOptimizer: Adam
    public let criticOptimizer: Adam?
    public let logStdOptimizer: Adam?
    /// The layout of `logStd` as a state-dict entry (its Adam state is named after it).
    static let logStdName = "log_std"

    public var isShared: Bool { critic == nil }
    /// Where row b's value sits in the value network's output (column `valueColumn`, rows `valueStride` apart).
    public var valueStride: Int { isShared ? policy.width + 1 : 1 }
    public var valueColumn: Int { isShared ? policy.width : 0 }
    public var policyStride: Int { isShared ? policy.width + 1 : policy.width }

    public init(observationSize: Int, policy: Policy, hidden: [Int], activation: Activation, shared: Bool, initializer: Initializer,
                learningRate: Float, initialLogStd: Float = 0, seed: UInt64) {
        self.observationSize = observationSize
        self.policy = policy
        var rng = Xoshiro256(seed: seed)
        let width = policy.width
        actor = MLP(sizes: [observationSize] + hidden + [shared ? width + 1 : width], activation: activation, initializer: initializer,
                    rng: &rng)
        critic = shared ? nil : MLP(sizes: [observationSize] + hidden + [1], activation: activation, initializer: initializer, rng: &rng)
        if initializer == .orthogonal {
            // Policy rows of the last layer to gain 0.01 (their biases are zero already).
            let last = actor.layout.entries[2 * (actor.layerCount - 1)]
            let columns = last.shape[1]
            for row in 0..<width {
                for j in 0..<columns { actor.parameters[last.offset + row * columns + j] *= 0.01 }
            }
        }
        let actionSize: Int
        if case .gaussian(let size) = policy { actionSize = size } else { actionSize = 0 }
        logStd = .allocate(capacity: actionSize, repeating: initialLogStd)
        logStdGradient = .allocate(capacity: actionSize, repeating: 0)
        actorOptimizer = Adam(for: actor, learningRate: learningRate, epsilon: 1e-5)
        criticOptimizer = critic.map { Adam(for: $0, learningRate: learningRate, epsilon: 1e-5) }
        logStdOptimizer = actionSize > 0 ? Adam(parameterCount: actionSize, learningRate: learningRate, epsilon: 1e-5) : nil
    }

    deinit {
        logStd.deallocate()
        logStdGradient.deallocate()
    }

    /// Buffers for one forward (and backward) of up to `maxBatch` rows.
    public final class Workspace {
        let actor: MLP.Workspace
        let critic: MLP.Workspace?
        init(_ model: ActorCritic, maxBatch: Int) {
            actor = model.actor.makeWorkspace(maxBatch: maxBatch)
            critic = model.critic?.makeWorkspace(maxBatch: maxBatch)
        }
    }

    public func makeWorkspace(maxBatch: Int) -> Workspace { Workspace(self, maxBatch: maxBatch) }

    /// Runs the networks on `rows` observations; the outputs stay in `workspace` until its next
    /// forward: the policy head of row b at `policy + b·policyStride`, its value at
    /// `value[b·valueStride]`.
    public func forward(_ observations: UnsafePointer<Float>, rows: Int, workspace: Workspace)
        -> (policy: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        let out = actor.forward(observations, batch: rows, workspace: workspace.actor)
        if let critic, let criticWorkspace = workspace.critic {
            let value = critic.forward(observations, batch: rows, workspace: criticWorkspace)
            return (UnsafePointer(out.baseAddress!), UnsafePointer(value.baseAddress!))
        }
        return (UnsafePointer(out.baseAddress!), UnsafePointer(out.baseAddress! + policy.width))
    }

    /// V(s) of `rows` observations into `values`.
    public func values(_ observations: UnsafePointer<Float>, rows: Int, workspace: Workspace, into values: UnsafeMutablePointer<Float>) {
        if let critic, let criticWorkspace = workspace.critic {
            let value = critic.forward(observations, batch: rows, workspace: criticWorkspace)
            values.update(from: value.baseAddress!, count: rows)
        } else {
            let out = actor.forward(observations, batch: rows, workspace: workspace.actor)
            for b in 0..<rows { values[b] = out[b * valueStride + valueColumn] }
        }
    }

    public func zeroGradients() {
        actor.zeroGradients()
        critic?.zeroGradients()
        logStdGradient.update(repeating: 0)
    }

    /// Every gradient buffer (for a joint norm clip).
    public var gradientBuffers: [UnsafeMutableBufferPointer<Float>] {
        [actor.gradients] + (critic.map { [$0.gradients] } ?? []) + [logStdGradient]
    }

    /// One Adam step of every block, at `learningRate`.
    public func step(learningRate: Float) {
        actorOptimizer.learningRate = learningRate
        actorOptimizer.update(actor)
        if let critic, let criticOptimizer {
            criticOptimizer.learningRate = learningRate
            criticOptimizer.update(critic)
        }
        if let logStdOptimizer {
            logStdOptimizer.learningRate = learningRate
            logStdOptimizer.update(parameters: logStd, gradients: UnsafeBufferPointer(logStdGradient))
        }
    }

    var logStdLayout: ParameterLayout { ParameterLayout(entries: [.init(name: Self.logStdName, shape: [logStd.count], offset: 0)]) }

    /// Networks (`actor.*`, `critic.*`, `log_std`) and, with `optimizers`, their Adam states.
    public func stateDict(optimizers: Bool) -> StateDict {
        var dict = StateDict()
        dict.merge(actor.stateDict(), prefix: "actor")
        if let critic { dict.merge(critic.stateDict(), prefix: "critic") }
        if logStd.count > 0 { dict[Self.logStdName] = Tensor(floats: Array(logStd)) }
        if optimizers {
            dict.merge(actorOptimizer.stateDict(layout: actor.layout), prefix: "adam.actor")
            if let critic, let criticOptimizer { dict.merge(criticOptimizer.stateDict(layout: critic.layout), prefix: "adam.critic") }
            if let logStdOptimizer { dict.merge(logStdOptimizer.stateDict(layout: logStdLayout), prefix: "adam.log_std") }
        }
        return dict
    }

    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        if loadNetwork {
            try actor.loadStateDict(dict.scoped("actor"))
            if let critic { try critic.loadStateDict(dict.scoped("critic")) }
            if logStd.count > 0 {
                let values = try dict.tensor(Self.logStdName).floats(name: Self.logStdName)
                guard values.count == logStd.count else {
                    throw StateDictError.wrongShape(name: Self.logStdName, expected: [logStd.count], found: [values.count])
                }
                guard values.allSatisfy(\.isFinite) else {
                    throw StateDictError.corrupt(file: Self.logStdName, detail: "a log standard deviation is not finite")
                }
                _ = logStd.update(fromContentsOf: values)
            }
        }
        if loadOptimizer {
            try actorOptimizer.loadStateDict(dict.scoped("adam.actor"), layout: actor.layout, loadHyperparameters: loadHparams)
            if let critic, let criticOptimizer {
                try criticOptimizer.loadStateDict(dict.scoped("adam.critic"), layout: critic.layout, loadHyperparameters: loadHparams)
            }
            if let logStdOptimizer {
                try logStdOptimizer.loadStateDict(dict.scoped("adam.log_std"), layout: logStdLayout, loadHyperparameters: loadHparams)
            }
        }
    }
}
