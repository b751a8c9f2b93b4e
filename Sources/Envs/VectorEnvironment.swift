/// Actions for every environment of a `VectorEnvironment`, one per environment, in order.
public enum ActionBatch {
    /// One index per environment.
    case discrete(UnsafeBufferPointer<Int>)
    /// `(count, actionSize)` floats, row-major.
    case continuous(UnsafeBufferPointer<Float>)
}

/// Steps N environments as a batch, with Gymnasium's same-step auto-reset.
///
///     let vec = try VectorEnvironment(registry: .builtIn, id: "CartPole-v1", count: 8, seed: 1)
///     try vec.reset()
///     try actions.withUnsafeBufferPointer { try vec.step(.discrete($0)) }
///     // vec.observations: (8, 4) — for an env that just finished, already its next episode's first observation
///     // vec.finalObservations: (8, 4) — where isDone(i), the true last observation of the finished episode
///
/// When an episode ends (terminated or truncated), the environment is reset in the same step:
/// `observations` holds the new episode's first observation, and `finalObservations` keeps the
/// true final one, which a learner needs to bootstrap a truncated episode. `rewards`,
/// `terminated` and `truncated` describe the step that just happened; `completedReturns` and
/// `completedLengths` the episode it ended.
///
/// Every buffer is allocated once at creation; `step` allocates nothing for in-process
/// environments (out-of-process ones box each environment per overlapped send and receive). Every observation and
/// reward is checked to be finite, and a failure names the environment, its index and the step.
/// Owned by one thread at a time (a collector); not `Sendable`.
public final class VectorEnvironment {
    /// The id the environments were made from (used in error messages).
    public let id: String
    /// Number of environments.
    public let count: Int
    public let observationSpace: Box
    public let actionSpace: Space
    /// Floats per observation.
    public let observationSize: Int
    /// Total environment steps taken across all environments since creation (counted per full batch).
    public private(set) var totalSteps = 0

    private var environments: [any Environment]
    private let observationStorage: UnsafeMutableBufferPointer<Float>
    private let finalObservationStorage: UnsafeMutableBufferPointer<Float>
    private let rewardStorage: UnsafeMutableBufferPointer<Double>
    private let terminatedStorage: UnsafeMutableBufferPointer<Bool>
    private let truncatedStorage: UnsafeMutableBufferPointer<Bool>
    private let runningReturns: UnsafeMutableBufferPointer<Double>
    private let runningLengths: UnsafeMutableBufferPointer<Int>
    private let completedReturnStorage: UnsafeMutableBufferPointer<Double>
    private let completedLengthStorage: UnsafeMutableBufferPointer<Int>
    private var hasReset = false
    /// Every environment can split its step (they run out of process): `step` sends all the
    /// actions before it waits for the first answer, so the processes step in parallel.
    private let overlapped: Bool
    /// Whether `step` overlaps the environments' steps (see `OverlappedStepping`).
    var overlapsSteps: Bool { overlapped }
    /// Whether the environments have been reset (and so have observations to act on).
    public var hasStarted: Bool { hasReset }

