import Atomics
import Foundation
@_spi(Testing) @testable import Memory
import SeededRandom
import StateDictIO
import Testing

/// Inserts one self-describing transition whose every field derives from `value`, so a torn
/// read (fields from two different writes) is detectable.
func insertRecord(_ table: ReplayTable, _ value: UInt32) throws {
    try withRecord(table.spec, value) { try table.insert($0) }
}

/// The part of a record's value that its fields carry: floats hold integers exactly only up to
/// 2^24, and the observation adds up to 2 × 17 to it, so values wrap at 2^20. Every field (flags
/// and action index too) derives from this reduced value, never from the full one, so a record
/// written with value 2^20 + k reads back as the record of k.
func recordValue(_ value: UInt32) -> UInt32 { value % (1 << 20) }

/// Builds the self-describing transition for `value` and hands it to `body`.
func withRecord(_ spec: TransitionSpec, _ value: UInt32, _ body: (TransitionView) throws -> Void) throws {
    let reduced = recordValue(value)
    let v = Float(reduced)
    var obs = [Float](repeating: 0, count: spec.observationSize)
    var next = obs
    for j in 0..<obs.count { obs[j] = v + Float(j); next[j] = v + Float(j + obs.count) }
    let extras = [Float](repeating: v * 2, count: spec.extrasWidth)
    var values = [Float](repeating: -v, count: spec.action.width)
    let index: Int32
    if case .discrete(let n) = spec.action { index = Int32(reduced % UInt32(n)) } else { index = 0; values[0] = -v }
    try obs.withUnsafeBufferPointer { o in
        try next.withUnsafeBufferPointer { nx in
            try values.withUnsafeBufferPointer { a in
                try extras.withUnsafeBufferPointer { e in
                    try body(TransitionView(
                        observation: o, actionIndex: index, actionValues: a, reward: v * 0.5,
                        terminated: reduced % 3 == 0, truncated: reduced % 5 == 0, nextObservation: nx, extras: e))
                }
            }
        }
    }
}

/// Checks row i of a batch against the record rule; returns the record's (reduced) value, or
/// nil if the row is torn (its fields come from more than one record).
func checkRecord(_ batch: ReplayBatch, _ i: Int) -> Float? {
    let spec = batch.spec
    let n = spec.observationSize
    let v = batch.observations[i * n]
    guard v >= 0, v < Float(1 << 20), v == v.rounded() else { return nil }
    for j in 0..<n {
        guard batch.observations[i * n + j] == v + Float(j), batch.nextObservations[i * n + j] == v + Float(j + n) else { return nil }
    }
    guard batch.rewards[i] == v * 0.5 else { return nil }
    let value = UInt32(v)
    guard batch.terminated[i] == (value % 3 == 0 ? 1 : 0), batch.truncated[i] == (value % 5 == 0 ? 1 : 0) else { return nil }
    if case .discrete(let count) = spec.action {
        guard batch.actionIndices[i] == Int32(value % UInt32(count)) else { return nil }
    } else {
        guard batch.actionValues[i * spec.action.width] == -v else { return nil }
    }
    for j in 0..<spec.extrasWidth where batch.extras[i * spec.extrasWidth + j] != v * 2 { return nil }
    return v
}

/// Row i of a batch, every field, for a failure message.
func describeRecord(_ batch: ReplayBatch, _ i: Int) -> String {
    let spec = batch.spec, n = spec.observationSize, a = spec.action.width, e = spec.extrasWidth
    let action: String
    if case .discrete = spec.action { action = "index \(batch.actionIndices[i])" } else { action = "\(Array(batch.actionValues[(i * a)..<((i + 1) * a)]))" }
    return "row \(i) (key \(batch.keys[i])): observation \(Array(batch.observations[(i * n)..<((i + 1) * n)])), "
        + "next \(Array(batch.nextObservations[(i * n)..<((i + 1) * n)])), action \(action), reward \(batch.rewards[i]), "
        + "terminated \(batch.terminated[i]), truncated \(batch.truncated[i]), extras \(Array(batch.extras[(i * e)..<((i + 1) * e)]))"
}

