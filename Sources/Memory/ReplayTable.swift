import Atomics
import CSupport
import SeededRandom

/// A fixed-capacity replay table that many collectors insert into at once, without locks,
/// while the learner samples from it.
///
///     let table = try ReplayTable(spec: TransitionSpec(observationSize: 4, action: .discrete(n: 2)),
///                                 capacity: 100_000)
///     try table.insert(transition)                              // any thread; lock-free, no allocation
///     try table.awaitSize(1_000)                                // learner: sleeps until 1,000 are in
///     try table.sample(into: batch, count: 256, using: &rng)    // one thread at a time (the learner)
///     table.close()                                             // shutdown: wakes every waiter
///
/// Storage is one preallocated block of rows (a row is the transition's 32-bit words plus a
/// sequence stamp and its insertion number, padded to whole 64-byte cache lines), so sampling a
/// transition touches one or a few cache lines. Once full, the oldest rows are overwritten
/// (FIFO). Sampling is uniform with replacement over the rows written so far and is
/// reproducible for a given seed when no insert runs concurrently.
///
/// Ordering argument (a seqlock per row; every shared word is an atomic, so the argument is
/// checkable by ThreadSanitizer):
/// - `claimed.loadThenWrappingIncrement(.relaxed)` hands each writer a unique insertion number
///   and so a slot; nothing is published through it, so relaxed is enough.
/// - Writer: CAS the row's stamp from even to odd (`.acquiring`, so a writer that lapped an
///   earlier writer of the same slot sees that writer's words as written before its own), a
///   release fence (orders the odd stamp before the payload stores), payload stores (relaxed),
///   then stamp = odd + 1 (`.releasing`: publishes the payload), then `completed += 1`
///   (`.releasing`).
/// - Reader: s1 = stamp (`.acquiring`); reject 0 (never written) and odd (being written); copy
///   the payload (relaxed loads); acquire fence; s2 = stamp (relaxed). Keep the row only if
///   s1 == s2: by the fence pair, a reader that saw any word of a newer write sees its odd stamp.
///   A rejected row is redrawn, so a torn or half-written row is never returned.
public final class ReplayTable: @unchecked Sendable {
    public let spec: TransitionSpec
    public let capacity: Int

    // Row layout, in 32-bit words.
    @usableFromInline let rowStride: Int
    // The fixed offsets are CSupport's, which the C copy loop shares.
    @usableFromInline static let stampWord = Int(RL_REPLAY_STAMP_WORD)
    @usableFromInline static let keyWord = Int(RL_REPLAY_KEY_WORD)     // two words: the insertion number
    @usableFromInline static let observationWord = Int(RL_REPLAY_OBSERVATION_WORD)
    @usableFromInline let nextObservationWord: Int
    @usableFromInline let actionWord: Int
    @usableFromInline let rewardWord: Int
    @usableFromInline let flagsWord: Int
    @usableFromInline let extrasWord: Int
    @usableFromInline let actionWidth: Int
    /// `spec.extrasWidth`, kept here: the insert path must not read `spec.extras` (an array whose
    /// shared reference count every producer thread would otherwise bump per insert).
    @usableFromInline let extrasWidth: Int
    @usableFromInline let observationSize: Int
    @usableFromInline let discreteActions: Int?

    @usableFromInline let words: UnsafeMutablePointer<UnsafeAtomic<UInt32>.Storage>
    @usableFromInline let claimed = ManagedAtomic<UInt64>(0)
    @usableFromInline let completed = ManagedAtomic<UInt64>(0)
    let gate = WaitGate()
    let rateLimiter: RateLimiter?

