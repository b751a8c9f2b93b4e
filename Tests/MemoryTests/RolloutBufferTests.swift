import Foundation
import Memory
import Testing

@Suite struct RolloutBufferTests {
    /// GAE by hand (γ 0.9, λ 0.8) over two environments of four steps, time-major rows:
    /// environment 0 terminates at step 1, is truncated at step 2 (bootstrap 0.7) and goes on
    /// past the rollout (bootstrap 0.9); environment 1 never ends.
    @Test func generalizedAdvantagesMatchAHandComputedExample() {
        let rewards: [Float] = [1, 0, 1, 0, 1, 0, 1, 0]
        let values: [Float] = [0.5, 1, 0.4, 1, 0.3, 1, 0.2, 1]
        let bootstrap: [Float] = [0, 0, 0, 0, 0.7, 0, 0.9, 1]
        let terminated: [Float] = [0, 0, 1, 0, 0, 0, 0, 0]
        let truncated: [Float] = [0, 0, 0, 0, 1, 0, 0, 0]
        let columns = [rewards, values, bootstrap, terminated, truncated, [Float](repeating: 0, count: 8), [Float](repeating: 0, count: 8)].map {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8)
            _ = buffer.initialize(fromContentsOf: $0)
            return buffer
        }
        defer { for column in columns { column.deallocate() } }
        RolloutBuffer.generalizedAdvantages(rewards: UnsafeBufferPointer(columns[0]), values: UnsafeBufferPointer(columns[1]),
                                            bootstrapValues: UnsafeBufferPointer(columns[2]), terminated: UnsafeBufferPointer(columns[3]),
                                            truncated: UnsafeBufferPointer(columns[4]), steps: 4, environments: 2, gamma: 0.9, lambda: 0.8,
                                            advantages: columns[5], returns: columns[6])
        let advantages = Array(columns[5]), returns = Array(columns[6])
        // Environment 0: A₃ = 1 + 0.9·0.9 − 0.2; A₂ = 1 + 0.9·0.7 − 0.3 (truncated: its own bootstrap, chain cut);
        // A₁ = 1 − 0.4 (terminated: no bootstrap); A₀ = (1 + 0.9·0.4 − 0.5) + 0.72·A₁.
        // Environment 1: δ = −0.1 everywhere, Aₜ = −0.1 + 0.72·Aₜ₊₁.
        let expected: [Double] = [1.292, -0.2611648, 0.6, -0.22384, 1.33, -0.172, 1.61, -0.1]
        for i in 0..<8 {
            #expect(abs(Double(advantages[i]) - expected[i]) < 1e-5, "row \(i): \(advantages[i]) vs \(expected[i])")
            #expect(abs(returns[i] - (advantages[i] + values[i])) < 1e-6)
        }
    }

    /// Two collector threads fill their segments rollout after rollout while the learner takes
    /// each whole: every taken rollout holds exactly one generation of both segments (the
    /// handoff orders writes and reads; this runs under ThreadSanitizer).
    @Test func collectorsAndTheLearnerAlternateRolloutByRollout() throws {
        let buffer = RolloutBuffer(observationSize: 2, action: .discrete(n: 3), segments: 2, environments: 3, steps: 5)
        let batch = ReplayBatch(spec: buffer.spec, capacity: buffer.rows)
        let rollouts = 40
        let done = DispatchGroup()
        for segment in 0..<2 {
            done.enter()
            Thread {
                defer { done.leave() }
                for generation in 0..<rollouts {
                    do { try buffer.awaitOpen(segment: segment) } catch { return }
                    for t in 0..<buffer.steps {
                        for e in 0..<buffer.environments {
                            let row = buffer.row(segment: segment, step: t, environment: e)
                            buffer.observations[row * 2] = Float(generation)
                            buffer.observations[row * 2 + 1] = Float(segment)
                            buffer.actionIndices[row] = Int32(e % 3)
                            buffer.rewards[row] = Float(generation)
                        }
                    }
                    buffer.computeAdvantages(segment: segment, gamma: 0.99, lambda: 0.95)
                    buffer.finish(segment: segment)
                }
            }.start()
        }
        for generation in 0..<rollouts {
            try buffer.take(into: batch)
            #expect(batch.count == 30)
            for row in 0..<batch.count {
                #expect(batch.observations[row * 2] == Float(generation))
                #expect(batch.observations[row * 2 + 1] == Float(row / 15))   // segment 0's rows first
                #expect(batch.rewards[row] == Float(generation))
            }
        }
        buffer.close()
        done.wait()
    }

    @Test func closeWakesTheLearnerAndWaitingCollectors() throws {
        let buffer = RolloutBuffer(observationSize: 1, action: .continuous(size: 1), segments: 1, environments: 1, steps: 1)
        let batch = ReplayBatch(spec: buffer.spec, capacity: 1)
        try buffer.awaitOpen(segment: 0)
        buffer.finish(segment: 0)
        try buffer.take(into: batch)
        // The taken segment reopens only at the learner's next take: the collector's next wait blocks.
        let woke = DispatchSemaphore(value: 0)
        let outcome = LockedFlag()
        Thread {
            do { try buffer.awaitOpen(segment: 0) } catch ReplayError.closed { outcome.set() } catch {}
            woke.signal()
        }.start()
        try waitUntil("the collector waits for the next rollout") { buffer.blockedThreads == 1 }
        buffer.close()
        woke.wait()
        #expect(outcome.value)
        #expect(throws: ReplayError.closed) { try buffer.take(into: batch) }
    }

    @Test func aBatchOfAnotherShapeIsRefused() {
        let buffer = RolloutBuffer(observationSize: 3, action: .discrete(n: 2), segments: 1, environments: 2, steps: 4)
        let small = ReplayBatch(spec: buffer.spec, capacity: 4)
        #expect(throws: ReplayError.self) { try buffer.take(into: small) }
        let replaySpec = ReplayBatch(spec: TransitionSpec(observationSize: 3, action: .discrete(n: 2)), capacity: 8)
        #expect(throws: ReplayError.self) { try buffer.take(into: replaySpec) }
    }
}

/// A flag set on one thread and read on another.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.lock(); flag = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}
