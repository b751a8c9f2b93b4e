/// Preallocated buffers a sampled batch is written into; make one per batch size and reuse it,
/// so sampling allocates nothing.
///
///     let batch = ReplayBatch(spec: table.spec, capacity: 256)
///     try table.sample(into: batch, count: 256, using: &rng)
///     batch.observations   // (256, observationSize), row-major
public final class ReplayBatch {
    public let spec: TransitionSpec
    /// The largest batch these buffers hold.
    public let capacity: Int
    /// Number of valid rows from the last sample.
    public internal(set) var count = 0

    /// (capacity, observationSize)
    public internal(set) var observations: [Float]
    /// (capacity, observationSize)
    public internal(set) var nextObservations: [Float]
    /// Discrete specs: the action index per row.
    public internal(set) var actionIndices: [Int32]
    /// Continuous specs: (capacity, actionSize).
    public internal(set) var actionValues: [Float]
    public internal(set) var rewards: [Float]
    /// 1 where the transition terminated (no bootstrap), else 0.
    public internal(set) var terminated: [Float]
    /// 1 where the episode was truncated at this transition, else 0.
    public internal(set) var truncated: [Float]
    /// (capacity, spec.extrasWidth)
    public internal(set) var extras: [Float]
    /// Which stored transition each row came from (its insertion number), for priority updates.
    public internal(set) var keys: [UInt64]
    /// Importance-sampling weights (all 1 for uniform sampling).
    public internal(set) var weights: [Float]

    /// Rewrites the observations and next observations of the valid rows in place (a learner
    /// normalising what it sampled).
    public func transformObservations(_ body: (_ observations: UnsafeMutableBufferPointer<Float>,
                                               _ nextObservations: UnsafeMutableBufferPointer<Float>) -> Void) {
        let n = count * spec.observationSize
        observations.withUnsafeMutableBufferPointer { o in
            nextObservations.withUnsafeMutableBufferPointer { next in
                body(UnsafeMutableBufferPointer(rebasing: o[0..<n]), UnsafeMutableBufferPointer(rebasing: next[0..<n]))
            }
        }
    }

    public init(spec: TransitionSpec, capacity: Int) {
        precondition(capacity > 0, "batch capacity must be positive")
        self.spec = spec
        self.capacity = capacity
        observations = Array(repeating: 0, count: capacity * spec.observationSize)
        nextObservations = Array(repeating: 0, count: capacity * spec.observationSize)
        if case .continuous(let size) = spec.action {
            actionValues = Array(repeating: 0, count: capacity * size)
            actionIndices = []
        } else {
            actionValues = []
            actionIndices = Array(repeating: 0, count: capacity)
        }
        rewards = Array(repeating: 0, count: capacity)
        terminated = Array(repeating: 0, count: capacity)
        truncated = Array(repeating: 0, count: capacity)
        extras = Array(repeating: 0, count: capacity * spec.extrasWidth)
        keys = Array(repeating: 0, count: capacity)
        weights = Array(repeating: 1, count: capacity)
    }

    // MARK: - Filling a batch from a memory of another kind

    /// Writes `t` as row `i` (weight 1), for a memory other than the replay table and the
    /// rollout buffer (an algorithm's own data flow) filling the batch its trainer hands on.
    /// Columns must match the batch's spec.
    public func write(row i: Int, _ t: TransitionView, key: UInt64 = 0) {
        precondition(i >= 0 && i < capacity, "row \(i) outside a batch of \(capacity)")
        let o = spec.observationSize, e = spec.extrasWidth
        precondition(t.observation.count == o && t.nextObservation.count == o && t.extras.count == e, "a transition of another spec")
        for j in 0..<o {
            observations[i * o + j] = t.observation[j]
            nextObservations[i * o + j] = t.nextObservation[j]
        }
        if case .continuous(let size) = spec.action {
            precondition(t.actionValues.count == size, "a transition of another spec")
            for j in 0..<size { actionValues[i * size + j] = t.actionValues[j] }
        } else {
            actionIndices[i] = t.actionIndex
        }
        rewards[i] = t.reward
        terminated[i] = t.terminated ? 1 : 0
        truncated[i] = t.truncated ? 1 : 0
        for j in 0..<e { extras[i * e + j] = t.extras[j] }
        keys[i] = key
        weights[i] = 1
    }

    /// Sets how many rows are valid, after `write(row:_:key:)`.
    public func setCount(_ n: Int) {
        precondition(n >= 0 && n <= capacity, "\(n) rows in a batch of \(capacity)")
        count = n
    }
}
