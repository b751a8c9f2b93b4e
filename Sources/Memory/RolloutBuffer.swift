import Shared
import Foundation

/// The on-policy memory (PPO, A2C): one rollout of `steps` vector steps from every collector's
/// `environments`, written once, handed to the learner whole, then cleared for the next.
///
///     let buffer = RolloutBuffer(observationSize: 4, action: .discrete(n: 2), segments: 2, environments: 8, steps: 32)
///     // collector c:  try buffer.awaitOpen(segment: c); write rows of segment c; buffer.finish(segment: c)
///     // learner:      try buffer.take(into: batch)   // every segment finished; the previous rollout's collectors released
///     buffer.close()                                  // shutdown: wakes every waiter
///
/// Each collector owns one segment (its rows (t, e) at `row(segment:step:environment:)`, time
/// major), so writers never share a row and need no atomics. The handoff is a condition lock:
/// a collector's `finish` and the learner's `take` (which waits for every segment) order every
/// row written before the learner reads it, and the learner's next `take` (which reopens the
/// segments) orders the learner's update (new weights, new normalisation statistics) before
/// the collectors' next rollout reads them. So the collectors may act with the learner's own
/// networks: between a `take` and the next, no collector runs.
///
/// The batch `take` fills holds the rollout in row order, with extras `log_prob`, `value`,
/// `advantage` and `return` (`RolloutBuffer.extras`); advantages and returns are computed by
/// each collector for its segment (`computeAdvantages`) before it finishes.
public final class RolloutBuffer: @unchecked Sendable {
    /// The extra columns of a rollout's batch, in this order.
    public static let extras = [ExtraColumn(name: "log_prob"), ExtraColumn(name: "value"), ExtraColumn(name: "advantage"),
                                ExtraColumn(name: "return")]

    public let spec: TransitionSpec
    /// Collectors (one segment each), environments per collector, vector steps per rollout.
    public let segments: Int, environments: Int, steps: Int
    /// Rows of one segment and of the whole rollout.
    public var rowsPerSegment: Int { steps * environments }
    public var rows: Int { segments * rowsPerSegment }

    /// (rows, observationSize): the observations the policy acted on (normalised, when the run normalises).
    public let observations: UnsafeMutableBufferPointer<Float>
    /// Discrete: the action index per row (0-based). Continuous: (rows, A) as drawn, before clipping.
    public let actionIndices: UnsafeMutableBufferPointer<Int32>
    public let actionValues: UnsafeMutableBufferPointer<Float>
    /// The reward of each step (scaled, when the run normalises rewards).
    public let rewards: UnsafeMutableBufferPointer<Float>
    /// 1 where the step ended its episode by termination (no bootstrap) or by truncation (bootstrap from
    /// `bootstrapValues`), else 0.
    public let terminated: UnsafeMutableBufferPointer<Float>
    public let truncated: UnsafeMutableBufferPointer<Float>
    /// log π(a|s) and V(s) when the collector acted.
    public let logProbabilities: UnsafeMutableBufferPointer<Float>
    public let values: UnsafeMutableBufferPointer<Float>
    /// V of the state after the step, where the next row does not give it: the true final
    /// observation of a truncated episode, and the observation after a rollout's last step.
    public let bootstrapValues: UnsafeMutableBufferPointer<Float>
    public let advantages: UnsafeMutableBufferPointer<Float>
    public let returns: UnsafeMutableBufferPointer<Float>

    private let condition = NSCondition()
    private var finished: [Bool]
    private var finishedCount = 0
    /// The learner took the current rollout; its next `take` reopens the segments.
    private var taken = false
    private var closed = false
    /// Threads inside a wait right now (under `condition`).
    private var sleeping = 0

    /// Threads blocked in this buffer right now (collectors waiting for the learner to take the
    /// rollout, the learner waiting for segments): lets a caller, or a test, see that a wait began.
    public var blockedThreads: Int {
        condition.lock()
        defer { condition.unlock() }
        return sleeping
    }

