import Core
import Envs
import Foundation
import Memory
import SeededRandom
import StateDictIO

/// A collector thread: owns a `VectorEnvironment`, asks its agent for a batch of actions, steps
/// the environments and writes every transition into the replay table (or through any
/// `TransitionWriter`, such as a remote learner's).
///
///     let collector = Collector(environments: vec, agent: agent, table: table, statistics: stats, seed: 1)
///     collector.start()            // runs on its own thread until stats.requestStop()
///     collector.join()
///
/// Transitions carry `terminated` (no bootstrap) and `truncated`; for an episode that ended, the
/// next observation is the environment's true final observation, not the reset one.
/// Continuous agents act in [−1, 1]ᴬ: the collector rescales each action to the environment's
/// box (where its bounds are finite) for stepping and stores the [−1, 1] action in replay. An error
/// (an environment returning NaN or throwing, an invalid action) stops every collector and is
/// reported through `RunControl.error`, naming the environment and step.
/// With `nStep` > 1 the collector folds n-step returns before inserting: the stored reward is
/// rₜ + γrₜ₊₁ + … + γⁿ⁻¹rₜ₊ₙ₋₁, the next observation is sₜ₊ₙ, and the table's `discount` extra
/// column holds γᵏ for the k rewards folded (shorter at an episode's end, where every pending
/// transition is flushed with the true final observation and the episode's flags). Losses
/// bootstrap with that discount instead of γ.
public final class ReplayCollector: CollectorThread, @unchecked Sendable {
    public let environments: VectorEnvironment
    public let agent: Agent
    /// The shape of the transitions it writes.
    public let spec: TransitionSpec
    public let statistics: RunControl
    /// Steps folded into one stored transition (1: plain one-step transitions).
    public let nStep: Int
    public let gamma: Float
    private var rng: Xoshiro256
    private let seed: UInt64
    /// The seed of the first reset (changed by a resume that could not restore the environments).
    private var resetSeed: UInt64
    private let thread = CollectorLoopThread()
    /// One writer for the collector's lifetime: a table's writer claims rows in blocks, so a
    /// writer per `run(steps:)` call would leave the rest of each block empty.
    private let writer: TransitionWriter
    /// A step was cut short (the table closed under an insert, an environment failed): the
    /// environments, n-step rings and counters no longer agree, so `stateDict()` leaves them out.
    private var interruptedMidStep = false

    // Preallocated per step.
    private var previousObservations: [Float]
    private var indices: [Int]
    private var values: [Float]
    private var scaledValues: [Float]
    private var extras: [Float]
    private let discountOffset: Int?

    // n-step: per environment a ring of up to `nStep` pending (observation, action, reward).
    private var pendingObservations: [Float]
    private var pendingIndices: [Int32]
    private var pendingValues: [Float]
    private var pendingRewards: [Double]
    private var pendingStart: [Int]
    private var pendingCount: [Int]

    /// `nStep` > 1 needs a table whose spec has an extra column named `discount`; with it, a
    /// one-step collector writes γ there too. `writerBlockSize` is how many rows the collector
    /// claims at once (1 for a collector stepped inline a step at a time, as in deterministic
    /// mode, so no claimed rows wait unwritten between its calls).
    public convenience init(environments: VectorEnvironment, agent: Agent, table: ReplayTable, statistics: RunControl, seed: UInt64,
                            nStep: Int = 1, gamma: Float = 0.99, writerBlockSize: Int = 64) {
        self.init(environments: environments, agent: agent, writer: table.makeWriter(blockSize: writerBlockSize), statistics: statistics,
                  seed: seed, nStep: nStep, gamma: gamma)
    }

    /// A collector writing through `writer` (owned by this collector from now on).
    public init(environments: VectorEnvironment, agent: Agent, writer: TransitionWriter, statistics: RunControl, seed: UInt64,
                nStep: Int = 1, gamma: Float = 0.99) {
        precondition(nStep >= 1, "nStep must be at least 1")
        let spec = writer.spec
        discountOffset = spec.extraOffset("discount")
        precondition(nStep == 1 || discountOffset != nil, "n-step collection needs a 'discount' extra column in the table's spec")
        self.environments = environments
        self.agent = agent
        self.spec = spec
        self.writer = writer
        self.statistics = statistics
        self.seed = seed
        self.nStep = nStep
        self.gamma = gamma
        resetSeed = seed
        rng = Xoshiro256(seed: seed ^ 0x5EED_C011_EC70_0000)
        let n = environments.count, width = environments.actionSpace.flatSize
        previousObservations = Array(repeating: 0, count: n * environments.observationSize)
        indices = Array(repeating: 0, count: n)
        values = Array(repeating: 0, count: n * width)
        scaledValues = values
        extras = Array(repeating: 0, count: spec.extrasWidth)
        pendingObservations = Array(repeating: 0, count: nStep * n * environments.observationSize)
        pendingIndices = Array(repeating: 0, count: nStep * n)
        pendingValues = Array(repeating: 0, count: nStep * n * width)
        pendingRewards = Array(repeating: 0, count: nStep * n)
        pendingStart = Array(repeating: 0, count: n)
        pendingCount = Array(repeating: 0, count: n)
    }
    /// Starts collecting on a new thread.
    public func start() {
        thread.start(name: "collector", loop: { [self] in try run(steps: nil) }, failed: { [self] error in
            statistics.fail("\(error)")
            writer.abandon()   // wakes a learner waiting for data, so the failure surfaces at once
        })
    }

