import CSupport
import SeededRandom
import StateDictIO
#if canImport(Glibc)
import Glibc
#endif

/// Proportional prioritized sampling (Schaul et al., 2016) over a `ReplayTable`: transition i is
/// drawn with probability p_i^α / Σ p^α and weighted by (N · P(i))^−β / max_j (N · P(j))^−β.
///
///     let per = PrioritizedSampler(table: table, alpha: 0.6, beta: 0.4)
///     try per.sample(into: batch, count: 256, using: &rng)     // batch.weights filled
///     try per.updatePriorities(keys: batch.keys, priorities: tdErrors, count: 256)  // |δ| per row (a buffer)
///
/// The sampler is owned by the learner thread and keeps inserts lock-free: collectors never
/// touch its sum tree. Before each sample it catches up with the rows inserted since the last
/// one, giving each the largest priority seen so far (so new transitions are sampled at least
/// once soon), and a priority update for a row that was overwritten since it was sampled is
/// ignored (rows are identified by their insertion number, `batch.keys`).
///
/// Draws are stratified (one per equal slice of the total priority). The sum and minimum trees
/// have eight children per node, stored together: a node's children are one 64-byte cache
/// line, so a descent through a million rows touches 7 lines instead of 20 (the binary tree
/// this replaced), and the batch's descents run level by level together so the cache misses of
/// the lower levels overlap. Cost per batch: O(k log₈ capacity) plus O(new rows) for the catch-up.
public final class PrioritizedSampler {
    public let table: ReplayTable
    /// Priority exponent α (0 = uniform).
    public var alpha: Double
    /// Importance-sampling exponent β (anneal it toward 1 over training).
    public var beta: Double
    /// Added to every |δ| so no transition's probability drops to zero.
    public var epsilon: Double

    /// Children per tree node.
    static let fanout = 8
    /// Levels (from the leaves up) whose lines are prefetched for a whole batch before use; the
    /// ones above are small enough (≤ 16k nodes for a million rows) to stay in cache.
    static let prefetchedLevels = 3
    /// Where each level starts in `sums` and `minimums`: level 0 holds the leaves (one per
    /// slot), level ℓ + 1 one node per eight of level ℓ, each level padded to a multiple of eight
    /// (padding: sum 0, minimum +inf); the top level has eight entries and the root is implicit.
    private let levelOffsets: [Int]
    private var topLevel: Int { levelOffsets.count - 2 }
    // Raw buffers, because these loops are the sampler's hot path and an array stored in a
    // class pays an exclusivity check per access.
    private let sums: UnsafeMutableBufferPointer<Double>      // sum of p^α below each node
    private let minimums: UnsafeMutableBufferPointer<Double>  // min of p^α below (+inf when empty)
    private let slotKeys: UnsafeMutableBufferPointer<UInt64>  // whose priority each leaf holds
    private var syncedKey: UInt64 = 0 // all insertion numbers below this have a leaf
    private var maxPriority = 1.0     // largest p^α seen
    private var scratchNodes: UnsafeMutableBufferPointer<Int> = .allocate(capacity: 0)
    private var scratchTargets: UnsafeMutableBufferPointer<Double> = .allocate(capacity: 0)