let cartPoleSpec = TransitionSpec(observationSize: 4, action: .discrete(n: 2))
let mujocoSpec = TransitionSpec(observationSize: 17, action: .continuous(size: 6), extras: [ExtraColumn(name: "discount")])

@Suite struct ReplayTableSemanticsTests {
    /// Values at the record rule's wrap (2^20) read back whole: the flags and the action follow
    /// the reduced value like every other field. (Flags from the full value made 80% of the
    /// records a fast producer wrote past 2^20 look torn.)
    @Test(arguments: [cartPoleSpec, mujocoSpec])
    func recordsAroundTheWrapRoundTrip(spec: TransitionSpec) throws {
        let batch = ReplayBatch(spec: spec, capacity: 1)
        var rng = Xoshiro256(seed: 1)
        for value: UInt32 in [(1 << 20) - 1, 1 << 20, (1 << 20) + 1, (1 << 21) + 7, .max] {
            let table = try ReplayTable(spec: spec, capacity: 1)
            try insertRecord(table, value)
            try table.sample(into: batch, count: 1, using: &rng)
            let read = checkRecord(batch, 0)
            #expect(read == Float(recordValue(value)), "value \(value): \(describeRecord(batch, 0))")
        }
    }

    /// The record check catches a row whose fields come from two records, whichever field it is.
    @Test(arguments: [cartPoleSpec, mujocoSpec])
    func aRowMixingTwoRecordsIsCaught(spec: TransitionSpec) throws {
        let table = try ReplayTable(spec: spec, capacity: 2)
        // 999 and 1000 differ in every field, flags and action index included.
        for value: UInt32 in [999, 1_000] { try insertRecord(table, value) }
        var rng = Xoshiro256(seed: 2)
        func record(_ value: UInt32) throws -> ReplayBatch {
            let batch = ReplayBatch(spec: spec, capacity: 1)
            repeat { try table.sample(into: batch, count: 1, using: &rng) } while checkRecord(batch, 0) != Float(value)
            return batch
        }
        let other = try record(1_000)
        let n = spec.observationSize, e = spec.extrasWidth
        var mixes: [(String, (ReplayBatch) -> Void)] = [
            ("reward", { $0.rewards[0] = other.rewards[0] }),
            ("terminated", { $0.terminated[0] = other.terminated[0] }),
            ("truncated", { $0.truncated[0] = other.truncated[0] }),
        ]
        for j in 0..<n {
            mixes.append(("observation[\(j)]", { $0.observations[j] = other.observations[j] }))
            mixes.append(("next_observation[\(j)]", { $0.nextObservations[j] = other.nextObservations[j] }))
        }
        if case .discrete = spec.action {
            mixes.append(("action", { $0.actionIndices[0] = other.actionIndices[0] }))
        } else {
            mixes.append(("action[0]", { $0.actionValues[0] = other.actionValues[0] }))
        }
        for j in 0..<e { mixes.append(("extras[\(j)]", { $0.extras[j] = other.extras[j] })) }
        #expect(mixes.count == 4 + 2 * n + e)
        for (field, mix) in mixes {
            let torn = try record(999)
            mix(torn)
            #expect(checkRecord(torn, 0) == nil, "a row with \(field) from another record passed: \(describeRecord(torn, 0))")
        }
    }