    /// Wraps already-made environments; they must share observation and action spaces.
    public init(environments: [any Environment], id: String) throws {
        precondition(!environments.isEmpty, "a VectorEnvironment needs at least one environment")
        self.id = id
        self.environments = environments
        count = environments.count
        observationSpace = environments[0].observationSpace
        actionSpace = environments[0].actionSpace
        observationSize = observationSpace.size
        overlapped = environments.count > 1 && environments.allSatisfy { $0 is any OverlappedStepping }
        for (i, env) in environments.enumerated() where env.observationSpace != observationSpace || env.actionSpace != actionSpace {
            throw EnvironmentError.invalidState(environment: id, detail: "environment \(i) has different spaces from environment 0")
        }
        // The same checks as for a bridged environment's announcement, for Swift environments registered from code.
        if let problem = Space.problem(observation: observationSpace, action: actionSpace) {
            throw EnvironmentError.invalidState(environment: id, detail: problem)
        }
        func make<T>(_ n: Int, _ value: T) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: n)
            buffer.initialize(repeating: value)
            return buffer
        }
        observationStorage = make(count * observationSize, 0)
        finalObservationStorage = make(count * observationSize, 0)
        rewardStorage = make(count, 0)
        terminatedStorage = make(count, false)
        truncatedStorage = make(count, false)
        runningReturns = make(count, 0)
        runningLengths = make(count, 0)
        completedReturnStorage = make(count, 0)
        completedLengthStorage = make(count, 0)
    }

    /// Makes `count` environments by id; environment i gets seed `seed + i`.
    public convenience init(registry: EnvironmentRegistry, id: String, count: Int, seed: UInt64 = 0,
                            maxEpisodeSteps: Int?? = .none) throws {
        precondition(count > 0, "count must be positive")
        let envs = try (0..<count).map { try registry.make(id, maxEpisodeSteps: maxEpisodeSteps, seed: seed &+ UInt64($0)) }
        try self.init(environments: envs, id: id)
    }

    deinit {
        observationStorage.deallocate()
        finalObservationStorage.deallocate()
        rewardStorage.deallocate()
        terminatedStorage.deallocate()
        truncatedStorage.deallocate()
        runningReturns.deallocate()
        runningLengths.deallocate()
        completedReturnStorage.deallocate()
        completedLengthStorage.deallocate()
    }

    /// Current observations, `(count, observationSize)`.
    public var observations: UnsafeBufferPointer<Float> { UnsafeBufferPointer(observationStorage) }
    /// True final observations of episodes that ended in the last step (valid where `isDone(i)`).
    public var finalObservations: UnsafeBufferPointer<Float> { UnsafeBufferPointer(finalObservationStorage) }
    /// Rewards of the last step.
    public var rewards: UnsafeBufferPointer<Double> { UnsafeBufferPointer(rewardStorage) }
    /// Termination flags of the last step.
    public var terminated: UnsafeBufferPointer<Bool> { UnsafeBufferPointer(terminatedStorage) }
    /// Truncation flags of the last step.
    public var truncated: UnsafeBufferPointer<Bool> { UnsafeBufferPointer(truncatedStorage) }
    /// Return of the episode environment i finished in the last step (valid where `isDone(i)`).
    public var completedReturns: UnsafeBufferPointer<Double> { UnsafeBufferPointer(completedReturnStorage) }
    /// Length of the episode environment i finished in the last step (valid where `isDone(i)`).
    public var completedLengths: UnsafeBufferPointer<Int> { UnsafeBufferPointer(completedLengthStorage) }

    /// Whether environment i's episode ended in the last step.
    @inlinable
    public func isDone(_ i: Int) -> Bool { terminated[i] || truncated[i] }

    /// The observation of environment i (a view into `observations`).
    public func observation(_ i: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: observations[i * observationSize ..< (i + 1) * observationSize])
    }

    /// The true final observation of environment i's last finished episode.
    public func finalObservation(_ i: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: finalObservations[i * observationSize ..< (i + 1) * observationSize])
    }

    /// Resets every environment; with a seed, environment i is reseeded with `seed + i`.
    public func reset(seed: UInt64? = nil) throws {
        for i in 0..<count {
            let obs = slot(observationStorage, i)
            try failing(i) { try environments[i].reset(seed: seed.map { $0 &+ UInt64(i) }, observation: obs) }
            try checkFinite(obs, index: i, what: "reset observation")
            runningReturns[i] = 0
            runningLengths[i] = 0
            terminatedStorage[i] = false
            truncatedStorage[i] = false
            rewardStorage[i] = 0
        }
        hasReset = true
    }

    /// Steps every environment once with its action, resetting those whose episode ends.
    public func step(_ actions: ActionBatch) throws {
        guard hasReset else { throw EnvironmentError.stepBeforeReset(environment: id) }
        // Work on a local copy of the array (moved out, moved back): mutating elements of a
        // class's stored array pays a dynamic exclusivity check per access.
        var envs: [any Environment] = []
        swap(&envs, &environments)
        defer { swap(&envs, &environments) }
        let width = actionSpace.flatSize
        switch actions {
        case .discrete(let indices):
            guard indices.count == count else {
                throw EnvironmentError.bufferSize(what: "\(id): discrete action batch", expected: count, got: indices.count)
            }
        case .continuous(let values):
            guard values.count == count * width else {
                throw EnvironmentError.bufferSize(what: "\(id): continuous action batch", expected: count * width, got: values.count)
            }
        }
        func action(_ i: Int) -> Action {
            switch actions {
            case .discrete(let indices): return .discrete(indices[i])
            case .continuous(let values): return .continuous(UnsafeBufferPointer(rebasing: values[i * width ..< (i + 1) * width]))
            }
        }
        if overlapped {
            for i in 0..<count {
                var env = envs[i] as! any OverlappedStepping
                try failing(i) { try env.sendStep(action(i)) }
                envs[i] = env
            }
            for i in 0..<count {
                var env = envs[i] as! any OverlappedStepping
                let result = try failing(i) { try env.receiveStep(observation: slot(observationStorage, i)) }
                envs[i] = env
                try record(result, of: &envs[i], i)
            }
        } else {
            for i in 0..<count {
                let result = try failing(i) { try envs[i].step(action(i), observation: slot(observationStorage, i)) }
                try record(result, of: &envs[i], i)
            }
        }
        totalSteps += count
    }

    /// Runs one environment's step; an error that is not already an `EnvironmentError` is
    /// wrapped in `stepFailed` naming the environment, its index and the step.
    @inline(__always)
    private func failing<T>(_ i: Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as EnvironmentError {
            throw error
        } catch {
            throw EnvironmentError.stepFailed(environment: id, index: i, step: runningLengths[i] + 1,
                                              underlying: String(describing: error))
        }
    }

    /// Books environment i's step: checks it, counts it, and resets the environment when its
    /// episode ended (keeping the final observation).
    @inline(__always)
    private func record(_ result: StepResult, of env: inout any Environment, _ i: Int) throws {
        let obs = slot(observationStorage, i)
        runningLengths[i] += 1
        try checkFinite(obs, index: i, what: "observation")
        guard result.reward.isFinite else {
            throw EnvironmentError.nonFiniteOutput(environment: id, index: i, step: runningLengths[i],
                                                   detail: "reward is \(result.reward)")
        }
        rewardStorage[i] = result.reward
        terminatedStorage[i] = result.terminated
        truncatedStorage[i] = result.truncated
        runningReturns[i] += result.reward
        if result.isDone {
            let final = slot(finalObservationStorage, i)
            _ = final.update(fromContentsOf: obs)
            completedReturnStorage[i] = runningReturns[i]
            completedLengthStorage[i] = runningLengths[i]
            runningReturns[i] = 0
            runningLengths[i] = 0
            try failing(i) { try env.reset(seed: nil, observation: obs) }
            try checkFinite(obs, index: i, what: "reset observation")
        }
    }

    @inline(__always)
    private func slot<T>(_ storage: UnsafeMutableBufferPointer<T>, _ i: Int) -> UnsafeMutableBufferPointer<T> {
        UnsafeMutableBufferPointer(rebasing: storage[i * observationSize ..< (i + 1) * observationSize])
    }

    @inline(__always)
    private func checkFinite(_ obs: UnsafeMutableBufferPointer<Float>, index: Int, what: String) throws {
        for (j, v) in obs.enumerated() where !v.isFinite {
            throw EnvironmentError.nonFiniteOutput(environment: id, index: index, step: runningLengths[index],
                                                   detail: "\(what) component \(j) is \(v)")
        }
    }
}

