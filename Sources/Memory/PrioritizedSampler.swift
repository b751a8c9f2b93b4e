import CSupport
import SeededRandom
#if canImport(Glibc)
import Glibc
#endif

/// Proportional prioritized sampling (Schaul et al., 2016) over a `ReplayTable`: transition i is
/// drawn with probability p_i^α / Σ p^α and weighted by (N · P(i))^−β / max_j (N · P(j))^−β.
///
///     let per = PrioritizedSampler(table: table, alpha: 0.6, beta: 0.4)
///     try per.sample(into: batch, count: 256, using: &rng)     // batch.weights filled
///     try per.updatePriorities(keys: batch.keys[..<256], priorities: tdErrors)  // |δ| per row
///
/// The sampler is owned by the learner thread and keeps inserts lock-free: collectors never
/// touch its sum tree. Before each sample it catches up with the rows inserted since the last
/// one, giving each the largest priority seen so far (so new transitions are sampled at least
/// once soon), and a priority update for a row that was overwritten since it was sampled is
/// ignored (rows are identified by their insertion number, `batch.keys`).
///
/// Draws are stratified (one per equal slice of the total priority), and the batch's tree
/// descents run level by level together so their memory accesses overlap. Cost per batch:
/// O(k log capacity) plus O(new rows · log capacity) for the catch-up.
public final class PrioritizedSampler {
    public let table: ReplayTable
    /// Priority exponent α (0 = uniform).
    public var alpha: Double
    /// Importance-sampling exponent β (anneal it toward 1 over training).
    public var beta: Double
    /// Added to every |δ| so no transition's probability drops to zero.
    public var epsilon: Double

    private let leafCount: Int
    // Trees in 1-based heap layout over 2·leafCount nodes; raw buffers, because these loops are
    // the sampler's hot path and an array stored in a class pays an exclusivity check per access.
    private let sums: UnsafeMutableBufferPointer<Double>      // sum of p^α
    private let minimums: UnsafeMutableBufferPointer<Double>  // min of p^α (+inf for empty leaves)
    private let slotKeys: UnsafeMutableBufferPointer<UInt64>  // whose priority each leaf holds
    private var syncedKey: UInt64 = 0 // all insertion numbers below this have a leaf
    private var maxPriority = 1.0     // largest p^α seen
    private var scratchNodes: [Int] = []
    private var scratchTargets: [Double] = []

    public init(table: ReplayTable, alpha: Double = 0.6, beta: Double = 0.4, epsilon: Double = 1e-6) {
        self.table = table
        self.alpha = alpha
        self.beta = beta
        self.epsilon = epsilon
        var leaves = 1
        while leaves < table.capacity { leaves *= 2 }
        leafCount = leaves
        sums = .allocate(capacity: 2 * leaves)
        sums.initialize(repeating: 0)
        minimums = .allocate(capacity: 2 * leaves)
        minimums.initialize(repeating: .infinity)
        slotKeys = .allocate(capacity: table.capacity)
        slotKeys.initialize(repeating: .max)
    }

    deinit {
        sums.deallocate()
        minimums.deallocate()
        slotKeys.deallocate()
    }

    /// Total of p^α over the rows the sampler knows.
    public var totalPriority: Double { sums[1] }

    /// The current p^α of the row holding insertion number `key`, or nil if it was overwritten.
    public func priority(ofKey key: UInt64) -> Double? {
        let slot = Int(key % UInt64(table.capacity))
        return slotKeys[slot] == key ? sums[leafCount + slot] : nil
    }

    private func setLeaf(_ slot: Int, _ value: Double) {
        var node = leafCount + slot
        sums[node] = value
        minimums[node] = value
        node /= 2
        while node >= 1 {
            sums[node] = sums[2 * node] + sums[2 * node + 1]
            minimums[node] = min(minimums[2 * node], minimums[2 * node + 1])
            node /= 2
        }
    }

    /// Recomputes the inner nodes above leaves `first..<end` (slots), level by level:
    /// O(count + log capacity) instead of O(count · log capacity) for one update per leaf.
    private func refreshRange(_ first: Int, _ end: Int) {
        var low = (leafCount + first) / 2, high = (leafCount + end - 1) / 2
        while low >= 1 {
            for node in low...high {
                sums[node] = sums[2 * node] + sums[2 * node + 1]
                minimums[node] = min(minimums[2 * node], minimums[2 * node + 1])
            }
            low /= 2
            high /= 2
        }
    }

    /// Gives every row inserted since the last call the maximum priority. New rows occupy at
    /// most two contiguous runs of slots (the ring wraps once), each refreshed as a range.
    private func catchUp() {
        let claimedNow = table.claimed.load(ordering: .acquiring)
        guard claimedNow > syncedKey else { return }
        let capacity = UInt64(table.capacity)
        let first = max(syncedKey, claimedNow > capacity ? claimedNow - capacity : 0)
        var key = first
        while key < claimedNow {
            let slot = Int(key % capacity)
            let run = Int(min(claimedNow - key, capacity - UInt64(slot)))
            for j in 0..<run {
                slotKeys[slot + j] = key + UInt64(j)
                sums[leafCount + slot + j] = maxPriority
                minimums[leafCount + slot + j] = maxPriority
            }
            refreshRange(slot, slot + run)
            key += UInt64(run)
        }
        syncedKey = claimedNow
    }

