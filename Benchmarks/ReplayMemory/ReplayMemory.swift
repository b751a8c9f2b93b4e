// Replay memory throughput, side by side with ../shared/anchors/replay_bench.py (SB3's
// ReplayBuffer): inserts/s from 1 and 2 producer threads, sampled transitions/s at batch 256
// from a full 1M-row table (and a 100k-row one), for CartPole-size (obs 4, discrete) and MuJoCo-size (obs 17,
// action 6) records, and prioritized sampling while a producer keeps inserting.
//
// One benchmark iteration is one transition (inserted or sampled); throughput is in
// transitions per second, scaled by a million.
import Atomics
import Benchmark
import Foundation
import Memory
import SeededRandom

let capacity = 1_000_000

struct Kind {
    var name: String
    var spec: TransitionSpec
}

let kinds = [
    Kind(name: "obs4-discrete", spec: TransitionSpec(observationSize: 4, action: .discrete(n: 2))),
    Kind(name: "obs17-act6", spec: TransitionSpec(observationSize: 17, action: .continuous(size: 6))),
]

/// A pool of 4096 pre-generated transitions (as the SB3 script), inserted round-robin.
final class Pool: @unchecked Sendable {
    let spec: TransitionSpec
    let observations: UnsafeMutableBufferPointer<Float>
    let actions: UnsafeMutableBufferPointer<Float>
    let rewards: UnsafeMutableBufferPointer<Float>
    let indices: UnsafeMutableBufferPointer<Int32>
    // Plain values and raw buffers: producers on two threads share this pool, and reading an
    // array or a struct holding one would bump a shared reference count per insert (the
    // cache line then bounces between the cores and the benchmark measures that instead).
    let observationSize: Int
    let actionWidth: Int
    static let size = 4096

    init(spec: TransitionSpec) {
        self.spec = spec
        var rng = Xoshiro256(seed: 0)
        observations = .allocate(capacity: Self.size * spec.observationSize * 2)
        for i in observations.indices { observations[i] = Float(rng.nextStandardNormal()) }
        actions = .allocate(capacity: Self.size * spec.action.width)
        for i in actions.indices { actions[i] = rng.nextUnitFloat() * 2 - 1 }
        rewards = .allocate(capacity: Self.size)
        for i in rewards.indices { rewards[i] = Float(rng.nextStandardNormal()) }
        indices = .allocate(capacity: Self.size)
        for i in indices.indices { indices[i] = Int32(rng.nextIndex(below: 2)) }
        observationSize = spec.observationSize
        actionWidth = spec.action.width
    }

    @inline(__always)
    func insert(_ i: Int, into table: ReplayTable) throws {
        try table.insert(view(i))
    }

    @inline(__always)
    func insert(_ i: Int, into writer: ReplayTable.Writer) throws {
        try writer.insert(view(i))
    }

    @inline(__always)
    func view(_ i: Int) -> TransitionView {
        let j = i & (Self.size - 1)
        let n = observationSize, a = actionWidth
        let base = observations.baseAddress! + j * 2 * n
        return (TransitionView(
            observation: UnsafeBufferPointer(start: base, count: n),
            actionIndex: indices[j],
            actionValues: UnsafeBufferPointer(start: actions.baseAddress! + j * a, count: a),
            reward: rewards[j], terminated: j % 100 == 0,
            nextObservation: UnsafeBufferPointer(start: base + n, count: n)))
    }
}

func filledTable(_ kind: Kind, _ pool: Pool, rows: Int = capacity) throws -> ReplayTable {
    let table = try ReplayTable(spec: kind.spec, capacity: rows)
    for i in 0..<rows { try pool.insert(i, into: table) }
    return table
}