/// Everything a `VectorEnvironment` needs to continue exactly: each environment's snapshot,
/// the current observations and the episodes in progress.
public struct VectorSnapshot: Sendable, Equatable {
    public var environments: [[UInt64]]
    public var observations: [Float]
    public var runningReturns: [Double]
    public var runningLengths: [Int]
    public var totalSteps: Int
    public var hasReset: Bool

    public init(environments: [[UInt64]], observations: [Float], runningReturns: [Double], runningLengths: [Int],
                totalSteps: Int, hasReset: Bool) {
        self.environments = environments
        self.observations = observations
        self.runningReturns = runningReturns
        self.runningLengths = runningLengths
        self.totalSteps = totalSteps
        self.hasReset = hasReset
    }
}

extension VectorEnvironment {
    /// The complete state, or nil when some environment does not conform to `SnapshotEnvironment`.
    public func snapshot() -> VectorSnapshot? {
        var words: [[UInt64]] = []
        for env in environments {
            guard let env = env as? any SnapshotEnvironment else { return nil }
            words.append(env.snapshot())
        }
        return VectorSnapshot(environments: words, observations: Array(observationStorage), runningReturns: Array(runningReturns),
                              runningLengths: Array(runningLengths), totalSteps: totalSteps, hasReset: hasReset)
    }

    /// Restores a state from `snapshot()`; throws `EnvironmentError.invalidState` naming what
    /// does not fit (count, sizes, an environment's own words).
    public func restore(_ snapshot: VectorSnapshot) throws {
        guard snapshot.environments.count == count, snapshot.observations.count == count * observationSize,
              snapshot.runningReturns.count == count, snapshot.runningLengths.count == count else {
            throw EnvironmentError.invalidState(
                environment: id, detail: "snapshot of \(snapshot.environments.count) environments × \(snapshot.observations.count / max(snapshot.environments.count, 1)) observation values does not fit \(count) × \(observationSize)")
        }
        for i in 0..<count {
            guard var env = environments[i] as? any SnapshotEnvironment else {
                throw EnvironmentError.invalidState(environment: id, detail: "environment \(i) cannot restore a snapshot")
            }
            try env.restore(snapshot: snapshot.environments[i])
            environments[i] = env
        }
        _ = observationStorage.update(fromContentsOf: snapshot.observations)
        _ = runningReturns.update(fromContentsOf: snapshot.runningReturns)
        _ = runningLengths.update(fromContentsOf: snapshot.runningLengths)
        totalSteps = snapshot.totalSteps
        hasReset = snapshot.hasReset
    }
}