    @Test func countsGrowUntilCapacityThenOldestRowsAreOverwritten() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 8)
        #expect(table.count == 0)
        for v in 0..<5 { try insertRecord(table, UInt32(v)) }
        #expect(table.count == 5 && table.insertCount == 5)
        for v in 5..<19 { try insertRecord(table, UInt32(v)) }
        #expect(table.count == 8 && table.insertCount == 19)
        // Only the 8 newest records (11...18) remain, each whole, and keys match values.
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 8)
        var rng = Xoshiro256(seed: 1)
        var seen = Set<Float>()
        for _ in 0..<8 {
        try table.sample(into: batch, count: 8, using: &rng)
        for i in 0..<8 {
            let v = try #require(checkRecord(batch, i))
            #expect(v >= 11 && v <= 18)
            #expect(batch.keys[i] == UInt64(v))
            #expect(batch.weights[i] == 1)
            seen.insert(v)
        }
        }
        #expect(seen.count == 8)
    }

    @Test func continuousActionsAndExtrasRoundTrip() throws {
        let table = try ReplayTable(spec: mujocoSpec, capacity: 100)
        for v in 0..<50 { try insertRecord(table, UInt32(v)) }
        let batch = ReplayBatch(spec: mujocoSpec, capacity: 32)
        var rng = Xoshiro256(seed: 2)
        try table.sample(into: batch, count: 32, using: &rng)
        for i in 0..<32 { #expect(checkRecord(batch, i) != nil) }
        #expect(mujocoSpec.extraOffset("discount") == 0)
    }

    @Test func samplingIsReproducibleForASeed() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 1000)
        for v in 0..<700 { try insertRecord(table, UInt32(v)) }
        let a = ReplayBatch(spec: cartPoleSpec, capacity: 128), b = ReplayBatch(spec: cartPoleSpec, capacity: 128)
        var r1 = Xoshiro256(seed: 9), r2 = Xoshiro256(seed: 9)
        try table.sample(into: a, count: 128, using: &r1)
        try table.sample(into: b, count: 128, using: &r2)
        #expect(a.keys == b.keys && a.observations == b.observations)
    }

    @Test func uniformSamplingPassesChiSquare() throws {
        let rows = 50
        let table = try ReplayTable(spec: cartPoleSpec, capacity: rows)
        for v in 0..<rows { try insertRecord(table, UInt32(v)) }
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: rows)
        var rng = Xoshiro256(seed: 3)
        var counts = [Int](repeating: 0, count: rows)
        for _ in 0..<2000 {
            try table.sample(into: batch, count: rows, using: &rng)
            for i in 0..<rows { counts[Int(batch.keys[i])] += 1 }
        }
        let expected = 100_000.0 / Double(rows)
        let chiSquare = counts.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
        // 49 degrees of freedom: the 99.9% quantile is 85.35.
        #expect(chiSquare < 85.35, "chi-square \(chiSquare)")
    }

    @Test func badInputGetsClearErrors() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 10)
        for v in 0..<3 { try insertRecord(table, UInt32(v)) }
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 8)
        var rng = Xoshiro256(seed: 1)
        #expect(throws: ReplayError.batchLargerThanContent(requested: 4, available: 3)) {
            try table.sample(into: batch, count: 4, using: &rng)
        }
        #expect(throws: ReplayError.self) { try table.sample(into: batch, count: 9, using: &rng) }
        #expect(throws: ReplayError.self) { try table.sample(into: ReplayBatch(spec: mujocoSpec, capacity: 2), count: 1, using: &rng) }
        let three: [Float] = [1, 2, 3], four: [Float] = [1, 2, 3, 4]
        try three.withUnsafeBufferPointer { t in
            try four.withUnsafeBufferPointer { f in
                #expect(throws: ReplayError.wrongColumnWidth(column: "observation", expected: 4, got: 3)) {
                    try table.insert(TransitionView(observation: t, reward: 0, terminated: false, nextObservation: f))
                }
                #expect(throws: ReplayError.wrongColumnWidth(column: "next_observation", expected: 4, got: 3)) {
                    try table.insert(TransitionView(observation: f, reward: 0, terminated: false, nextObservation: t))
                }
                #expect(throws: ReplayError.actionOutOfRange(index: 2, n: 2)) {
                    try table.insert(TransitionView(observation: f, actionIndex: 2, reward: 0, terminated: false, nextObservation: f))
                }
            }
        }
        #expect(table.insertCount == 3, "rejected inserts must not claim rows")
        #expect(throws: ReplayError.self) { _ = try ReplayTable(spec: cartPoleSpec, capacity: 0) }
    }

    @Test func exportImportRoundTripRestoresContentsAndSampling() throws {
        let table = try ReplayTable(spec: mujocoSpec, capacity: 64)
        for v in 0..<100 { try insertRecord(table, UInt32(v)) }
        let dict = table.stateDict()
        let bytes = try dict.encoded()
        let restored = try ReplayTable(spec: mujocoSpec, capacity: 64)
        try restored.loadStateDict(try StateDict.decode(bytes, file: "memory"))
        #expect(restored.count == 64 && restored.insertCount == 100)
        let a = ReplayBatch(spec: mujocoSpec, capacity: 32), b = ReplayBatch(spec: mujocoSpec, capacity: 32)
        var r1 = Xoshiro256(seed: 4), r2 = Xoshiro256(seed: 4)
        try table.sample(into: a, count: 32, using: &r1)
        try restored.sample(into: b, count: 32, using: &r2)
        #expect(a.keys == b.keys && a.observations == b.observations && a.actionValues == b.actionValues && a.extras == b.extras)
        // Inserting continues the numbering.
        try insertRecord(restored, 100)
        #expect(restored.insertCount == 101)
        // A table of another capacity, or a non-empty one, refuses the import.
        #expect(throws: ReplayError.self) { try ReplayTable(spec: mujocoSpec, capacity: 32).loadStateDict(dict) }
        #expect(throws: ReplayError.self) { try restored.loadStateDict(dict) }
    }
}

