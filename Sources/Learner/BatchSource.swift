import Memory
import SeededRandom

/// Where a trainer's batches come from: a replay table sampled (`ReplaySampling`), each whole
/// rollout (`RolloutTaking`), or a memory of an algorithm's own. A run's data flow makes one
/// beside the memory it fills; the trainer only asks it for the next batch.
public protocol BatchSource: AnyObject {
    /// The buffers the trainer fills and hands its callbacks (made once, reused every update).
    func makeBatch() -> ReplayBatch
    /// Before the first update (with `updates` already done, after a resume): waits until the
    /// memory can give a batch.
    func awaitFirstBatch(updates: Int) throws
    /// Fills `batch` for the next update (`updates` done so far), drawing from `rng` if it
    /// samples; may wait for the collectors.
    func fill(_ batch: ReplayBatch, updates: Int, rng: inout Xoshiro256) throws
    /// Whether every collector rests once `fill` returns (a whole rollout was taken): the run's
    /// step count is then exact at this point, and the update sees it.
    var collectorsRestAfterFill: Bool { get }
}

extension BatchSource {
    public func awaitFirstBatch(updates: Int) throws {}
    public var collectorsRestAfterFill: Bool { false }
}

/// Batches of `batchSize` transitions sampled from a replay table, uniformly or through a
/// prioritized sampler, once it holds `minSize` rows.
public final class ReplaySampling: BatchSource {
    public let table: ReplayTable
    public let prioritized: PrioritizedSampler?
    public let batchSize: Int
    public let minSize: Int
    /// Deterministic mode: steps the (single, inline) collector before the size wait and before
    /// every sample, with the updates done so far, until the table holds what the update may
    /// sample. Nil when collectors run on their own threads.
    public var feed: ((_ updates: Int) throws -> Void)?

    public init(table: ReplayTable, batchSize: Int, minSize: Int, prioritized: PrioritizedSampler? = nil) {
        self.table = table
        self.prioritized = prioritized
        self.batchSize = batchSize
        self.minSize = max(minSize, batchSize)
    }

    public func makeBatch() -> ReplayBatch { ReplayBatch(spec: table.spec, capacity: batchSize) }

    public func awaitFirstBatch(updates: Int) throws {
        try feed?(updates)
        try table.awaitSize(minSize)
    }

    public func fill(_ batch: ReplayBatch, updates: Int, rng: inout Xoshiro256) throws {
        try feed?(updates)
        if let prioritized {
            try prioritized.sample(into: batch, count: batchSize, using: &rng)
        } else {
            try table.sample(into: batch, count: batchSize, using: &rng)
        }
    }
}

/// Each whole rollout as one batch: the collectors of the previous one are released first, and
/// the algorithm's loss makes its own epochs and minibatches of it.
public final class RolloutTaking: BatchSource {
    public let buffer: RolloutBuffer
    /// Deterministic mode: every collector fills its segment inline before each take.
    public var feed: ((_ updates: Int) throws -> Void)?

    public init(buffer: RolloutBuffer) { self.buffer = buffer }

    public func makeBatch() -> ReplayBatch { ReplayBatch(spec: buffer.spec, capacity: buffer.rows) }

    public func fill(_ batch: ReplayBatch, updates: Int, rng: inout Xoshiro256) throws {
        buffer.release()
        try feed?(updates)
        try buffer.take(into: batch)
    }

    /// Every collector rests until the next take: the count is exact, threads or not, and
    /// includes this rollout (the step count schedules see, as Stable-Baselines3's).
    public var collectorsRestAfterFill: Bool { true }
}
