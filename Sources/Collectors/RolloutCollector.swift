import Core
import Shared
import Envs
import Foundation
import Memory
import SeededRandom
import StateDictIO

/// An on-policy collector: owns a `VectorEnvironment` and one segment of a `RolloutBuffer`,
/// and fills it with one rollout of `buffer.steps` vector steps at a time, acting with an
/// `OnPolicyAgent` that records log π(a|s) and V(s).
///
///     let collector = RolloutCollector(environments: vec, agent: agent, buffer: buffer, segment: 0,
///                                      statistics: stats, seed: 1, gamma: 0.99, lambda: 0.95)
///     collector.start()     // rollout after rollout, each once the learner took the previous one
///     collector.join()
///
/// Per step it writes the observation the agent saw (normalised, with a `Normalization`), the
/// action as drawn (a continuous one is clipped to [−1, 1] and rescaled to the box only for
/// stepping), the (scaled) reward and the episode flags. A truncated episode bootstraps from
/// V of its true final observation, a terminated one from nothing, and the rollout's last step
/// from V of the next observation; the collector then computes its segment's GAE advantages
/// and hands the segment over. Errors are reported as `ReplayCollector`'s are.
public final class RolloutCollector: CollectorThread, @unchecked Sendable {
    public let environments: VectorEnvironment
    public let agent: OnPolicyAgent
    public let buffer: RolloutBuffer
    public let segment: Int
    public let statistics: RunControl
    public let normalization: Normalization?
    public let gamma: Float, lambda: Float
    private var rng: Xoshiro256
    private var resetSeed: UInt64
    private let thread = CollectorLoopThread()
    /// A rollout was cut short: environments and running returns no longer match a rollout
    /// boundary, so `stateDict()` leaves them out.
    private var interrupted = false

    // Preallocated.
    private let indices: UnsafeMutableBufferPointer<Int>
    private let actions: UnsafeMutableBufferPointer<Float>
    private let scaled: UnsafeMutableBufferPointer<Float>
    private let scratchObservations: UnsafeMutableBufferPointer<Float>
    private let scratchValues: UnsafeMutableBufferPointer<Float>
    private let rows: UnsafeMutableBufferPointer<Int>
    /// Each environment's discounted return so far (reward normalisation).
    private var discountedReturns: [Double]

    public init(environments: VectorEnvironment, agent: OnPolicyAgent, buffer: RolloutBuffer, segment: Int, statistics: RunControl,
                normalization: Normalization? = nil, seed: UInt64, gamma: Float, lambda: Float) {
        precondition(environments.count == buffer.environments, "the buffer's segments hold \(buffer.environments) environments")
        precondition(environments.observationSize == buffer.spec.observationSize, "observation sizes differ")
        precondition((0..<buffer.segments).contains(segment), "segment \(segment) is not in the buffer")
        self.environments = environments
        self.agent = agent
        self.buffer = buffer
        self.segment = segment
        self.statistics = statistics
        self.normalization = normalization
        self.gamma = gamma
        self.lambda = lambda
        resetSeed = seed
        rng = Xoshiro256(seed: seed ^ 0x5EED_C011_EC70_0000)
        let n = environments.count, width = environments.actionSpace.flatSize
        indices = .allocate(capacity: n, repeating: 0)
        actions = .allocate(capacity: n * width, repeating: 0)
        scaled = .allocate(capacity: n * width, repeating: 0)
        scratchObservations = .allocate(capacity: n * environments.observationSize, repeating: 0)
        scratchValues = .allocate(capacity: n, repeating: 0)
        rows = .allocate(capacity: n, repeating: 0)
        discountedReturns = Array(repeating: 0, count: n)
    }

    deinit {
        indices.deallocate(); actions.deallocate(); scaled.deallocate(); scratchObservations.deallocate()
        scratchValues.deallocate(); rows.deallocate()
    }

    public func start() {
        // Rollout after rollout until the learner closes the buffer (its loop exit does, on a
        // stop too): a collector that left on the stop flag instead could leave the learner
        // waiting in `take` for a segment that never comes.
        thread.start(name: "rollout-collector", loop: { [self] in
            while true { try collectRollout() }
        }, failed: { [self] error in
            statistics.fail("\(error)")
            buffer.close()   // wakes the learner, so the failure surfaces at once
        })
    }

    public func join() { thread.join() }

