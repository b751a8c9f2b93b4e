import Envs
import Foundation
import Memory
import SeededRandom

/// A collector thread: owns a `VectorEnvironment`, asks its agent for a batch of actions, steps
/// the environments and writes every transition into the replay table.
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
/// reported through `CollectorStatistics.error`, naming the environment and step.
public final class Collector: @unchecked Sendable {
    public let environments: VectorEnvironment
    public let agent: Agent
    public let table: ReplayTable
    public let statistics: CollectorStatistics
    private var rng: Xoshiro256
    private let seed: UInt64
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    // Preallocated per step.
    private var previousObservations: [Float]
    private var indices: [Int]
    private var values: [Float]
    private var scaledValues: [Float]

    public init(environments: VectorEnvironment, agent: Agent, table: ReplayTable, statistics: CollectorStatistics, seed: UInt64) {
        self.environments = environments
        self.agent = agent
        self.table = table
        self.statistics = statistics
        self.seed = seed
        rng = Xoshiro256(seed: seed ^ 0x5EED_C011_EC70_0000)
        previousObservations = Array(repeating: 0, count: environments.count * environments.observationSize)
        indices = Array(repeating: 0, count: environments.count)
        values = Array(repeating: 0, count: environments.count * environments.actionSpace.flatSize)
        scaledValues = values
    }

    /// Starts collecting on a new thread.
    public func start() {
        let thread = Thread { [self] in
            do { try run(steps: nil) } catch ReplayError.closed {
                // Shutdown: the table was closed while this collector waited or inserted.
            } catch {
                statistics.fail("\(error)")
                table.close()   // wakes a learner waiting for data, so the failure surfaces at once
            }
            finished.signal()
        }
        thread.name = "collector"
        self.thread = thread
        thread.start()
    }

    /// Waits for the thread started by `start()` to end.
    public func join() {
        guard thread != nil else { return }
        finished.wait()
        thread = nil
    }

    /// Runs the collection loop on the calling thread: `steps` vector steps, or until a stop is
    /// requested when nil. Deterministic for a seed when nothing else inserts.
    public func run(steps: Int?) throws {
        if environments.totalSteps == 0 { try environments.reset(seed: seed) }
        let writer = table.makeWriter(blockSize: 64)
        defer { writer.flush() }
        let n = environments.count, obsSize = environments.observationSize
        let discrete = environments.actionSpace.isDiscrete
        let actionSize = environments.actionSpace.flatSize
        var taken = 0
        while !statistics.stopRequested, steps.map({ taken < $0 }) ?? true {
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
                                for i in 0..<n {
                                    for j in 0..<actionSize {
                                        let low = box.low[j], high = box.high[j], v = vals[i * actionSize + j]
                                        scaledValues[i * actionSize + j] = low.isFinite && high.isFinite ? low + (v + 1) * 0.5 * (high - low) : v
                                    }
                                }
                            }
                            try scaledValues.withUnsafeBufferPointer { try environments.step(.continuous($0)) }
                        }
                        for i in 0..<n {
                            let done = environments.isDone(i)
                            let next = done ? environments.finalObservation(i) : environments.observation(i)
                            try writer.insert(TransitionView(
                                observation: UnsafeBufferPointer(rebasing: obs[i * obsSize ..< (i + 1) * obsSize]),
                                actionIndex: Int32(truncatingIfNeeded: idx[i]),
                                actionValues: discrete ? UnsafeBufferPointer(start: nil, count: 0)
                                    : UnsafeBufferPointer(rebasing: vals[i * actionSize ..< (i + 1) * actionSize]),
                                reward: Float(environments.rewards[i]), terminated: environments.terminated[i],
                                truncated: environments.truncated[i], nextObservation: next))
                            if done { statistics.recordEpisode(return: environments.completedReturns[i], length: environments.completedLengths[i]) }
                        }
                    }
                }
            }
            writer.flush()
            statistics.addSteps(n)
            taken += 1
        }
    }
}
