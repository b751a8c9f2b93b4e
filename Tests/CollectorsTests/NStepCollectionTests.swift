import Collectors
import Core
import Envs
import Foundation
import Memory
import SeededRandom
import StateDictIO
import Testing

/// Observation t, reward t + 1 at step t; terminates after `length` steps.
struct CountingEnvironment: Environment {
    var t = 0
    let length: Int
    let observationSpace = Box(low: [0], high: [100])
    let actionSpace = Space.discrete(Discrete(2))
    mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws { t = 0; observation[0] = 0 }
    mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        t += 1
        observation[0] = Float(t)
        return StepResult(reward: Double(t), terminated: t == length)
    }
}

@Suite struct NStepCollectionTests {
    /// Rows of the table, oldest first: (observation, reward, next observation, terminated, truncated, discount).
    func rows(_ table: ReplayTable) throws -> [(Float, Float, Float, Bool, Bool, Float)] {
        let dict = table.stateDict()
        let obs = try dict.tensor("observation").floats(name: "o"), next = try dict.tensor("next_observation").floats(name: "n")
        let rewards = try dict.tensor("reward").floats(name: "r"), extras = try dict.tensor("extras").floats(name: "e")
        let terminated = try dict.tensor("terminated").bools(name: "t"), truncated = try dict.tensor("truncated").bools(name: "u")
        return obs.indices.map { (obs[$0], rewards[$0], next[$0], terminated[$0], truncated[$0], extras[$0]) }
    }

    func collect(length: Int, timeLimit: Int, nStep: Int, steps: Int) throws -> [(Float, Float, Float, Bool, Bool, Float)] {
        var registry = EnvironmentRegistry()
        try registry.register(EnvironmentSpec(id: "Counting-v0", maxEpisodeSteps: timeLimit) { _ in CountingEnvironment(length: length) })
        let vector = try VectorEnvironment(registry: registry, id: "Counting-v0", count: 1)
        let table = try ReplayTable(spec: TransitionSpec(observationSize: 1, action: .discrete(n: 2), extras: [ExtraColumn(name: "discount")]),
                                    capacity: 100)
        let collector = ReplayCollector(environments: vector, agent: RandomAgent(actionSpace: vector.actionSpace), table: table,
                                  statistics: RunControl(), seed: 1, nStep: nStep, gamma: 0.5)
        try collector.run(steps: steps)
        return try rows(table)
    }

    /// Terminated after 5 steps, n = 3, γ = 0.5: full 3-step sums while the episode runs, then
    /// the pending steps flushed with shorter sums, the final observation and no bootstrap.
    @Test func nStepReturnsAreFoldedAndFlushedAtTermination() throws {
        let rows = try collect(length: 5, timeLimit: 100, nStep: 3, steps: 5)
        #expect(rows.count == 5)
        // From s_t: rewards t+1, t+2, t+3 discounted.
        #expect(rows[0] == (0, 1 + 0.5 * 2 + 0.25 * 3, 3, false, false, 0.125))
        #expect(rows[1] == (1, 2 + 0.5 * 3 + 0.25 * 4, 4, false, false, 0.125))
        #expect(rows[2] == (2, 3 + 0.5 * 4 + 0.25 * 5, 5, true, false, 0.125))
        #expect(rows[3] == (3, 4 + 0.5 * 5, 5, true, false, 0.25))
        #expect(rows[4] == (4, 5, 5, true, false, 0.5))
    }

    /// A time limit truncates: the flushed transitions keep `truncated` and bootstrap from the
    /// true final observation (not the reset one), and the next episode starts clean.
    @Test func truncationFlushesWithTheFinalObservationAndTheNextEpisodeStartsClean() throws {
        let rows = try collect(length: 100, timeLimit: 4, nStep: 2, steps: 6)
        #expect(rows.count == 5)   // 4 from the first episode, 1 full 2-step one from the second
        #expect(rows[2] == (2, 3 + 0.5 * 4, 4, false, true, 0.25))
        #expect(rows[3] == (3, 4, 4, false, true, 0.5))
        #expect(rows[4] == (0, 1 + 0.5 * 2, 2, false, false, 0.25))
    }

    /// Stepped one call at a time (as the deterministic mode's inline collector is), a
    /// collector fills consecutive rows: it keeps one writer, so no claimed block is left
    /// half empty between calls (which would shrink the usable capacity and let old rows be
    /// sampled).
    @Test func aCollectorSteppedCallByCallFillsConsecutiveRows() throws {
        var registry = EnvironmentRegistry()
        try registry.register(EnvironmentSpec(id: "Counting-v0", maxEpisodeSteps: 100) { _ in CountingEnvironment(length: 1000) })
        let table = try ReplayTable(spec: TransitionSpec(observationSize: 1, action: .discrete(n: 2)), capacity: 1000)
        let vector = try VectorEnvironment(registry: registry, id: "Counting-v0", count: 1)
        let collector = ReplayCollector(environments: vector, agent: RandomAgent(actionSpace: vector.actionSpace), table: table,
                                  statistics: RunControl(), seed: 1)
        for _ in 0..<10 { try collector.run(steps: 1) }
        #expect(try table.stateDict().tensor("key").uint64s(name: "key") == Array(0..<10))
        #expect(table.count == 10)
    }

    /// n = 1 with a discount column stores γ, so one- and n-step data share the losses' path.
    @Test func oneStepWritesGammaIntoTheDiscountColumn() throws {
        let rows = try collect(length: 3, timeLimit: 100, nStep: 1, steps: 3)
        #expect(rows.map(\.5) == [0.5, 0.5, 0.5])
        #expect(rows.map(\.1) == [1, 2, 3])
    }
}