    /// Creates an empty table.
    ///
    /// - Parameters:
    ///   - capacity: rows kept; the oldest is overwritten when full.
    ///   - rateLimit: an optional samples-per-insert limit (see `RateLimit`).
    public init(spec: TransitionSpec, capacity: Int, rateLimit: RateLimit? = nil) throws {
        guard capacity > 0 else { throw ReplayError.invalidConfiguration("capacity is \(capacity); it must be positive") }
        self.spec = spec
        self.capacity = capacity
        rateLimiter = rateLimit.map(RateLimiter.init)
        actionWidth = spec.action.width
        extrasWidth = spec.extrasWidth
        observationSize = spec.observationSize
        if case .discrete(let n) = spec.action { discreteActions = n } else { discreteActions = nil }
        nextObservationWord = Self.observationWord + spec.observationSize
        actionWord = nextObservationWord + spec.observationSize
        rewardWord = actionWord + actionWidth
        flagsWord = rewardWord + 1
        extrasWord = flagsWord + 1
        let used = extrasWord + extrasWidth
        rowStride = (used + 15) / 16 * 16   // whole 64-byte lines, so a row never straddles one more than needed
        let (total, overflow) = capacity.multipliedReportingOverflow(by: rowStride)
        guard !overflow, total < Int.max / 4 else {
            throw ReplayError.invalidConfiguration("capacity \(capacity) with \(rowStride)-word rows is too large")
        }
        // Large tables are aligned to 2 MiB and advised onto huge pages: sampling reads rows at
        // random, and with 4 KiB pages nearly every sampled row would also miss the TLB.
        let bytes = total * 4
        let alignment = bytes >= (8 << 20) ? 2 << 20 : 64
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
        if alignment > 64 { _ = rl_advise_huge_pages(raw, UInt(bytes)) }
        words = raw.bindMemory(to: UnsafeAtomic<UInt32>.Storage.self, capacity: total)
        words.initialize(repeating: UnsafeAtomic<UInt32>.Storage(0), count: total)
        gatherLayout = rl_replay_layout(
            words: UnsafeRawPointer(words).assumingMemoryBound(to: UInt32.self), row_stride: rowStride,
            next_observation_word: nextObservationWord, action_word: actionWord, reward_word: rewardWord,
            flags_word: flagsWord, extras_word: extrasWord, observation_size: observationSize,
            action_width: actionWidth, extras_width: extrasWidth, discrete: discreteActions == nil ? 0 : 1,
            skip_stamp_recheck: 0)
    }

    deinit {
        words.deinitialize(count: capacity * rowStride)
        UnsafeMutableRawPointer(words).deallocate()
        rowScratch.deallocate()
        retryScratch.deallocate()
    }

    /// Row indices drawn for the current sample (learner-owned; grown on the first larger batch).
    var rowScratch = UnsafeMutableBufferPointer<Int>.allocate(capacity: 0)

    func rowScratch(_ k: Int) -> UnsafeMutableBufferPointer<Int> { grown(&rowScratch, to: k, zero: 0) }

    /// Positions of the current sample whose rows were being written (learner-owned).
    var retryScratch = UnsafeMutableBufferPointer<Int>.allocate(capacity: 0)
    func retryScratch(_ k: Int) -> UnsafeMutableBufferPointer<Int> { grown(&retryScratch, to: k, zero: 0) }

    /// The row layout as the C copy loop reads it (fixed at creation).
    var gatherLayout = rl_replay_layout()

    /// `buffer`, reallocated (zeroed) first when it holds fewer than `k` elements.
    private func grown<T>(_ buffer: inout UnsafeMutableBufferPointer<T>, to k: Int, zero: T) -> UnsafeMutableBufferPointer<T> {
        if buffer.count < k {
            buffer.deallocate()
            buffer = .allocate(capacity: k)
            buffer.initialize(repeating: zero)
        }
        return buffer
    }

    /// Bytes of row storage.
    public var storageBytes: Int { capacity * rowStride * 4 }

    /// Transitions fully written so far (all time, not capped by capacity).
    public var insertCount: UInt64 { completed.load(ordering: .sequentiallyConsistent) }

    /// Transitions currently held: `min(insertCount, capacity)`.
    public var count: Int { Int(min(completed.load(ordering: .sequentiallyConsistent), UInt64(capacity))) }

