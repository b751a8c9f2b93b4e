import Atomics
import Foundation
@_spi(Testing) import Memory
import SeededRandom
import Testing

/// Runs `body` on a new thread; `join()` waits for it and rethrows its error.
final class TestThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var error: (any Error)?
    init(_ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do { try body() } catch { self.error = error }
            self.done.signal()
        }
        thread.start()
    }
    func join() throws {
        done.wait()
        if let error { throw error }
    }
}

/// A wait for something another thread does, with a bound that fails loudly: returns once
/// `condition()` holds, throws (naming `what`) if it still does not after `seconds`. The bound
/// is far above the time the event takes on a loaded machine; it only keeps a broken wait from
/// hanging the suite.
struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

func waitUntil(_ what: String, seconds: Double = 60, _ condition: () throws -> Bool) throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(description: "gave up after \(seconds) s waiting until \(what)") }
        usleep(200)
    }
}

/// All threads spin here until every one has arrived, so they truly overlap.
final class SpinBarrier: Sendable {
    private let arrived = ManagedAtomic<Int>(0)
    private let parties: Int
    init(parties: Int) { self.parties = parties }
    func arriveAndWait() {
        arrived.wrappingIncrement(ordering: .acquiringAndReleasing)
        while arrived.load(ordering: .acquiring) < parties {}
    }
}

@Suite struct ReplayConcurrencyTests {
    /// Batches of 256 each stress test samples: counted, not timed, so a fast build does not
    /// see other values than a slow one, and every build crosses the record rule's wrap.
    static let sampleBatches = 3_000

    /// Producer p writes values p, p + 2, p + 4, … from just below the record rule's wrap at
    /// 2^20, so every run, however slow, writes records on both sides of it.
    static func firstValue(producer p: Int) -> UInt32 { (1 << 20) - 2_048 + UInt32(p) }

    /// `RL_TEST_SKIP_STAMP_RECHECK=1` runs the stress tests with the reader's second stamp load
    /// off (`ReplayTable.skipsStampRecheckForTesting`): they must then report tears, which shows
    /// that they can fail. Never set in CI.
    static var skipsRecheck: Bool { ProcessInfo.processInfo.environment["RL_TEST_SKIP_STAMP_RECHECK"] == "1" }

    /// Counts the torn rows of a sampled batch, keeping the first for the failure message.
    struct TornRows {
        var count = 0, sampled = 0
        var first: String?
        mutating func check(_ batch: ReplayBatch, rows: Int) {
            for i in 0..<rows where checkRecord(batch, i) == nil {
                count += 1
                if first == nil { first = describeRecord(batch, i) }
            }
            sampled += rows
        }
        var message: String { "\(count) torn records of \(sampled); the first: \(first ?? "none")" }
    }

    /// Two producers and a sampler; every sampled record is checked field by field, so a torn
    /// or half-written read fails the test. Runs under TSan in CI.
    @Test(arguments: [(cartPoleSpec, 1), (mujocoSpec, 1), (cartPoleSpec, 16)])
    func concurrentInsertsAndSamplesNeverTearARecord(spec: TransitionSpec, blockSize: Int) throws {
        let table = try ReplayTable(spec: spec, capacity: 512)  // small, so writers lap the sampler constantly
        table.skipsStampRecheckForTesting = Self.skipsRecheck
        let torn = try Self.stress(table, producers: 2, batches: Self.sampleBatches, blockSize: blockSize) { _ in false }
        #expect(torn.count == 0, "\(torn.message)")
        #expect(table.insertCount > 512)
    }

    /// Runs `producers` threads inserting records into `table` (through `table.insert` for block
    /// size 1, else a Writer) while this thread samples batches of 256 and checks them, until it
    /// sampled `batches` batches or `enough(torn)`.
    static func stress(_ table: ReplayTable, producers count: Int, batches: Int, blockSize: Int,
                       until enough: (TornRows) -> Bool) throws -> TornRows {
        let spec = table.spec
        let barrier = SpinBarrier(parties: count + 1)
        let stop = ManagedAtomic<Bool>(false)
        let producers = (0..<count).map { p in
            TestThread {
                let writer = blockSize > 1 ? table.makeWriter(blockSize: blockSize) : nil
                barrier.arriveAndWait()
                var v = Self.firstValue(producer: p)
                while !stop.load(ordering: .relaxed) {
                    if let writer { try withRecord(spec, v) { try writer.insert($0) } } else { try insertRecord(table, v) }
                    v &+= UInt32(count)
                }
                writer?.flush()
            }
        }
        barrier.arriveAndWait()
        let rows = min(256, table.capacity)
        try table.awaitSize(rows)
        let batch = ReplayBatch(spec: spec, capacity: rows)
        var rng = Xoshiro256(seed: 7)
        var torn = TornRows()
        for _ in 0..<batches where !enough(torn) {
            try table.sample(into: batch, count: rows, using: &rng)
            torn.check(batch, rows: rows)
        }
        stop.store(true, ordering: .relaxed)
        for producer in producers { try producer.join() }
        return torn
    }