    public init(table: ReplayTable, alpha: Double = 0.6, beta: Double = 0.4, epsilon: Double = 1e-6) {
        self.table = table
        self.alpha = alpha
        self.beta = beta
        self.epsilon = epsilon
        let f = Self.fanout
        var offsets = [0]
        var width = (table.capacity + f - 1) / f * f
        while true {
            offsets.append(offsets.last! + width)
            if width == f { break }
            width = (width / f + f - 1) / f * f
        }
        levelOffsets = offsets
        // 64-byte aligned, so each node's eight children are exactly one cache line.
        func lines(_ value: Double) -> UnsafeMutableBufferPointer<Double> {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: offsets.last! * 8, alignment: 64)
            let buffer = UnsafeMutableBufferPointer(start: raw.bindMemory(to: Double.self, capacity: offsets.last!), count: offsets.last!)
            buffer.initialize(repeating: value)
            return buffer
        }
        sums = lines(0)
        minimums = lines(.infinity)
        slotKeys = .allocate(capacity: table.capacity)
        slotKeys.initialize(repeating: .max)
    }

    deinit {
        UnsafeMutableRawPointer(sums.baseAddress!).deallocate()
        UnsafeMutableRawPointer(minimums.baseAddress!).deallocate()
        slotKeys.deallocate()
        scratchNodes.deallocate()
        scratchTargets.deallocate()
    }

    /// Total of p^α over the rows the sampler knows.
    public var totalPriority: Double {
        let top = sums.baseAddress! + levelOffsets[topLevel]
        var total = 0.0
        for c in 0..<Self.fanout { total += top[c] }
        return total
    }

    /// The smallest p^α over the rows the sampler knows (+inf when it knows none).
    private var minimumPriority: Double {
        let top = minimums.baseAddress! + levelOffsets[topLevel]
        var smallest = Double.infinity
        for c in 0..<Self.fanout { smallest = min(smallest, top[c]) }
        return smallest
    }

    /// The current p^α of the row holding insertion number `key`, or nil if it was overwritten.
    public func priority(ofKey key: UInt64) -> Double? {
        let slot = Int(key % UInt64(table.capacity))
        return slotKeys[slot] == key ? sums[slot] : nil
    }

    /// Node `node` of level `level` (≥ 1) from its eight children: one cache line each.
    @inline(__always)
    private func refresh(level: Int, node: Int) {
        let f = Self.fanout
        let children = levelOffsets[level - 1] + node * f
        var sum = 0.0, smallest = Double.infinity
        for c in 0..<f {
            sum += sums[children + c]
            smallest = min(smallest, minimums[children + c])
        }
        sums[levelOffsets[level] + node] = sum
        minimums[levelOffsets[level] + node] = smallest
    }

    /// Recomputes the ancestors of leaves `first..<end` (slots), level by level:
    /// O(count + log capacity) instead of O(count · log capacity) for one update per leaf.
    private func refreshRange(_ first: Int, _ end: Int) {
        guard topLevel >= 1 else { return }
        var low = first, high = end - 1
        for level in 1...topLevel {
            low /= Self.fanout
            high /= Self.fanout
            for node in low...high { refresh(level: level, node: node) }
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
                sums[slot + j] = maxPriority
                minimums[slot + j] = maxPriority
            }
            refreshRange(slot, slot + run)
            key += UInt64(run)
        }
        syncedKey = claimedNow
    }

    /// Moves every descent in `nodes`/`targets` (node index on the level above, remaining
    /// prefix sum) one level down: the child where the target's prefix sum is reached. A target
    /// that rounding carried past its node's children takes the last child with priority.
    @inline(__always)
    private func descendOneLevel(_ level: Int, nodes: UnsafeMutablePointer<Int>, targets: UnsafeMutablePointer<Double>, count k: Int) {
        let f = Self.fanout
        let base = sums.baseAddress! + levelOffsets[level]
        // Touch every descent's children first: the scans below branch on the loaded values,
        // and a mispredicted branch after a cache miss would otherwise serialise the misses.
        if level < Self.prefetchedLevels { for i in 0..<k { rl_prefetch(base + nodes[i] * f) } }
        for i in 0..<k {
            let children = base + nodes[i] * f
            var target = targets[i]
            var chosen = -1, lastNonEmpty = 0
            for c in 0..<f {
                let s = children[c]
                if s > 0 {
                    if target < s { chosen = c; break }
                    target -= s
                    lastNonEmpty = c
                }
            }
            if chosen < 0 {
                chosen = lastNonEmpty
                target = children[chosen]   // stays past the end on the way down
            }
            targets[i] = target
            nodes[i] = nodes[i] * f + chosen
        }
    }

    /// Both scratch buffers hold at least `k` entries afterwards. They always grow together: a
    /// priority update once grew only the nodes, and a later, larger sample wrote past the targets.
    private func growScratch(to k: Int) {
        guard scratchNodes.count < k else { return }
        scratchNodes.deallocate()
        scratchTargets.deallocate()
        scratchNodes = .allocate(capacity: k)
        scratchTargets = .allocate(capacity: k)
    }

    /// Runs `k` descents from the root (each target a prefix sum in [0, total)); afterwards
    /// `nodes` holds their leaves, i.e. slots. All advance one level at a time: their loads are
    /// independent, so the processor overlaps the cache misses of the lower levels.
    private func descendToLeaves(nodes: UnsafeMutablePointer<Int>, targets: UnsafeMutablePointer<Double>, count k: Int) {
        for i in 0..<k { nodes[i] = 0 }
        for level in stride(from: topLevel, through: 0, by: -1) {
            descendOneLevel(level, nodes: nodes, targets: targets, count: k)
        }
    }

    /// One descent from the root to the leaf (slot) where the prefix sum reaches `target`.
    private func descend(_ target: Double) -> Int {
        var node = 0, remaining = target
        descendToLeaves(nodes: &node, targets: &remaining, count: 1)
        return node
    }

    /// Samples `count` rows in proportion to their priorities into `batch` and fills
    /// `batch.weights`. Allocation-free after the first call at a given batch size.
    public func sample(into batch: ReplayBatch, count k: Int, using rng: inout Xoshiro256) throws {
        try table.prepareSample(batch, count: k)
        catchUp()
        let total = totalPriority
        growScratch(to: k)
        let segment = total / Double(k)
        let nodes = scratchNodes.baseAddress!, targets = scratchTargets.baseAddress!
        for i in 0..<k { targets[i] = (Double(i) + rng.nextUnitDouble()) * segment }
        descendToLeaves(nodes: nodes, targets: targets, count: k)   // leaves are slots: the rows to gather
        table.gather(into: batch, count: k, rows: nodes,
                     redraw: { _ in self.descend(rng.nextUnitDouble() * total) })
        // Importance weights (N·P(i))^−β normalised by the largest possible one, from the
        // smallest priority: the ratio is (p_i / p_min)^−β. In Float: powf costs a third of
        // pow here, and a weight needs no more than Float's precision.
        let smallest = minimumPriority, exponent = Float(-beta)
        batch.weights.withUnsafeMutableBufferPointer { weights in
            batch.keys.withUnsafeBufferPointer { keys in
                for i in 0..<k {
                    let slot = Int(keys[i] % UInt64(table.capacity))
                    weights[i] = powf(Float(sums[slot] / smallest), exponent)
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
        try priorities.withUnsafeBufferPointer { try updatePriorities(keys: keys, priorities: $0, count: count) }
    }

    /// As above, from a buffer (the learner's preallocated TD errors; no array per update).
    public func updatePriorities(keys: [UInt64], priorities: UnsafeBufferPointer<Float>, count: Int? = nil) throws {
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
        growScratch(to: count)
        // Prefetch every key's bookkeeping first: the slots are random, so each is a cache miss,
        // and issued together they overlap.
        for position in 0..<count {
            let slot = Int(keys[position] % UInt64(table.capacity))
            rl_prefetch(slotKeys.baseAddress! + slot)
            rl_prefetch(sums.baseAddress! + slot)
            rl_prefetch(minimums.baseAddress! + slot)
        }
        let nodes = scratchNodes.baseAddress!
        var dirty = 0
        for position in 0..<count {
            let key = keys[position], p = priorities[position]
            let slot = Int(key % UInt64(table.capacity))
            guard slotKeys[slot] == key else { continue }
            // powf costs a third of pow here and Float's precision is plenty; Double only when
            // Float over- or underflows (α > 1 with huge errors, or a tiny ε).
            let base = Double(p) + epsilon
            var value = Double(powf(Float(base), Float(alpha)))
            if !(value.isFinite && value > 0) && base > 0 { value = pow(base, alpha) }
            maxPriority = max(maxPriority, value)
            sums[slot] = value
            minimums[slot] = value
            nodes[dirty] = slot
            dirty += 1
        }
        guard topLevel >= 1 else { return }
        for level in 1...topLevel {
            // As in the descent: the parents' lines are random, so ask for all of them first.
            if level < Self.prefetchedLevels {
                for i in 0..<dirty {
                    let node = levelOffsets[level] + nodes[i] / Self.fanout
                    rl_prefetch(sums.baseAddress! + node)
                    rl_prefetch(minimums.baseAddress! + node)
                }
            }
            for i in 0..<dirty {
                let node = nodes[i] / Self.fanout
                refresh(level: level, node: node)
                nodes[i] = node
            }
        }
    }
}

extension PrioritizedSampler {
    /// The priorities and what they belong to (for checkpoints; with the table's own state dict
    /// a resumed run samples exactly as the uninterrupted one): each slot's p^α and insertion
    /// number, how far the sampler caught up with the table, and the largest p^α seen.
    public func stateDict() -> StateDict {
        var dict = StateDict()
        dict["priorities"] = Tensor(doubles: UnsafeBufferPointer(rebasing: sums[0..<table.capacity]))
        dict["slot_keys"] = Tensor(uint64s: UnsafeBufferPointer(slotKeys))
        dict["synced_key"] = Tensor(uint64s: [syncedKey])
        dict["max_priority"] = Tensor(scalar: maxPriority)
        return dict
    }

    /// Restores `stateDict()` of a sampler over a table of the same capacity, and rebuilds the trees.
    public func loadStateDict(_ dict: StateDict) throws {
        let priorities = try dict.tensor("priorities").doubles(name: "priorities")
        let keys = try dict.tensor("slot_keys").uint64s(name: "slot_keys")
        let synced = try dict.tensor("synced_key").uint64s(name: "synced_key")
        guard priorities.count == table.capacity, keys.count == table.capacity, synced.count == 1 else {
            throw StateDictError.wrongShape(name: "priorities", expected: [table.capacity], found: [priorities.count])
        }
        guard priorities.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw StateDictError.corrupt(file: "prioritized sampler state", detail: "a priority is negative or not finite")
        }
        let maximum = try dict.scalar("max_priority")
        for slot in 0..<table.capacity {
            let present = keys[slot] != .max
            sums[slot] = present ? priorities[slot] : 0
            minimums[slot] = present ? priorities[slot] : .infinity
            slotKeys[slot] = keys[slot]
        }
        refreshRange(0, table.capacity)
        syncedKey = synced[0]
        maxPriority = maximum
    }
}