    /// Waits until the segment is open, then collects one rollout into it, computes its
    /// advantages and hands it over (on the calling thread; deterministic mode calls it inline).
    public func collectRollout() throws {
        try buffer.awaitOpen(segment: segment)
        if !environments.hasStarted { try environments.reset(seed: resetSeed) }
        interrupted = true
        let n = environments.count, o = environments.observationSize
        let discrete = environments.actionSpace.isDiscrete
        let width = environments.actionSpace.flatSize
        let start: Int
        if case .discrete(let space) = environments.actionSpace { start = space.start } else { start = 0 }
        let returnMoments = normalization?.returnDelta(segment: segment)
        for t in 0..<buffer.steps {
            let first = buffer.row(segment: segment, step: t, environment: 0)
            let observations = buffer.observations.baseAddress! + first * o
            let raw = environments.observations.baseAddress!
            normalization?.record(observations: raw, rows: n, segment: segment)
            present(raw, rows: n, into: observations)
            agent.act(observations: UnsafeBufferPointer(start: observations, count: n * o), count: n, indices: indices,
                      values: actions, logProbabilities: buffer.logProbabilities.baseAddress! + first,
                      stateValues: buffer.values.baseAddress! + first, rng: &rng)
            if discrete {
                for e in 0..<n {
                    buffer.actionIndices[first + e] = Int32(truncatingIfNeeded: indices[e])
                    indices[e] += start
                }
                try environments.step(.discrete(UnsafeBufferPointer(indices)))
            } else {
                (buffer.actionValues.baseAddress! + first * width).update(from: actions.baseAddress!, count: n * width)
                for i in 0..<(n * width) { actions[i] = min(max(actions[i], -1), 1) }
                if case .box(let box) = environments.actionSpace {
                    box.scaleFromUnit(UnsafeBufferPointer(actions), into: scaled, rows: n)
                }
                try environments.step(.continuous(UnsafeBufferPointer(scaled)))
            }
            var truncatedCount = 0
            for e in 0..<n {
                let reward = environments.rewards[e]
                if let normalization, normalization.normalizesRewards {
                    discountedReturns[e] = discountedReturns[e] * Double(gamma) + reward
                    returnMoments?.add(discountedReturns[e])
                }
                buffer.rewards[first + e] = normalization?.scale(reward: Float(reward)) ?? Float(reward)
                let terminated = environments.terminated[e], truncated = environments.truncated[e] && !terminated
                buffer.terminated[first + e] = terminated ? 1 : 0
                buffer.truncated[first + e] = truncated ? 1 : 0
                if truncated {
                    rows[truncatedCount] = e
                    normalizeFinal(environments.finalObservation(e), into: truncatedCount)
                    truncatedCount += 1
                }
                if terminated || truncated {
                    discountedReturns[e] = 0
                    statistics.recordEpisode(return: environments.completedReturns[e], length: environments.completedLengths[e], vectorSteps: n)
                }
            }
            if truncatedCount > 0 {
                agent.stateValues(observations: UnsafeBufferPointer(start: scratchObservations.baseAddress!, count: truncatedCount * o),
                                  count: truncatedCount, into: scratchValues.baseAddress!)
                for k in 0..<truncatedCount { buffer.bootstrapValues[first + rows[k]] = scratchValues[k] }
            }
            statistics.addSteps(n)
        }
        // The rollout's last step bootstraps from the next observation (where its episode goes on).
        let last = buffer.row(segment: segment, step: buffer.steps - 1, environment: 0)
        var open = 0
        for e in 0..<n where buffer.terminated[last + e] == 0 && buffer.truncated[last + e] == 0 {
            rows[open] = e
            normalizeFinal(environments.observation(e), into: open)
            open += 1
        }
        if open > 0 {
            agent.stateValues(observations: UnsafeBufferPointer(start: scratchObservations.baseAddress!, count: open * o), count: open,
                              into: scratchValues.baseAddress!)
            for k in 0..<open { buffer.bootstrapValues[last + rows[k]] = scratchValues[k] }
        }
        buffer.computeAdvantages(segment: segment, gamma: gamma, lambda: lambda)
        interrupted = false
        buffer.finish(segment: segment)
    }

    /// Writes `rows` observations as the agent sees them (normalised, with a `Normalization`).
    private func present(_ raw: UnsafePointer<Float>, rows: Int, into target: UnsafeMutablePointer<Float>) {
        if let normalization {
            normalization.normalize(raw, rows: rows, into: target)
        } else {
            target.update(from: raw, count: rows * environments.observationSize)
        }
    }

    /// Writes one observation as the agent sees it into scratch row `k`.
    private func normalizeFinal(_ observation: UnsafeBufferPointer<Float>, into k: Int) {
        present(observation.baseAddress!, rows: 1, into: scratchObservations.baseAddress! + k * environments.observationSize)
    }
}

extension RolloutCollector {
    /// Its random stream, the running discounted returns, the agent's state and (where every
    /// environment can snapshot) the environments; empty after a rollout cut short.
    public func stateDict() -> StateDict {
        guard !interrupted else { return StateDict() }
        var dict = StateDict()
        dict["rng"] = Tensor(uint64s: rng.stateWords)
        dict["discounted_returns"] = Tensor(doubles: discountedReturns)
        dict.merge(agent.stateDict(), prefix: "agent")
        for (name, tensor) in environments.snapshotStateDict().tensors { dict[name] = tensor }
        return dict
    }

    public func loadStateDict(_ dict: StateDict, resumeSeed: UInt64) throws {
        let words = try dict.tensor("rng").uint64s(name: "rng")
        guard let restored = Xoshiro256(stateWords: words) else {
            throw StateDictError.wrongShape(name: "rng", expected: [4], found: [words.count])
        }
        let returns = try dict.tensor("discounted_returns").doubles(name: "discounted_returns")
        guard returns.count == discountedReturns.count else {
            throw StateDictError.wrongShape(name: "discounted_returns", expected: [discountedReturns.count], found: [returns.count])
        }
        rng = restored
        let agentState = dict.scoped("agent")
        if !agentState.tensors.isEmpty { try agent.loadStateDict(agentState) }
        if try environments.restore(snapshotIn: dict) {
            discountedReturns = returns
        } else {
            resetSeed = resumeSeed
        }
    }

    public func startNewEpisodes(seed: UInt64) {
        precondition(!environments.hasStarted, "startNewEpisodes is for a collector that has not run yet")
        resetSeed = seed
        rng = Xoshiro256(seed: seed ^ 0x5EED_C011_EC70_0000)
    }
}