    /// The check above can fail: with the reader's second stamp load off, rows that a writer
    /// changes while they are copied come out torn, and the same harness reports them. A table
    /// of 4 rows keeps the writers on the rows being read; the wait is bounded by a sample count
    /// (64 million rows) that fails loudly. Runs under TSan in CI.
    @Test func theStressHarnessReportsTearsWhenTheSeqlockRecheckIsOff() throws {
        let table = try ReplayTable(spec: mujocoSpec, capacity: 4)
        table.skipsStampRecheckForTesting = true
        let torn = try Self.stress(table, producers: 2, batches: 16_000_000, blockSize: 1) { $0.count > 0 }
        #expect(torn.count > 0, "no torn record in \(torn.sampled) samples with the stamp recheck off")
    }

    /// Prioritized sampling and priority updates while two producers keep overwriting a small
    /// table: no torn record, every weight in (0, 1], and afterwards the tree's total equals the
    /// sum of the priorities it holds for the rows now in the table. Runs under TSan in CI.
    @Test func prioritizedSamplingStaysConsistentWhileInsertsContinue() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 512)
        table.skipsStampRecheckForTesting = Self.skipsRecheck
        let barrier = SpinBarrier(parties: 3)
        let stop = ManagedAtomic<Bool>(false)
        let producers = (0..<2).map { p in
            TestThread {
                let writer = table.makeWriter(blockSize: 8)
                barrier.arriveAndWait()
                var v = Self.firstValue(producer: p)
                while !stop.load(ordering: .relaxed) {
                    try withRecord(cartPoleSpec, v) { try writer.insert($0) }
                    v &+= 2
                }
                writer.flush()
            }
        }
        barrier.arriveAndWait()
        try table.awaitSize(256)
        let per = PrioritizedSampler(table: table, alpha: 0.6, beta: 0.4)
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 64)
        var rng = Xoshiro256(seed: 9)
        var priorities = [Float](repeating: 0, count: 64)
        var torn = TornRows()
        var badWeights = 0
        for _ in 0..<(Self.sampleBatches * 4) {
            try per.sample(into: batch, count: 64, using: &rng)
            torn.check(batch, rows: 64)
            for i in 0..<64 {
                if !(batch.weights[i] > 0 && batch.weights[i] <= 1.0001) { badWeights += 1 }
                priorities[i] = Float(batch.keys[i] % 7) + 0.5
            }
            try per.updatePriorities(keys: batch.keys, priorities: priorities, count: 64)
        }
        stop.store(true, ordering: .relaxed)
        for producer in producers { try producer.join() }
        try per.sample(into: batch, count: 64, using: &rng)   // catches up with the last inserts
        // Writers claim rows in blocks of 8 and may leave part of their last block unwritten,
        // so the rows the sampler knows reach a little past `insertCount`; every slot holds the
        // priority of exactly one key, so a window wider than the table counts each slot once.
        let newest = table.insertCount
        var held = 0.0, known = 0
        for key in (newest > 600 ? newest - 600 : 0)..<(newest + 100) {
            if let p = per.priority(ofKey: key) { held += p; known += 1 }
        }
        #expect(torn.count == 0, "\(torn.message)")
        #expect(badWeights == 0, "\(badWeights) weights outside (0, 1]")
        #expect(known == 512)
        #expect(abs(per.totalPriority - held) <= 1e-9 * held, "tree total \(per.totalPriority), leaves \(held)")
    }

    @Test func writerPublishesPerBlockAndOnFlush() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 100)
        let writer = table.makeWriter(blockSize: 8)
        for v in 0..<5 { try withRecord(cartPoleSpec, UInt32(v)) { try writer.insert($0) } }
        #expect(table.count == 0)
        writer.flush()
        #expect(table.count == 5)
        for v in 5..<13 { try withRecord(cartPoleSpec, UInt32(v)) { try writer.insert($0) } }
        #expect(table.count == 13, "a full block publishes by itself")
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 13)
        var rng = Xoshiro256(seed: 1)
        try table.sample(into: batch, count: 13, using: &rng)
        for i in 0..<13 { #expect(checkRecord(batch, i) != nil) }
    }

    @Test func awaitSizeSleepsUntilEnoughRowsArrive() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 1000)
        // The producer starts only once this thread sleeps in awaitSize, so the wait is real.
        let producer = TestThread {
            try waitUntil("the learner sleeps in awaitSize") { table.blockedThreads == 1 }
            for v in 0..<600 { try insertRecord(table, UInt32(v)) }
        }
        try table.awaitSize(500)
        #expect(table.count >= 500)
        try producer.join()
        #expect(table.blockedThreads == 0)
    }

    @Test func closeWakesABlockedWaiterWithAnError() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 100)
        let waiter = TestThread {
            try table.awaitSize(50)   // nobody inserts: only close() can end this
        }
        try waitUntil("the waiter sleeps in awaitSize") { table.blockedThreads == 1 }   // closing earlier would not test the wake
        table.close()
        #expect(throws: ReplayError.closed) { try waiter.join() }
        #expect(throws: ReplayError.closed) { try insertRecord(table, 1) }
    }
}