@Suite struct PrioritizedSamplerTests {
    /// Row r gets priority ((r mod 8) + 1)², so p^0.5 = (r mod 8) + 1 and the eight residue
    /// classes are drawn in proportion 1 : 2 : … : 8 whatever the row count. 8 rows fit in the
    /// tree's top node; 1,000 rows take four levels of the eight-way tree.
    @Test(arguments: [8, 1000])
    func samplingFollowsPrioritiesToTheAlphaAndWeightsCorrect(rows: Int) throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: rows)
        for v in 0..<rows { try insertRecord(table, UInt32(v)) }
        let per = PrioritizedSampler(table: table, alpha: 0.5, beta: 1.0, epsilon: 0)
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 256)
        var rng = Xoshiro256(seed: 5)
        try per.sample(into: batch, count: 8, using: &rng)  // catches up: every row at max priority
        let raw: [Float] = (0..<rows).map { (r: Int) -> Float in
            let root = Float(r % 8 + 1)
            return root * root
        }
        try per.updatePriorities(keys: (0..<UInt64(rows)).map { $0 }, priorities: raw)
        #expect(abs(per.totalPriority - Double(rows / 8 * 36)) < 1e-9)
        var counts = [Int](repeating: 0, count: 8)
        let draws = 12_800
        for _ in 0..<draws {
            try per.sample(into: batch, count: 8, using: &rng)
            for i in 0..<8 {
                let residue = Int(batch.keys[i]) % 8
                counts[residue] += 1
                // w = (N P)^-β / max w, with P ∝ residue + 1 and the largest weight at residue 0.
                let expectedWeight = Float((1.0 / Double(residue + 1)))
                #expect(abs(batch.weights[i] - expectedWeight) < 1e-5)
            }
        }
        let total = Double(draws * 8)
        let chiSquare = (0..<8).reduce(0.0) { sum, k in
            let expected = total * Double(k + 1) / 36
            return sum + pow(Double(counts[k]) - expected, 2) / expected
        }
        // 7 degrees of freedom: the 99.9% quantile is 24.32.
        #expect(chiSquare < 24.32, "chi-square \(chiSquare), counts \(counts)")
    }

    /// The tree's shape depends on the capacity (levels of eight, padded): for capacities
    /// around the level boundaries, after the ring wraps and priorities change, the total and
    /// every sampled weight must match a brute-force computation over the live rows.
    @Test(arguments: [1, 7, 8, 9, 63, 64, 65, 513])
    func treeAgreesWithBruteForceForEveryShape(capacity: Int) throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: capacity)
        for v in 0..<(capacity + 3) { try insertRecord(table, UInt32(v)) }   // wraps the ring
        let per = PrioritizedSampler(table: table, alpha: 0.7, beta: 0.5, epsilon: 0)
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 16)
        var rng = Xoshiro256(seed: UInt64(capacity))
        try per.sample(into: batch, count: 1, using: &rng)
        let live = (3..<UInt64(capacity + 3)).map { $0 }
        let raw = live.map { _ in rng.nextUnitFloat() * 4 + 0.01 }
        try per.updatePriorities(keys: live, priorities: raw)
        var expected: [UInt64: Double] = [:]
        for (key, p) in zip(live, raw) { expected[key] = Double(powf(p, 0.7)) }
        let total = expected.values.reduce(0, +)
        #expect(abs(per.totalPriority - total) <= 1e-9 * total)
        let smallest = expected.values.min()!
        let k = min(16, capacity)
        for _ in 0..<20 {
            try per.sample(into: batch, count: k, using: &rng)
            for i in 0..<k {
                let p = try #require(expected[batch.keys[i]], "sampled key \(batch.keys[i]) is not live")
                let weight = Float(pow(p / smallest, -0.5))
                #expect(abs(batch.weights[i] - weight) <= 1e-5 * max(1, weight))
                #expect(checkRecord(batch, i) != nil)
            }
        }
    }

    @Test func newRowsGetTheMaximumPriorityAndStaleUpdatesAreIgnored() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 4)
        for v in 0..<4 { try insertRecord(table, UInt32(v)) }
        let per = PrioritizedSampler(table: table, alpha: 1, beta: 1, epsilon: 0)
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 4)
        var rng = Xoshiro256(seed: 1)
        try per.sample(into: batch, count: 4, using: &rng)
        try per.updatePriorities(keys: [0, 1, 2, 3], priorities: [5, 1, 1, 1] as [Float])
        try insertRecord(table, 4)   // overwrites key 0's row
        try per.sample(into: batch, count: 4, using: &rng)
        #expect(per.priority(ofKey: 0) == nil)
        #expect(per.priority(ofKey: 4) == 5)     // the largest priority seen so far
        try per.updatePriorities(keys: [0], priorities: [100] as [Float])   // stale: ignored
        #expect(per.priority(ofKey: 4) == 5)
    }

    @Test func invalidPrioritiesAreRejectedBeforeAnyChange() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 4)
        for v in 0..<4 { try insertRecord(table, UInt32(v)) }
        let per = PrioritizedSampler(table: table)
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 4)
        var rng = Xoshiro256(seed: 1)
        try per.sample(into: batch, count: 4, using: &rng)
        let before = per.totalPriority
        #expect(throws: ReplayError.invalidPriority(value: -1, position: 1)) {
            try per.updatePriorities(keys: [0, 1], priorities: [2, -1] as [Float])
        }
        #expect(throws: ReplayError.self) { try per.updatePriorities(keys: [0], priorities: [.nan] as [Float]) }
        #expect(per.totalPriority == before)
    }
}