    /// Waits for the thread started by `start()` to end.
    public func join() { thread.join() }

    /// Runs the collection loop on the calling thread: `steps` vector steps, or until a stop is
    /// requested when nil. Deterministic for a seed when nothing else inserts.
    public func run(steps: Int?) throws {
        if !environments.hasStarted { try environments.reset(seed: resetSeed) }
        defer { try? writer.flush() }
        let n = environments.count, obsSize = environments.observationSize
        let discrete = environments.actionSpace.isDiscrete
        let actionSize = environments.actionSpace.flatSize
        var taken = 0
        while !statistics.stopRequested, steps.map({ taken < $0 }) ?? true {
            interruptedMidStep = true   // until the step's bookkeeping is complete
            _ = previousObservations.withUnsafeMutableBufferPointer { $0.update(fromContentsOf: environments.observations) }
            try previousObservations.withUnsafeBufferPointer { obs in
                try indices.withUnsafeMutableBufferPointer { idx in
                    try values.withUnsafeMutableBufferPointer { vals in
                        agent.act(observations: obs, count: n, environmentSteps: statistics.environmentSteps,
                                  indices: idx, values: vals, rng: &rng)
                        if discrete {
                            try environments.step(.discrete(UnsafeBufferPointer(idx)))
                        } else {
                            if case .box(let box) = environments.actionSpace {
                                scaledValues.withUnsafeMutableBufferPointer { box.scaleFromUnit(UnsafeBufferPointer(vals), into: $0, rows: n) }
                            }
                            try scaledValues.withUnsafeBufferPointer { try environments.step(.continuous($0)) }
                        }
                        for i in 0..<n {
                            let done = environments.isDone(i)
                            let next = done ? environments.finalObservation(i) : environments.observation(i)
                            let observation = UnsafeBufferPointer(rebasing: obs[i * obsSize ..< (i + 1) * obsSize])
                            let actionValues = discrete ? UnsafeBufferPointer(start: nil, count: 0)
                                : UnsafeBufferPointer(rebasing: vals[i * actionSize ..< (i + 1) * actionSize])
                            if nStep == 1 {
                                if let discountOffset { extras[discountOffset] = gamma }
                                try extras.withUnsafeBufferPointer { ex in
                                    try writer.insert(TransitionView(
                                        observation: observation, actionIndex: Int32(truncatingIfNeeded: idx[i]), actionValues: actionValues,
                                        reward: Float(environments.rewards[i]), terminated: environments.terminated[i],
                                        truncated: environments.truncated[i], nextObservation: next, extras: ex))
                                }
                            } else {
                                push(environment: i, observation: observation, actionIndex: Int32(truncatingIfNeeded: idx[i]),
                                     actionValues: actionValues, reward: environments.rewards[i])
                                if done {
                                    while pendingCount[i] > 0 {
                                        try emitOldest(environment: i, next: next, terminated: environments.terminated[i],
                                                       truncated: environments.truncated[i], writer: writer)
                                    }
                                } else if pendingCount[i] == nStep {
                                    try emitOldest(environment: i, next: next, terminated: false, truncated: false, writer: writer)
                                }
                            }
                            if done {
                                statistics.recordEpisode(return: environments.completedReturns[i], length: environments.completedLengths[i], vectorSteps: n)
                            }
                        }
                    }
                }
            }
            try writer.flush()
            statistics.addSteps(n)
            interruptedMidStep = false
            taken += 1
        }
    }

    /// Appends environment `i`'s newest step to its ring of pending transitions.
    private func push(environment i: Int, observation: UnsafeBufferPointer<Float>, actionIndex: Int32,
                      actionValues: UnsafeBufferPointer<Float>, reward: Double) {
        let obsSize = environments.observationSize, width = environments.actionSpace.flatSize
        let slot = i * nStep + (pendingStart[i] + pendingCount[i]) % nStep
        for j in 0..<obsSize { pendingObservations[slot * obsSize + j] = observation[j] }
        pendingIndices[slot] = actionIndex
        for j in 0..<actionValues.count { pendingValues[slot * width + j] = actionValues[j] }
        pendingRewards[slot] = reward
        pendingCount[i] += 1
    }