    /// Transitions sampled so far (counted only when a rate limit is set).
    public var sampleCount: UInt64 { rateLimiter?.samples.load(ordering: .relaxed) ?? 0 }

    /// Sample calls that waited for the collectors under the rate limit (the learner was ahead).
    public var rateLimitedSamples: UInt64 { rateLimiter?.sampleWaits.load(ordering: .relaxed) ?? 0 }
    /// Insert calls that waited for the learner under the rate limit (the collectors were ahead).
    public var rateLimitedInserts: UInt64 { rateLimiter?.insertWaits.load(ordering: .relaxed) ?? 0 }

    /// Whether `close()` was called.
    public var isClosed: Bool { gate.isClosed }

    /// Threads blocked in this table right now (the learner waiting for rows or for the rate
    /// limiter, collectors waiting for the learner): lets a caller, or a test, see that a wait began.
    public var blockedThreads: Int { gate.sleepers }

    /// Tests only: samples keep a row without the seqlock's second stamp load, so a row a writer
    /// changed mid-copy is taken torn. It exists to show that the stress tests catch such tears
    /// (`Tests/MemoryTests/ConcurrencyTests.swift`); set it before sampling starts, never in a run.
    @_spi(Testing) public var skipsStampRecheckForTesting: Bool {
        get { gatherLayout.skip_stamp_recheck != 0 }
        set { gatherLayout.skip_stamp_recheck = newValue ? 1 : 0 }
    }