/// `releaseLearner`: a learner waiting for data stops waiting, collectors go on inserting.
@Suite struct ReleaseLearnerTests {
    @Test func aWaitingLearnerIsReleasedWhileInsertsGoOn() throws {
        let table = try ReplayTable(spec: cartPoleSpec, capacity: 64, rateLimit: try RateLimit(samplesPerInsert: 1, minSizeToSample: 4, errorBuffer: 10))
        let waited = ManagedAtomic<Int>(0)
        let learner = TestThread {
            do { try table.awaitSize(10) } catch ReplayError.closed { waited.store(1, ordering: .relaxed) }
        }
        try waitUntil("the learner waits in awaitSize") { table.blockedThreads == 1 }
        table.releaseLearner()
        try learner.join()
        #expect(waited.load(ordering: .relaxed) == 1)
        // Inserts still work; the learner's waits end at once from now on, and its samples too.
        for i in 0..<8 { try insertRecord(table, UInt32(i)) }
        #expect(table.count == 8)
        #expect(throws: ReplayError.closed) { try table.awaitSize(20) }
        let batch = ReplayBatch(spec: cartPoleSpec, capacity: 16)
        var rng = Xoshiro256(seed: 1)
        try table.sample(into: batch, count: 4, using: &rng)   // allowed: the collectors are ahead
        #expect(throws: ReplayError.closed) { try table.sample(into: batch, count: 16, using: &rng) }   // would wait
    }
}