@Suite struct RateLimiterTests {
    @Test func limitsAreValidated() {
        #expect(throws: ReplayError.self) { _ = try RateLimit(samplesPerInsert: 0, minSizeToSample: 1, errorBuffer: 10) }
        #expect(throws: ReplayError.self) { _ = try RateLimit(samplesPerInsert: 1, minSizeToSample: 0, errorBuffer: 10) }
        #expect(throws: ReplayError.self) { _ = try RateLimit(samplesPerInsert: 1, minSizeToSample: 1, errorBuffer: -1) }
    }

    @Test func aToleranceTooSmallForTheBatchIsAnErrorNotADeadlock() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 100,
                                    rateLimit: try RateLimit(samplesPerInsert: 4, minSizeToSample: 10, errorBuffer: 8))
        for v in 0..<12 { try insertRecord(table, UInt32(v)) }   // 12 is all the limit admits without sampling
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 16)
        var rng = Xoshiro256(seed: 1)
        #expect(throws: ReplayError.self) { try table.sample(into: batch, count: 16, using: &rng) }
    }

    /// A fast producer and a fast sampler: the limiter keeps samples/insert at the target
    /// within its tolerance the whole time, and both sides finish.
    @Test func replayRatioStaysWithinTheTolerance() throws {
        let spi = 8.0, minSize = 64, buffer = 256.0, k = 32
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 10_000,
                                    rateLimit: try RateLimit(samplesPerInsert: spi, minSizeToSample: minSize, errorBuffer: buffer))
        let totalInserts = 4_000
        let producer = TestThread { for v in 0..<totalInserts { try insertRecord(table, UInt32(v)) } }
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: k)
        var rng = Xoshiro256(seed: 2)
        let batches = Int(Double(totalInserts - minSize) * spi) / k
        var worst = 0.0
        for _ in 0..<batches {
            try table.sample(into: batch, count: k, using: &rng)
            let diff = Double(table.insertCount) * spi - Double(table.sampleCount) - Double(minSize) * spi
            worst = max(worst, abs(diff))
        }
        try producer.join()
        // The bound: the tolerance plus one insert's worth of samples per producer in flight.
        #expect(worst <= buffer + 2 * spi, "drift \(worst)")
        #expect(table.sampleCount == UInt64(batches * k))
    }

    /// A writer that the limit stops mid-block publishes first, so the sampler can go on:
    /// with unpublished inserts held back, both sides would wait for each other forever.
    @Test func aRateLimitedWriterPublishesBeforeItWaits() throws {
        let spi = 4.0, minSize = 16, k = 8
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 10_000,
                                    rateLimit: try RateLimit(samplesPerInsert: spi, minSizeToSample: minSize, errorBuffer: 16))
        let producer = TestThread {
            let writer = table.makeWriter(blockSize: 1_000)   // never fills a block: only flushes publish
            for v in 0..<2_000 { try withRecord(cartPoleSpec, UInt32(v)) { try writer.insert($0) } }
            writer.flush()
        }
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: k)
        var rng = Xoshiro256(seed: 1)
        let batches = Int(Double(2_000 - minSize) * spi) / k - 4
        for _ in 0..<batches { try table.sample(into: batch, count: k, using: &rng) }
        try producer.join()
        #expect(table.insertCount == 2_000)
    }

    @Test func closingUnblocksARateLimitedProducerAndSampler() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 1000,
                                    rateLimit: try RateLimit(samplesPerInsert: 1, minSizeToSample: 10, errorBuffer: 20))
        // Nobody samples: the producer must block after about minSize + errorBuffer inserts.
        let producer = TestThread { for v in 0..<1000 { try insertRecord(table, UInt32(v)) } }
        try table.awaitSize(10)
        table.close()
        #expect(throws: ReplayError.closed) { try producer.join() }
        #expect(table.insertCount <= 31)
        // A sampler that asks for more than the limit allows also wakes with .closed.
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 8)
        var rng = Xoshiro256(seed: 3)
        #expect(throws: ReplayError.closed) {
            for _ in 0..<100 { try table.sample(into: batch, count: 8, using: &rng) }
        }
    }
}