    public init(observationSize: Int, action: TransitionSpec.ActionForm, segments: Int, environments: Int, steps: Int) {
        precondition(segments > 0 && environments > 0 && steps > 0, "a rollout needs segments, environments and steps")
        spec = TransitionSpec(observationSize: observationSize, action: action, extras: Self.extras)
        self.segments = segments
        self.environments = environments
        self.steps = steps
        let rows = segments * steps * environments
        observations = .allocate(capacity: rows * observationSize, repeating: 0)
        if case .continuous(let size) = action {
            actionValues = .allocate(capacity: rows * size, repeating: 0)
            actionIndices = .allocate(capacity: 0, repeating: 0)
        } else {
            actionValues = .allocate(capacity: 0, repeating: 0)
            actionIndices = .allocate(capacity: rows, repeating: 0)
        }
        rewards = .allocate(capacity: rows, repeating: 0)
        terminated = .allocate(capacity: rows, repeating: 0)
        truncated = .allocate(capacity: rows, repeating: 0)
        logProbabilities = .allocate(capacity: rows, repeating: 0)
        values = .allocate(capacity: rows, repeating: 0)
        bootstrapValues = .allocate(capacity: rows, repeating: 0)
        advantages = .allocate(capacity: rows, repeating: 0)
        returns = .allocate(capacity: rows, repeating: 0)
        finished = Array(repeating: false, count: segments)
    }

    deinit {
        for buffer in [observations, actionValues, rewards, terminated, truncated, logProbabilities, values, bootstrapValues, advantages, returns] {
            buffer.deallocate()
        }
        actionIndices.deallocate()
    }

    /// The row of environment `e`'s step `t` in segment `s`.
    @inlinable
    public func row(segment s: Int, step t: Int, environment e: Int) -> Int { (s * steps + t) * environments + e }

    // MARK: - Handoff

    /// A collector: blocks until segment `s` may be written (the learner took the previous
    /// rollout and began the next update round); throws `ReplayError.closed` on shutdown.
    public func awaitOpen(segment s: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        while finished[s] && !closed { sleep() }
        if closed { throw ReplayError.closed }
    }

    /// A collector: segment `s` is written (advantages included).
    public func finish(segment s: Int) {
        condition.lock()
        precondition(!finished[s], "segment \(s) finished twice in one rollout")
        finished[s] = true
        finishedCount += 1
        condition.broadcast()
        condition.unlock()
    }

    /// The learner: reopens the segments of the rollout it took last (so the collectors start
    /// the next), without waiting. `take` does this itself; call it first only when the
    /// collectors run inline (deterministic mode) and must be stepped before `take`.
    public func release() {
        condition.lock()
        if taken {
            for s in 0..<segments { finished[s] = false }
            finishedCount = 0
            taken = false
            condition.broadcast()
        }
        condition.unlock()
    }

    /// The learner: releases the previous rollout's collectors, waits until every segment is
    /// finished, and copies the rollout into `batch` (row order). Throws `ReplayError.closed`
    /// on shutdown.
    public func take(into batch: ReplayBatch) throws {
        guard batch.spec == spec, batch.capacity >= rows else {
            throw ReplayError.batchBufferMismatch(detail: "a rollout of \(rows) rows of \(spec) needs a batch of that spec and capacity (got \(batch.capacity) rows of \(batch.spec))")
        }
        release()
        condition.lock()
        while finishedCount < segments && !closed { sleep() }
        let complete = finishedCount == segments
        if complete { taken = true }
        condition.unlock()
        guard complete else { throw ReplayError.closed }
        copy(into: batch)
    }

    /// One wait on `condition` (held), counted in `blockedThreads`.
    private func sleep() {
        sleeping += 1
        condition.wait()
        sleeping -= 1
    }

