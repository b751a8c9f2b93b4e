import Core
import Foundation
import Memory
import SeededRandom

/// When training stops.
public struct TrainingBudget: Sendable {
    public var environmentSteps: Int?
    public var updates: Int?
    public init(environmentSteps: Int? = nil, updates: Int? = nil) {
        self.environmentSteps = environmentSteps
        self.updates = updates
    }
}

/// Errors that end training, with what went wrong.
public enum TrainingError: Error, CustomStringConvertible {
    case collectorFailed(String)
    public var description: String {
        switch self {
        case .collectorFailed(let message): return "a collector stopped the run: \(message)"
        }
    }
}

/// The learner loop: waits until the replay table is full enough, then samples batches and runs
/// the callbacks on each (see `Callback` for the order); or, on-policy, takes each whole rollout
/// as one batch. It does nothing else: no threads, files or parsing.
///
///     let trainer = Trainer(table: table, callbacks: [dqnLoss, targetSync, publishing],
///                           batchSize: 64, minSize: 1_000, seed: 1)
///     try trainer.train(budget: TrainingBudget(environmentSteps: 50_000), statistics: statistics)
///
///     let onPolicy = Trainer(rollouts: buffer, callbacks: [ppoLoss], seed: 1)   // an update per rollout
public final class Trainer {
    /// Where batches come from: sampled from a replay table, or each rollout whole.
    public enum Source {
        case replay(ReplayTable, PrioritizedSampler?)
        case rollouts(RolloutBuffer)
    }
    public let source: Source
    public let callbacks: [Callback]
    public let batchSize: Int
    public let minSize: Int
    /// Counters and shared values; set it from a checkpoint (`LearnerCheckpoint.restore`) to resume.
    public var state = TrainingState()
    public var rng: Xoshiro256
    /// Deterministic mode: called on the learner thread before the size wait and before every
    /// update with the updates done so far; it steps the (single, inline) collector until the
    /// table holds what this update may sample. Nil when collectors run on their own threads.
    public var feed: ((_ updates: Int) throws -> Void)?
    /// Called once when the loop ends (budget, stop request or error), before any callback's
    /// `endTraining`: the run stops and joins its collectors here, so the final checkpoint
    /// sees them at rest.
    public var onLoopExit: (() -> Void)?
    let batch: ReplayBatch
    /// Seconds spent obtaining batches after the memory first held `minSize` (sampling plus
    /// any wait for the collectors imposed by the rate limit): how starved the learner was.
    public private(set) var sampleSeconds = 0.0
    /// Seconds in the update loop after the memory first held `minSize`.
    public private(set) var loopSeconds = 0.0
    private let clock = ContinuousClock()
    /// The collectors' counters during `train`.
    private var statistics: RunControl?

    public init(table: ReplayTable, callbacks: [Callback], batchSize: Int, minSize: Int,
                prioritized: PrioritizedSampler? = nil, seed: UInt64) {
        source = .replay(table, prioritized)
        self.callbacks = Self.inPhaseOrder(callbacks)
        self.batchSize = batchSize
        self.minSize = max(minSize, batchSize)
        rng = Xoshiro256(seed: seed)
        batch = ReplayBatch(spec: table.spec, capacity: batchSize)
    }

    /// An on-policy learner: every update takes the next whole rollout from `rollouts` (the
    /// collectors of the previous one are released first) and hands it to the callbacks as one
    /// batch; the algorithm's loss makes its own epochs and minibatches of it.
    /// `callbacks` by phase, in the order given within one (a stable sort).
    static func inPhaseOrder(_ callbacks: [Callback]) -> [Callback] {
        callbacks.enumerated().sorted { ($0.element.phase, $0.offset) < ($1.element.phase, $1.offset) }.map(\.element)
    }

    public init(rollouts: RolloutBuffer, callbacks: [Callback], seed: UInt64) {
        source = .rollouts(rollouts)
        self.callbacks = Self.inPhaseOrder(callbacks)
        batchSize = rollouts.rows
        minSize = 0
        rng = Xoshiro256(seed: seed)
        batch = ReplayBatch(spec: rollouts.spec, capacity: rollouts.rows)
    }

    /// Trains until the budget is spent, `statistics.stopRequested` (a signal), or an error.
    /// `endTraining` runs for every callback in every case; the first error is rethrown.
    public func train(budget: TrainingBudget, statistics: RunControl) throws {
        self.statistics = statistics
        defer { self.statistics = nil }
        for callback in callbacks { try callback.restoreState(&state) }
        var failure: (any Error)?
        do {
            for callback in callbacks { try callback.beginTraining(&state) }
            if case .replay(let table, _) = source {
                try feed?(state.updates)
                try table.awaitSize(minSize)
            }
            let loopStart = clock.now
            defer { loopSeconds += (clock.now - loopStart) / .seconds(1) }
            while true {
                if let message = statistics.error { throw TrainingError.collectorFailed(message) }
                state.environmentSteps = statistics.environmentSteps
                if statistics.stopRequested || state.stopRequested { break }
                if let limit = budget.updates, state.updates >= limit { break }
                if let limit = budget.environmentSteps, state.environmentSteps >= limit { break }
                try step()
            }
        } catch ReplayError.closed where statistics.stopRequested && statistics.error == nil {
            // Shutdown while waiting for data.
        } catch {
            // A collector's failure closes the table; report the cause, not the closed table.
            failure = statistics.error.map { TrainingError.collectorFailed($0) } ?? error
        }
        onLoopExit?()
        if failure == nil, let message = statistics.error { failure = TrainingError.collectorFailed(message) }
        for callback in callbacks {
            do { try callback.endTraining(&state) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }


    /// One update: sample (or take the next rollout), then the callbacks' hooks in order.
    public func step() throws {
        let sampleStart = clock.now
        switch source {
        case .replay(let table, let prioritized):
            try feed?(state.updates)
            if let prioritized {
                try prioritized.sample(into: batch, count: batchSize, using: &rng)
            } else {
                try table.sample(into: batch, count: batchSize, using: &rng)
            }
        case .rollouts(let buffer):
            buffer.release()
            try feed?(state.updates)
            try buffer.take(into: batch)
            // Every collector rests until the next take: the count is exact, threads or not, and
            // includes this rollout (the step count schedules see, as Stable-Baselines3's).
            if let statistics { state.environmentSteps = statistics.environmentSteps }
        }
        sampleSeconds += (clock.now - sampleStart) / .seconds(1)
        for callback in callbacks {
            if let cycle = callback.cycle, state.updates % cycle == 0 { try callback.beginCycle(&state) }
        }
        for callback in callbacks { try callback.beginBatch(batch, state: &state) }
        for callback in callbacks { try callback.backward(batch, state: &state) }
        for callback in callbacks { try callback.endBatch(batch, state: &state) }
        state.updates += 1
        for callback in callbacks {
            if let cycle = callback.cycle, state.updates % cycle == 0 { try callback.endCycle(&state) }
        }
    }
}
