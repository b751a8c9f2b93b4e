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

/// The learner loop: waits until its source can give a batch, then obtains one per update (a
/// sample of a replay table, a whole rollout, ...) and runs the callbacks on it, phase by phase
/// (`CallbackPhase`). It does nothing else: no threads, files or parsing.
///
///     let trainer = Trainer(table: table, callbacks: [dqnLoss, targetSync, publishing],
///                           batchSize: 64, minSize: 1_000, seed: 1)
///     try trainer.train(budget: TrainingBudget(environmentSteps: 50_000), statistics: control)
///
///     let onPolicy = Trainer(source: RolloutTaking(buffer: buffer), callbacks: [ppoLoss], seed: 1)   // an update per rollout
public final class Trainer {
    /// Where batches come from.
    public let source: BatchSource
    public let callbacks: [Callback]
    /// Counters and shared values; set it from a checkpoint (`LearnerCheckpoint.restore`) to resume.
    public var state = TrainingState()
    public var rng: Xoshiro256
    /// Called once when the loop ends (budget, stop request or error), before any callback's
    /// `endTraining`: the run stops and joins its collectors here, so the final checkpoint
    /// sees them at rest.
    public var onLoopExit: (() -> Void)?
    let batch: ReplayBatch
    /// Seconds spent obtaining batches after the memory could first give one (sampling plus
    /// any wait for the collectors imposed by the rate limit): how starved the learner was.
    public private(set) var sampleSeconds = 0.0
    /// Seconds in the update loop after the memory could first give a batch.
    public private(set) var loopSeconds = 0.0
    private let clock = ContinuousClock()
    /// The run's counters during `train`.
    private var statistics: RunControl?

    public init(source: BatchSource, callbacks: [Callback], seed: UInt64) {
        self.source = source
        self.callbacks = Self.inPhaseOrder(callbacks)
        rng = Xoshiro256(seed: seed)
        batch = source.makeBatch()
    }

    /// Batches of `batchSize` sampled from `table` (through `prioritized` when given) once it holds `minSize` rows.
    public convenience init(table: ReplayTable, callbacks: [Callback], batchSize: Int, minSize: Int,
                            prioritized: PrioritizedSampler? = nil, seed: UInt64) {
        self.init(source: ReplaySampling(table: table, batchSize: batchSize, minSize: minSize, prioritized: prioritized),
                  callbacks: callbacks, seed: seed)
    }

    /// `callbacks` by phase, in the order given within one (a stable sort).
    static func inPhaseOrder(_ callbacks: [Callback]) -> [Callback] {
        callbacks.enumerated().sorted { ($0.element.phase, $0.offset) < ($1.element.phase, $1.offset) }.map(\.element)
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
            try source.awaitFirstBatch(updates: state.updates)
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


    /// One update: the next batch from the source, then the callbacks' hooks in order.
    public func step() throws {
        let sampleStart = clock.now
        try source.fill(batch, updates: state.updates, rng: &rng)
        if source.collectorsRestAfterFill, let statistics { state.environmentSteps = statistics.environmentSteps }
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