    /// Wakes every waiter; waits and takes from now on throw `ReplayError.closed`.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func copy(into batch: ReplayBatch) {
        let n = rows, o = spec.observationSize, width = spec.extrasWidth
        batch.count = n
        batch.observations.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: UnsafeBufferPointer(rebasing: observations[0..<(n * o)])) }
        if case .continuous(let size) = spec.action {
            batch.actionValues.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: UnsafeBufferPointer(rebasing: actionValues[0..<(n * size)])) }
        } else {
            batch.actionIndices.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: UnsafeBufferPointer(rebasing: actionIndices[0..<n])) }
        }
        batch.rewards.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: UnsafeBufferPointer(rebasing: rewards[0..<n])) }
        batch.terminated.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: UnsafeBufferPointer(rebasing: terminated[0..<n])) }
        batch.truncated.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: UnsafeBufferPointer(rebasing: truncated[0..<n])) }
        batch.extras.withUnsafeMutableBufferPointer { extras in
            for r in 0..<n {
                extras[r * width] = logProbabilities[r]
                extras[r * width + 1] = values[r]
                extras[r * width + 2] = advantages[r]
                extras[r * width + 3] = returns[r]
            }
        }
    }

    // MARK: - Advantages

    /// Writes GAE(λ) advantages and returns (advantage + V) of segment `s` from its rewards,
    /// values, bootstrap values and episode ends (a collector, before `finish`).
    public func computeAdvantages(segment s: Int, gamma: Float, lambda: Float) {
        let start = row(segment: s, step: 0, environment: 0), count = rowsPerSegment
        func slice<T>(_ buffer: UnsafeMutableBufferPointer<T>) -> UnsafeMutableBufferPointer<T> {
            UnsafeMutableBufferPointer(rebasing: buffer[start ..< start + count])
        }
        Self.generalizedAdvantages(rewards: UnsafeBufferPointer(slice(rewards)), values: UnsafeBufferPointer(slice(values)),
                                   bootstrapValues: UnsafeBufferPointer(slice(bootstrapValues)),
                                   terminated: UnsafeBufferPointer(slice(terminated)), truncated: UnsafeBufferPointer(slice(truncated)),
                                   steps: steps, environments: environments, gamma: gamma, lambda: lambda,
                                   advantages: slice(advantages), returns: slice(returns))
    }

    /// Generalised advantage estimation (Schulman et al. 2016) over rows (t, e) at t·E + e:
    /// δₜ = rₜ + γ·V′ₜ − V(sₜ) with V′ₜ = 0 when step t terminated its episode, the bootstrap
    /// value when it was truncated or is the rollout's last step, else V(sₜ₊₁);
    /// Âₜ = δₜ + γλ·Âₜ₊₁, the sum cut where an episode ended and at the rollout's end;
    /// returns Âₜ + V(sₜ) (the critic's regression target).
    public static func generalizedAdvantages(rewards: UnsafeBufferPointer<Float>, values: UnsafeBufferPointer<Float>,
                                             bootstrapValues: UnsafeBufferPointer<Float>, terminated: UnsafeBufferPointer<Float>,
                                             truncated: UnsafeBufferPointer<Float>, steps: Int, environments: Int, gamma: Float, lambda: Float,
                                             advantages: UnsafeMutableBufferPointer<Float>, returns: UnsafeMutableBufferPointer<Float>) {
        for e in 0..<environments {
            var next: Float = 0
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let r = t * environments + e
                let ended = terminated[r] != 0 || truncated[r] != 0
                let nextValue: Float = terminated[r] != 0 ? 0
                    : (truncated[r] != 0 || t == steps - 1) ? bootstrapValues[r] : values[r + environments]
                let delta = rewards[r] + gamma * nextValue - values[r]
                let advantage = delta + ((ended || t == steps - 1) ? 0 : gamma * lambda * next)
                advantages[r] = advantage
                returns[r] = advantage + values[r]
                next = advantage
            }
        }
    }
}