    /// Inserts environment `i`'s oldest pending transition with the discounted sum of the
    /// rewards pending after it, and drops it from the ring.
    private func emitOldest(environment i: Int, next: UnsafeBufferPointer<Float>, terminated: Bool, truncated: Bool,
                            writer: TransitionWriter) throws {
        let obsSize = environments.observationSize, width = environments.actionSpace.flatSize
        var folded = 0.0, discount = 1.0
        for k in 0..<pendingCount[i] {
            folded += discount * pendingRewards[i * nStep + (pendingStart[i] + k) % nStep]
            discount *= Double(gamma)
        }
        extras[discountOffset!] = Float(discount)
        let slot = i * nStep + pendingStart[i]
        try pendingObservations.withUnsafeBufferPointer { po in
            try pendingValues.withUnsafeBufferPointer { pv in
                try extras.withUnsafeBufferPointer { ex in
                    try writer.insert(TransitionView(
                        observation: UnsafeBufferPointer(rebasing: po[slot * obsSize ..< (slot + 1) * obsSize]),
                        actionIndex: pendingIndices[slot],
                        actionValues: environments.actionSpace.isDiscrete ? UnsafeBufferPointer(start: nil, count: 0)
                            : UnsafeBufferPointer(rebasing: pv[slot * width ..< (slot + 1) * width]),
                        reward: Float(folded), terminated: terminated, truncated: truncated, nextObservation: next, extras: ex))
                }
            }
        }
        pendingStart[i] = (pendingStart[i] + 1) % nStep
        pendingCount[i] -= 1
    }
}

extension ReplayCollector {
    /// The collector's state for a checkpoint: its random stream, the pending n-step
    /// transitions and, when every environment conforms to `SnapshotEnvironment`, the
    /// environments themselves. Call it only while the collector is not running (between
    /// `run(steps:)` calls, or after `join()`).
    /// After a step cut short (see `interruptedMidStep`) it is empty: a resume then starts new
    /// episodes, as from a checkpoint taken while the collector ran.
    public func stateDict() -> StateDict {
        guard !interruptedMidStep else { return StateDict() }
        var dict = StateDict()
        dict["rng"] = Tensor(uint64s: rng.stateWords)
        dict["pending.observations"] = Tensor(floats: pendingObservations)
        dict["pending.indices"] = Tensor(int32s: pendingIndices)
        dict["pending.values"] = Tensor(floats: pendingValues)
        dict["pending.rewards"] = Tensor(doubles: pendingRewards)
        dict["pending.start"] = Tensor(int64s: pendingStart.map(Int64.init))
        dict["pending.count"] = Tensor(int64s: pendingCount.map(Int64.init))
        dict.merge(agent.stateDict(), prefix: "agent")
        for (name, tensor) in environments.snapshotStateDict().tensors { dict[name] = tensor }
        return dict
    }

    /// For a resume without this collector's state (a checkpoint written while it ran): keeps
    /// the random stream seeded as new, drops nothing (nothing is pending yet), and starts new
    /// episodes seeded from `seed` instead of replaying the run's first ones.
    public func startNewEpisodes(seed: UInt64) {
        precondition(!environments.hasStarted, "startNewEpisodes is for a collector that has not run yet")
        resetSeed = seed
        rng = Xoshiro256(seed: seed ^ 0x5EED_C011_EC70_0000)
    }

    /// Restores a state from `stateDict()`. Without environment snapshots in it (environments
    /// that cannot snapshot, or a checkpoint taken while collectors ran) the environments start
    /// new episodes, seeded from `resumeSeed` so a resumed run does not replay its first episodes.
    public func loadStateDict(_ dict: StateDict, resumeSeed: UInt64) throws {
        guard let restored = Xoshiro256(stateWords: try dict.tensor("rng").uint64s(name: "rng")) else {
            throw StateDictError.wrongShape(name: "rng", expected: [4], found: [try dict.tensor("rng").count])
        }
        func load<T>(_ name: String, _ read: (Tensor) throws -> [T], into target: inout [T]) throws {
            let values = try read(try dict.tensor(name))
            guard values.count == target.count else { throw StateDictError.wrongShape(name: name, expected: [target.count], found: [values.count]) }
            target = values
        }
        try load("pending.observations", { try $0.floats(name: "pending.observations") }, into: &pendingObservations)
        try load("pending.indices", { try $0.elements(Int32.self, expected: .int32, name: "pending.indices") }, into: &pendingIndices)
        try load("pending.values", { try $0.floats(name: "pending.values") }, into: &pendingValues)
        try load("pending.rewards", { try $0.doubles(name: "pending.rewards") }, into: &pendingRewards)
        try load("pending.start", { try $0.int64s(name: "pending.start").map { Int($0) } }, into: &pendingStart)
        try load("pending.count", { try $0.int64s(name: "pending.count").map { Int($0) } }, into: &pendingCount)
        guard pendingStart.allSatisfy({ (0..<nStep).contains($0) }), pendingCount.allSatisfy({ (0..<nStep).contains($0) }) else {
            throw StateDictError.corrupt(file: "collector state", detail: "n-step ring positions out of range for n = \(nStep)")
        }
        rng = restored
        let agentState = dict.scoped("agent")
        if !agentState.tensors.isEmpty { try agent.loadStateDict(agentState) }
        if try !environments.restore(snapshotIn: dict) {
            // New episodes: drop transitions pending from the old ones.
            for i in pendingCount.indices { pendingCount[i] = 0 }
            resetSeed = resumeSeed
        }
    }
}