/// Producer p of two inserts every other pool transition into `tables[p]` through its own
/// Writer; the measurement covers both, from a common start to the last flush.
func insertFromTwoProducers(into tables: [ReplayTable], pool: Pool, benchmark: Benchmark) {
    let total = benchmark.scaledIterations.count
    let group = DispatchGroup()
    let ready = ManagedAtomic<Int>(0)
    benchmark.startMeasurement()
    for p in 0..<2 {
        group.enter()
        Thread {
            ready.wrappingIncrement(ordering: .acquiringAndReleasing)
            while ready.load(ordering: .acquiring) < 2 {}
            let writer = tables[p].makeWriter()
            for i in stride(from: p, to: total, by: 2) { try! pool.insert(i, into: writer) }
            writer.flush()
            group.leave()
        }.start()
    }
    group.wait()
    benchmark.stopMeasurement()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 1,
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 15
    )

    for kind in kinds {
        let pool = Pool(spec: kind.spec)

        Benchmark("insert \(kind.name) 1 producer") { benchmark in
            let table = try ReplayTable(spec: kind.spec, capacity: capacity)
            benchmark.startMeasurement()
            for i in 0..<benchmark.scaledIterations.count { try pool.insert(i, into: table) }
        }

        Benchmark("insert \(kind.name) 1 producer (Writer)") { benchmark in
            let table = try ReplayTable(spec: kind.spec, capacity: capacity)
            let writer = table.makeWriter()
            benchmark.startMeasurement()
            for i in 0..<benchmark.scaledIterations.count { try pool.insert(i, into: writer) }
            writer.flush()
        }

        Benchmark("insert \(kind.name) 2 producers (Writer)") { benchmark in
            let table = try ReplayTable(spec: kind.spec, capacity: capacity)
            insertFromTwoProducers(into: [table, table], pool: pool, benchmark: benchmark)
        }

        // The control for the one above: two producers sharing nothing (a table each). Their
        // combined rate is the most two producers can reach on this machine and harness,
        // whatever the table's synchronisation does.
        Benchmark("insert \(kind.name) 2 producers separate tables (Writer)") { benchmark in
            let tables = [try ReplayTable(spec: kind.spec, capacity: capacity), try ReplayTable(spec: kind.spec, capacity: capacity)]
            insertFromTwoProducers(into: tables, pool: pool, benchmark: benchmark)
        }

        // Full 1M-row tables as the SB3 script's default, and 100k rows: rl-zoo's CartPole DQN
        // buffer, 6.4 MB of obs-4 rows that fit in this CPU's L3, so sampling no longer waits on
        // DRAM (compare with replay_bench.py --buffer-size 100000 --adds 100000).
        for (suffix, rows) in [("", capacity), (", 100k rows", 100_000)] {
            Benchmark("sample256 \(kind.name) uniform\(suffix)") { benchmark in
                let table = try filledTable(kind, pool, rows: rows)
                let batch = ReplayBatch(spec: kind.spec, capacity: 256)
                var rng = Xoshiro256(seed: 1)
                let batches = benchmark.scaledIterations.count / 256
                benchmark.startMeasurement()
                for _ in 0..<batches { try table.sample(into: batch, count: 256, using: &rng) }
                blackHole(batch.rewards[0])
            }
        }
    }

    let kind = kinds[0]
    let pool = Pool(spec: kind.spec)
    // The producer inserts 1,000 transitions per millisecond (1M/s, far more than collectors
    // with a policy in the loop produce), or as fast as it can.
    for (throttled, updating) in [(true, true), (false, true), (true, false)] {
    Benchmark("sample256 \(kind.name) prioritized\(updating ? " + priority update" : ""), inserts running \(throttled ? "at 1M/s" : "unthrottled")") { benchmark in
        let table = try filledTable(kind, pool)
        let per = PrioritizedSampler(table: table)
        let batch = ReplayBatch(spec: kind.spec, capacity: 256)
        var rng = Xoshiro256(seed: 1)
        var priorities = [Float](repeating: 0, count: 256)
        try per.sample(into: batch, count: 256, using: &rng)
        let stop = ManagedAtomic<Bool>(false)
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            let writer = table.makeWriter(blockSize: 64)
            var i = 0
            let clock = ContinuousClock()
            var next = clock.now
            while !stop.load(ordering: .relaxed) {
                for _ in 0..<(throttled ? 1000 : 64) { try! pool.insert(i, into: writer); i += 1 }
                writer.flush()
                if throttled {
                    next = next.advanced(by: .milliseconds(1))
                    while clock.now < next && !stop.load(ordering: .relaxed) { usleep(50) }
                }
            }
            stopped.signal()
        }.start()
        let batches = benchmark.scaledIterations.count / 256
        benchmark.startMeasurement()
        for _ in 0..<batches {
            try per.sample(into: batch, count: 256, using: &rng)
            if updating {
                for i in 0..<256 { priorities[i] = rng.nextUnitFloat() * 2 }
                try per.updatePriorities(keys: batch.keys, priorities: priorities)
            }
        }
        benchmark.stopMeasurement()
        stop.store(true, ordering: .relaxed)
        stopped.wait()
    }
    }
}
