/// One action handed to `Environment.step`: a discrete index or a view of continuous values.
///
/// The continuous case borrows the caller's buffer for the duration of the call; nothing is copied.
public enum Action {
    case discrete(Int)
    case continuous(UnsafeBufferPointer<Float>)
}

/// What one step produced besides the observation (which goes into the caller's buffer).
public struct StepResult: Sendable, Equatable {
    /// The reward, in float64 as Gymnasium computes it.
    public var reward: Double
    /// The episode reached a terminal state of the MDP: do not bootstrap past it.
    public var terminated: Bool
    /// The episode was cut short (time limit): bootstrap from the final observation.
    public var truncated: Bool

    public init(reward: Double, terminated: Bool, truncated: Bool = false) {
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
    }

    /// The episode is over either way.
    public var isDone: Bool { terminated || truncated }
}

/// A reinforcement-learning environment with Gymnasium's semantics.
///
/// A custom environment conforms in a few lines and is registered by id
/// (see `EnvironmentRegistry`):
///
///     struct Corridor: Environment {
///         var position = 0
///         let observationSpace = Box(low: [0], high: [10])
///         let actionSpace = Space.discrete(Discrete(2))
///         mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
///             position = 0; observation[0] = 0
///         }
///         mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
///             let move = try actionSpace.discreteIndex(action, environment: "Corridor")
///             position = max(0, position + (move == 1 ? 1 : -1))
///             observation[0] = Float(position)
///             return StepResult(reward: position == 10 ? 1 : 0, terminated: position == 10)
///         }
///     }
///
/// Contract:
/// - `reset` and `step` write the observation (`observationSpace.size` floats) into the
///   caller's buffer and must not allocate: they run in the collectors' hot loop.
/// - `reset(seed:)` reseeds the environment's own random stream when a seed is given and
///   continues it otherwise, as Gymnasium does.
/// - An invalid action (index out of range, wrong count, NaN) throws `EnvironmentError.invalidAction`.
/// - Time limits are not the environment's business: the registry wraps it in `TimeLimit`.
/// - An environment is used by one thread at a time.
public protocol Environment {
    /// The space observations live in (float32).
    var observationSpace: Box { get }
    /// The space actions are drawn from.
    var actionSpace: Space { get }
    /// Starts a new episode and writes its first observation.
    mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws
    /// Advances one step and writes the next observation.
    mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult
}

/// An environment whose step can be split in two: send the action, later receive the result.
/// A `VectorEnvironment` of such environments sends every action before it waits for the first
/// result, so environments that run elsewhere (`ProcessEnvironment`) step in parallel.
/// `step` must equal `sendStep` followed by `receiveStep`.
public protocol OverlappedStepping: Environment {
    /// Starts a step with `action` (validated here) without waiting for its result.
    mutating func sendStep(_ action: Action) throws
    /// Completes the step started last, writing its observation.
    mutating func receiveStep(observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult
}

/// An environment whose internal physical state can be set directly, as Gymnasium's
/// `env.unwrapped.state = ...`. The reference replay uses it to start from recorded states.
public protocol StateOverridable: Environment {
    /// The names of the state components, in order.
    var stateLayout: [String] { get }
    /// Replaces the internal state (float64, in `stateLayout` order).
    mutating func overrideState(_ state: [Double]) throws
}

/// An environment that computes its observations in float64 (Gymnasium's MuJoCo tasks) and
/// hands the learner their float32 rounding: the reference replay prints the float64 values, so
/// parity with Gymnasium is checked on what Gymnasium returns.
public protocol DoublePrecisionObservations: Environment {
    /// The observation written by the last `reset` or `step`, in float64.
    var lastObservation: [Double] { get }
}

/// Errors raised by environments, the registry and the vectorized stepper.
public enum EnvironmentError: Error, CustomStringConvertible, Equatable {
    /// The action does not belong to the action space.
    case invalidAction(environment: String, detail: String)
    /// No environment is registered under this id.
    case unknownEnvironment(id: String, known: [String])
    /// An id was registered twice.
    case duplicateRegistration(id: String)
    /// `step` was called before the first `reset`.
    case stepBeforeReset(environment: String)
    /// A state given to `overrideState` has the wrong number of components or is not finite.
    case invalidState(environment: String, detail: String)
    /// A caller-provided buffer has the wrong size.
    case bufferSize(what: String, expected: Int, got: Int)
    /// The environment produced a non-finite observation or reward.
    case nonFiniteOutput(environment: String, index: Int, step: Int, detail: String)
    /// The environment's `step` or `reset` threw an error of its own.
    case stepFailed(environment: String, index: Int, step: Int, underlying: String)

    public var description: String {
        switch self {
        case let .invalidAction(env, detail):
            return "\(env): invalid action: \(detail)"
        case let .unknownEnvironment(id, known):
            return "unknown environment '\(id)'; registered environments: \(known.joined(separator: ", "))"
        case let .duplicateRegistration(id):
            return "environment id '\(id)' is already registered"
        case let .stepBeforeReset(env):
            return "\(env): step() called before reset()"
        case let .invalidState(env, detail):
            return "\(env): invalid state: \(detail)"
        case let .bufferSize(what, expected, got):
            return "\(what) holds \(got) values; expected \(expected)"
        case let .nonFiniteOutput(env, index, step, detail):
            return "environment \(index) (\(env)) at step \(step) of its episode: \(detail)"
        case let .stepFailed(env, index, step, underlying):
            return "environment \(index) (\(env)) failed at step \(step) of its episode: \(underlying)"
        }
    }
}

extension Space {
    /// Checks a discrete action and returns its index; throws `invalidAction` naming `environment`.
    @inlinable
    public func discreteIndex(_ action: Action, environment: String) throws -> Int {
        guard case .discrete(let space) = self else {
            throw EnvironmentError.invalidAction(environment: environment, detail: "expected a continuous action for \(self)")
        }
        guard case .discrete(let index) = action else {
            throw EnvironmentError.invalidAction(environment: environment, detail: "expected a discrete action index for \(space)")
        }
        guard space.contains(index) else {
            throw EnvironmentError.invalidAction(
                environment: environment,
                detail: "action \(index) is outside \(space) (valid: \(space.start)...\(space.start + space.n - 1))")
        }
        return index
    }

    /// Checks a continuous action's shape and finiteness (out-of-bounds values are allowed:
    /// environments clip them, as Gymnasium's do) and returns it.
    @inlinable
    public func continuousValues(_ action: Action, environment: String) throws -> UnsafeBufferPointer<Float> {
        guard case .box(let box) = self else {
            throw EnvironmentError.invalidAction(environment: environment, detail: "expected a discrete action index for \(self)")
        }
        guard case .continuous(let values) = action else {
            throw EnvironmentError.invalidAction(environment: environment, detail: "expected \(box.size) continuous values for \(box)")
        }
        guard values.count == box.size else {
            throw EnvironmentError.invalidAction(
                environment: environment, detail: "action has \(values.count) values; the space \(box) has shape \(box.shape)")
        }
        for (i, v) in values.enumerated() where !v.isFinite {
            throw EnvironmentError.invalidAction(environment: environment, detail: "action component \(i) is \(v)")
        }
        return values
    }
}
