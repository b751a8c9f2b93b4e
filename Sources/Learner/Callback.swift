import Memory
import StateDictIO

/// A typed name for a value callbacks share through `TrainingState`.
///
///     enum Keys { static let loss = StateKey<Float>("q_loss") }
///     state[Keys.loss] = 0.3
public struct StateKey<Value>: Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

/// What the callbacks of one training run share: counters and named values.
public struct TrainingState {
    /// Learner updates done.
    public var updates = 0
    /// Environment steps taken by the collectors (as of the last batch).
    public var environmentSteps = 0
    /// Set by a callback to end training after the current update, as a signal would
    /// (every `endTraining` runs, a checkpointer writes its final checkpoint).
    public var stopRequested = false
    private var values: [String: Any] = [:]
    /// The latest value of every scalar the callbacks recorded (`record`), by name: what
    /// loggers, the progress line and result.json show, whatever the algorithm.
    public private(set) var metrics: [String: Double] = [:]

    public init() {}

    /// Records a scalar under a snake_case name (e.g. "loss", "alpha"): the latest value wins.
    /// Names the algorithm declares (`Algorithm.metrics`) become metrics.csv columns.
    @inline(__always)
    public mutating func record(_ name: String, _ value: Double) { metrics[name] = value }

    public subscript<Value>(key: StateKey<Value>) -> Value? {
        get { values[key.name] as? Value }
        set { values[key.name] = newValue }
    }
}

/// Where in an update a callback runs. The trainer runs the phases in this order, and the
/// callbacks of one phase in the order they were given (an algorithm's builder lists its
/// losses in the order they depend on each other).
public enum CallbackPhase: Int, Comparable, Sendable, CaseIterable {
    /// Before any loss: shape the batch (normalise its observations, anneal importance weights).
    case prepare
    /// The algorithm's losses and optimizer steps (SAC: the soft TD target, both critics, the
    /// actor, α). The default.
    case loss
    /// Target networks follow the online ones (hard copies, Polyak averaging).
    case targets
    /// The collectors' weights, and what waits for them (remote collectors).
    case publish
    /// Periodic evaluation of the policy.
    case evaluate
    /// Loggers (metrics.csv, episodes.csv, TensorBoard): after the evaluation they report.
    case log
    /// The progress line.
    case report
    /// Checkpoints: after everything that changes state in an update.
    case persist

    public static func < (a: CallbackPhase, b: CallbackPhase) -> Bool { a.rawValue < b.rawValue }
}

/// One piece of a training step, after emote's callbacks. The trainer calls, in order:
/// `restoreState` → `beginTraining` → per update: `beginCycle` (when this callback's cycle
/// starts) → `beginBatch` → `backward` → `endBatch` → `endCycle` (when it ends) → … →
/// `endTraining` (always, also after an error). Every hook defaults to doing nothing.
///
/// A callback saves what it needs to resume in `stateDict()` and restores it in
/// `loadStateDict(_:loadNetwork:loadOptimizer:loadHparams:)`.
public protocol Callback: AnyObject {
    /// A stable name, used as the prefix of this callback's entries in a checkpoint.
    var name: String { get }
    /// Where in an update this callback runs (`CallbackPhase`); within a phase, callbacks run in
    /// the order they were given.
    var phase: CallbackPhase { get }
    /// Updates per cycle; nil for no `beginCycle`/`endCycle` calls.
    var cycle: Int? { get }

    func restoreState(_ state: inout TrainingState) throws
    func beginTraining(_ state: inout TrainingState) throws
    func beginCycle(_ state: inout TrainingState) throws
    func beginBatch(_ batch: ReplayBatch, state: inout TrainingState) throws
    func backward(_ batch: ReplayBatch, state: inout TrainingState) throws
    func endBatch(_ batch: ReplayBatch, state: inout TrainingState) throws
    func endCycle(_ state: inout TrainingState) throws
    func endTraining(_ state: inout TrainingState) throws

    func stateDict() -> StateDict
    func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws
}

extension Callback {
    public var phase: CallbackPhase { .loss }
    public var cycle: Int? { nil }
    public func restoreState(_ state: inout TrainingState) throws {}
    public func beginTraining(_ state: inout TrainingState) throws {}
    public func beginCycle(_ state: inout TrainingState) throws {}
    public func beginBatch(_ batch: ReplayBatch, state: inout TrainingState) throws {}
    public func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {}
    public func endBatch(_ batch: ReplayBatch, state: inout TrainingState) throws {}
    public func endCycle(_ state: inout TrainingState) throws {}
    public func endTraining(_ state: inout TrainingState) throws {}
    public func stateDict() -> StateDict { StateDict() }
    public func loadStateDict(_ dict: StateDict, loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {}
}