    /// One descent from the root to the leaf where the prefix sum reaches `target`.
    private func descend(_ target: Double) -> Int {
        var node = 1
        var target = target
        while node < leafCount {
            let left = 2 * node
            if target < sums[left] || sums[left + 1] == 0 { node = left } else { target -= sums[left]; node = left + 1 }
        }
        return node - leafCount
    }

    /// Samples `count` rows in proportion to their priorities into `batch` and fills
    /// `batch.weights`. Allocation-free after the first call at a given batch size.
    public func sample(into batch: ReplayBatch, count k: Int, using rng: inout Xoshiro256) throws {
        try table.prepareSample(batch, count: k)
        catchUp()
        let total = sums[1]
        if scratchNodes.count < k {
            scratchNodes = Array(repeating: 0, count: k)
            scratchTargets = Array(repeating: 0, count: k)
        }
        let segment = total / Double(k)
        let tree = sums
        scratchNodes.withUnsafeMutableBufferPointer { nodes in
            scratchTargets.withUnsafeMutableBufferPointer { targets in
                    for i in 0..<k {
                        nodes[i] = 1
                        targets[i] = (Double(i) + rng.nextUnitDouble()) * segment
                    }
                    // All k descents advance one level at a time: their loads are independent,
                    // so the processor overlaps the cache misses of the lower levels.
                    var width = leafCount
                    while width > 1 {
                        for i in 0..<k {
                            let left = 2 * nodes[i]
                            if targets[i] < tree[left] || tree[left + 1] == 0 {
                                nodes[i] = left
                            } else {
                                targets[i] -= tree[left]
                                nodes[i] = left + 1
                            }
                        }
                        width /= 2
                    }
            }
        }
        let rows = table.rowScratch(k)
        for i in 0..<k { rows[i] = scratchNodes[i] - leafCount }
        table.gather(into: batch, count: k, rows: UnsafeBufferPointer(rows),
                     redraw: { _ in self.descend(rng.nextUnitDouble() * total) })
        // Importance weights, normalised by the largest possible weight (from the smallest priority).
        let n = Double(table.count)
        let minProbability = minimums[1] / total
        let maxWeight = pow(n * minProbability, -beta)
        batch.weights.withUnsafeMutableBufferPointer { weights in
            batch.keys.withUnsafeBufferPointer { keys in
                for i in 0..<k {
                    let slot = Int(keys[i] % UInt64(table.capacity))
                    let probability = sums[leafCount + slot] / total
                    weights[i] = Float(pow(n * probability, -beta) / maxWeight)
                }
            }
        }
        table.finishSample(batch, count: k)
    }

    /// Sets new priorities (typically |TD error|) for the first `count` sampled rows (all of
    /// `priorities` by default), identified by their keys (`batch.keys`). Every value is checked
    /// first: a NaN, infinite or negative one throws `ReplayError.invalidPriority` naming its
    /// position, and nothing is changed. Rows overwritten since they were sampled are skipped.
    public func updatePriorities(keys: [UInt64], priorities: [Float], count: Int? = nil) throws {
        let count = count ?? priorities.count
        guard count <= keys.count, count <= priorities.count else {
            throw ReplayError.batchBufferMismatch(detail: "\(count) updates but \(keys.count) keys and \(priorities.count) priorities")
        }
        for position in 0..<count where !(priorities[position].isFinite && priorities[position] >= 0) {
            throw ReplayError.invalidPriority(value: Double(priorities[position]), position: position)
        }
        // Set the leaves first, then refresh their ancestors one level at a time for the whole
        // batch: the loads of one level are independent of each other, so their cache misses
        // overlap (one leaf-to-root walk per update would take them one by one).
        if scratchNodes.count < count { scratchNodes = Array(repeating: 0, count: count) }
        // Prefetch every key's bookkeeping first: the slots are random, so each is a cache miss,
        // and issued together they overlap.
        for position in 0..<count {
            let slot = Int(keys[position] % UInt64(table.capacity))
            rl_prefetch(slotKeys.baseAddress! + slot)
            rl_prefetch(sums.baseAddress! + leafCount + slot)
            rl_prefetch(minimums.baseAddress! + leafCount + slot)
        }
        var dirty = 0
        for position in 0..<count {
            let key = keys[position], p = priorities[position]
            let slot = Int(key % UInt64(table.capacity))
            guard slotKeys[slot] == key else { continue }
            let value = pow(Double(p) + epsilon, alpha)
            maxPriority = max(maxPriority, value)
            sums[leafCount + slot] = value
            minimums[leafCount + slot] = value
            scratchNodes[dirty] = (leafCount + slot) / 2
            dirty += 1
        }
        scratchNodes.withUnsafeMutableBufferPointer { nodes in
            var width = leafCount / 2
            while width >= 1 {
                for i in 0..<dirty {
                    let node = nodes[i]
                    sums[node] = sums[2 * node] + sums[2 * node + 1]
                    minimums[node] = min(minimums[2 * node], minimums[2 * node + 1])
                    nodes[i] = node / 2
                }
                width /= 2
            }
        }
    }
}