    @inline(__always) @usableFromInline
    func word(_ row: Int, _ offset: Int) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: words + (row * rowStride + offset))
    }

    // MARK: Insert

    /// Inserts one transition. Lock-free and allocation-free; any number of threads may insert
    /// at once. Blocks only when a rate limit holds collectors back (and then sleeps, waking on
    /// sampling or `close()`). Throws on a wrong column width or action index, or when closed.
    ///
    /// Each call claims its row and publishes it with atomic read-modify-writes on counters
    /// that every producer shares; a producer that inserts a lot should use a `Writer`, which
    /// claims rows in blocks and publishes in batches.
    public func insert(_ t: TransitionView) throws {
        try validate(t)
        try admit()
        let key = claimed.loadThenWrappingIncrement(ordering: .relaxed)
        write(t, key: key, row: Int(key % UInt64(capacity)))
        publish(1)
    }

    /// Whether the rate limit lets collectors insert now (always without one). A producer that
    /// must not block (an async server handler) polls this, then inserts a whole batch with
    /// `Writer.insert(_:waiting: false)`: each such producer can overshoot the limit's bound by
    /// one batch, which only lets the learner run ahead until it is caught up (size the limit's
    /// `errorBuffer` for the batches). Counts a wait when it says no, unless told not to (a
    /// producer polling again for the same batch).
    public func admitsInserts(countingWait: Bool = true) -> Bool {
        guard let limiter = rateLimiter else { return true }
        if limiter.canInsert() { return true }
        if countingWait { limiter.insertWaits.wrappingIncrement(ordering: .relaxed) }
        return false
    }

    /// Waits while the rate limit holds inserts back; throws when closed.
    @inline(__always)
    func admit() throws {
        if let limiter = rateLimiter, !limiter.canInsert() {
            limiter.insertWaits.wrappingIncrement(ordering: .relaxed)
            try gate.wait { limiter.canInsert() }
        }
        if gate.isClosed { throw ReplayError.closed }
    }

    /// Writes one validated transition with insertion number `key` into its row,
    /// `key % capacity` (seqlock write).
    @inline(__always)
    func write(_ t: TransitionView, key: UInt64, row: Int) {
        let stamp = word(row, Self.stampWord)
        let odd = lockRow(stamp)
        atomicMemoryFence(ordering: .releasing)
        word(row, Self.keyWord).store(UInt32(truncatingIfNeeded: key), ordering: .relaxed)
        word(row, Self.keyWord + 1).store(UInt32(truncatingIfNeeded: key >> 32), ordering: .relaxed)
        store(t.observation, row: row, at: Self.observationWord)
        store(t.nextObservation, row: row, at: nextObservationWord)
        if discreteActions != nil {
            word(row, actionWord).store(UInt32(bitPattern: t.actionIndex), ordering: .relaxed)
        } else {
            store(t.actionValues, row: row, at: actionWord)
        }
        word(row, rewardWord).store(t.reward.bitPattern, ordering: .relaxed)
        word(row, flagsWord).store((t.terminated ? 1 : 0) | (t.truncated ? 2 : 0), ordering: .relaxed)
        if extrasWidth > 0 { store(t.extras, row: row, at: extrasWord) }
        var even = odd &+ 1
        if even == 0 { even = 2 }   // 0 is reserved for "never written"
        stamp.store(even, ordering: .releasing)
    }

    /// Counts `n` finished inserts and wakes sleepers. The counter updates are sequentially
    /// consistent read-modify-writes, which is the waker's half of `WaitGate`'s argument.
    @inline(__always)
    func publish(_ n: Int) {
        completed.wrappingIncrement(by: UInt64(n), ordering: .sequentiallyConsistent)
        rateLimiter?.inserts.wrappingIncrement(by: UInt64(n), ordering: .sequentiallyConsistent)
        gate.notify()
    }

    /// One producer's insert handle: claims rows in blocks of `blockSize` with one atomic
    /// add, and publishes its finished inserts (for `count`, `awaitSize` and the rate limit) once
    /// per block and on `flush()`. That keeps producers off each other's cache lines, so
    /// inserts scale with producer threads. Rows are still written whole under their seqlock;
    /// `count` lags the writes by at most `blockSize` per writer until `flush()`.
    ///
    ///     let writer = table.makeWriter()        // one per collector thread; not shared
    ///     try writer.insert(transition)
    ///     writer.flush()                         // after each batch of env steps
    ///
    /// FIFO order holds between blocks; within the table, rows of concurrent writers interleave
    /// by block. A writer abandoned mid-block leaves the rest of its block unwritten (readers
    /// skip such rows).
    public final class Writer {
        public let table: ReplayTable
        public let blockSize: Int
        private var nextKey: UInt64 = 0
        private var endKey: UInt64 = 0
        /// `nextKey % capacity`, advanced with the key: a 64-bit division per insert cost about
        /// a fifth of an insert.
        private var nextRow = 0
        private var unpublished = 0

        init(table: ReplayTable, blockSize: Int) {
            self.table = table
            self.blockSize = blockSize
        }

        /// Inserts one transition (see `ReplayTable.insert`). With `waiting` false it skips the
        /// rate limit: for inserts already admitted as a batch (`ReplayTable.admitsInserts`).
        public func insert(_ t: TransitionView, waiting: Bool) throws {
            try table.validate(t)
            if waiting {
                if let limiter = table.rateLimiter, !limiter.canInsert() {
                    // Publish what this writer holds before sleeping: the learner may be waiting
                    // for exactly those inserts, and both sides would wait forever.
                    flush()
                }
                try table.admit()
            } else if table.gate.isClosed {
                throw ReplayError.closed
            }
            if nextKey == endKey {
                nextKey = table.claimed.loadThenWrappingIncrement(by: UInt64(blockSize), ordering: .relaxed)
                endKey = nextKey + UInt64(blockSize)
                nextRow = Int(nextKey % UInt64(table.capacity))
            }
            table.write(t, key: nextKey, row: nextRow)
            nextKey += 1
            nextRow += 1
            if nextRow == table.capacity { nextRow = 0 }
            unpublished += 1
            if unpublished == blockSize { flush() }
        }

        /// Inserts one transition (see `ReplayTable.insert`), waiting while the rate limit holds
        /// collectors back.
        public func insert(_ t: TransitionView) throws { try insert(t, waiting: true) }

        /// Publishes the inserts written so far.
        public func flush() {
            guard unpublished > 0 else { return }
            table.publish(unpublished)
            unpublished = 0
        }

        deinit { flush() }
    }

    /// A producer handle claiming `blockSize` rows at a time (see `Writer`). The default, 256,
    /// is where two producers of CartPole-size rows stop paying for the shared counters: with
    /// blocks of 64 they reached 39–45M inserts/s together, with 256 49–53M, and two producers
    /// sharing nothing (a table each) 51–56M (ReplayMemory benchmark, one sitting).
    public func makeWriter(blockSize: Int = 256) -> Writer {
        Writer(table: self, blockSize: max(1, min(blockSize, capacity)))
    }

    /// Moves a row's stamp from even to odd; spins (yielding) while another writer that lapped
    /// this one holds the row, which only happens when capacity is smaller than the writers in flight.
    @inline(__always)
    private func lockRow(_ stamp: UnsafeAtomic<UInt32>) -> UInt32 {
        var current = stamp.load(ordering: .relaxed)
        while true {
            if current & 1 == 0 {
                let (exchanged, original) = stamp.weakCompareExchange(
                    expected: current, desired: current &+ 1, successOrdering: .acquiring, failureOrdering: .relaxed)
                if exchanged { return current &+ 1 }
                current = original
            } else {
                sched_yield_portable()
                current = stamp.load(ordering: .relaxed)
            }
        }
    }

    @inline(__always)
    private func store(_ values: UnsafeBufferPointer<Float>, row: Int, at offset: Int) {
        let base = words + (row * rowStride + offset)
        for i in 0..<values.count {
            UnsafeAtomic<UInt32>(at: base + i).store(values[i].bitPattern, ordering: .relaxed)
        }
    }

    func validate(_ t: TransitionView) throws {
        if t.observation.count != observationSize {
            throw ReplayError.wrongColumnWidth(column: "observation", expected: observationSize, got: t.observation.count)
        }
        if t.nextObservation.count != observationSize {
            throw ReplayError.wrongColumnWidth(column: "next_observation", expected: observationSize, got: t.nextObservation.count)
        }
        if let n = discreteActions {
            if t.actionIndex < 0 || Int(t.actionIndex) >= n { throw ReplayError.actionOutOfRange(index: t.actionIndex, n: n) }
        } else if t.actionValues.count != actionWidth {
            throw ReplayError.wrongColumnWidth(column: "action", expected: actionWidth, got: t.actionValues.count)
        }
        if t.extras.count != extrasWidth {
            throw ReplayError.wrongColumnWidth(column: "extras", expected: extrasWidth, got: t.extras.count)
        }
    }

    // MARK: Waiting and shutdown

    /// Sleeps (without spinning) until the table holds at least `minSize` transitions.
    /// Throws `ReplayError.closed` if the table is closed first.
    public func awaitSize(_ minSize: Int) throws {
        try gate.wait(learner: true) { count >= min(minSize, capacity) }
    }

    /// Shuts the table: every blocked or later insert, wait or rate-limited sample throws
    /// `ReplayError.closed`. Sampling without a rate limit keeps working (the learner may finish
    /// its step).
    public func close() { gate.close() }

    /// Makes the learner's waits (`awaitSize`, a rate-limited sample) throw `ReplayError.closed`
    /// from now on, while inserts go on: a stop requested while the learner waits for
    /// collectors that may never come (remote ones, or threads that already stopped) ends its
    /// loop without cutting an insert short.
    public func releaseLearner() { gate.releaseLearner() }

    // MARK: Sampling

    /// Samples `count` transitions uniformly with replacement into `batch`; allocation-free.
    /// Call from one thread at a time. With a rate limit, blocks while the learner is too far
    /// ahead of the collectors.
    public func sample(into batch: ReplayBatch, count k: Int, using rng: inout Xoshiro256) throws {
        try prepareSample(batch, count: k)
        let drawable = Int(min(claimed.load(ordering: .relaxed), UInt64(capacity)))
        let rows = rowScratch(k)
        for i in 0..<k { rows[i] = rng.nextIndex(below: drawable) }
        gather(into: batch, count: k, rows: rows.baseAddress!, redraw: { _ in rng.nextIndex(below: drawable) })
        finishSample(batch, count: k)
    }

    /// Checks a sample request and applies the rate limit.
    func prepareSample(_ batch: ReplayBatch, count k: Int) throws {
        guard batch.spec == spec else { throw ReplayError.batchBufferMismatch(detail: "the batch buffers were made for another spec") }
        guard k > 0, k <= batch.capacity else {
            throw ReplayError.batchBufferMismatch(detail: "count \(k) must lie in 1...\(batch.capacity) (the batch buffers' capacity)")
        }
        if let limiter = rateLimiter {
            try limiter.checkBatch(k)
            if !limiter.canSample(k) {
                limiter.sampleWaits.wrappingIncrement(ordering: .relaxed)
                try gate.wait(learner: true) { limiter.canSample(k) }
            }
        }
        let available = count
        guard k <= available else { throw ReplayError.batchLargerThanContent(requested: k, available: available) }
    }

    func finishSample(_ batch: ReplayBatch, count k: Int) {
        batch.count = k
        if let limiter = rateLimiter {
            limiter.samples.wrappingIncrement(by: UInt64(k), ordering: .sequentiallyConsistent)
            gate.notify()
        }
    }

    /// Copies rows into the batch: `rows[i]` is the row for position i; `redraw(i)` picks
    /// another when that one was being written or never written (and is stored back into
    /// `rows[i]`). Fills
    /// `batch.keys`.
    ///
    /// The copy loop is C (`rl_replay_gather` in CSupport/ReplayGather.c, which says why): it
    /// prefetches rows 24 ahead so that the rows' cache misses overlap, and follows the seqlock
    /// above for each row. Rows it could not take (a writer was on them, or none has written
    /// them yet) come back as positions to redraw, one at a time.
    @inline(__always)
    func gather(into batch: ReplayBatch, count k: Int, rows: UnsafeMutablePointer<Int>, redraw: (Int) -> Int) {
        let retry = retryScratch(k)
        batch.observations.withUnsafeMutableBufferPointer { obs in
        batch.nextObservations.withUnsafeMutableBufferPointer { next in
        batch.actionIndices.withUnsafeMutableBufferPointer { indices in
        batch.actionValues.withUnsafeMutableBufferPointer { values in
        batch.rewards.withUnsafeMutableBufferPointer { rewards in
        batch.terminated.withUnsafeMutableBufferPointer { terminated in
        batch.truncated.withUnsafeMutableBufferPointer { truncated in
        batch.extras.withUnsafeMutableBufferPointer { extras in
        batch.keys.withUnsafeMutableBufferPointer { keys in
            var outputs = rl_replay_outputs(
                observations: obs.baseAddress, next_observations: next.baseAddress, action_values: values.baseAddress,
                rewards: rewards.baseAddress, terminated: terminated.baseAddress, truncated: truncated.baseAddress,
                extras: extras.baseAddress, action_indices: indices.baseAddress, keys: keys.baseAddress)
            withUnsafePointer(to: &gatherLayout) { layout in
                let failed = rl_replay_gather(layout, rows, 0, k, &outputs, retry.baseAddress!)
                for f in 0..<failed {
                    let i = retry[f]
                    var attempts = 0
                    repeat {
                        attempts += 1
                        if attempts % 1024 == 0 { sched_yield_portable() }
                        rows[i] = redraw(i)
                    } while rl_replay_gather(layout, rows, i, 1, &outputs, retry.baseAddress! + f) != 0
                }
            }
        }}}}}}}}}
    }

    /// The row holding insertion number `key`, if it has not been overwritten since.
    func row(forKey key: UInt64) -> Int? {
        let claimedNow = claimed.load(ordering: .relaxed)
        guard key < claimedNow, claimedNow - key <= UInt64(capacity) else { return nil }
        return Int(key % UInt64(capacity))
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func sched_yield_portable() { sched_yield() }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func sched_yield_portable() { sched_yield() }
#endif
