import Collectors
import Core
import Envs
import Foundation
import Memory
import SeededRandom
import StateDictIO
import Testing

/// An on-policy agent whose value is 10·s₀ + 1 and whose action is always 0 (log π = −1),
/// remembering every observation it was asked to value.
final class RecordingAgent: OnPolicyAgent {
    var valued: [[Float]] = []
    let observationSize: Int
    init(observationSize: Int) { self.observationSize = observationSize }
    func act(observations: UnsafeBufferPointer<Float>, count: Int, indices: UnsafeMutableBufferPointer<Int>, values: UnsafeMutableBufferPointer<Float>,
             logProbabilities: UnsafeMutablePointer<Float>, stateValues: UnsafeMutablePointer<Float>, rng: inout Xoshiro256) {
        for b in 0..<count { indices[b] = 0; logProbabilities[b] = -1; stateValues[b] = 10 * observations[b * observationSize] + 1 }
    }
    func stateValues(observations: UnsafeBufferPointer<Float>, count: Int, into values: UnsafeMutablePointer<Float>) {
        for b in 0..<count {
            valued.append(Array(observations[b * observationSize ..< (b + 1) * observationSize]))
            values[b] = 10 * observations[b * observationSize] + 1
        }
    }
    func act(observations: UnsafeBufferPointer<Float>, count: Int, environmentSteps: Int, indices: UnsafeMutableBufferPointer<Int>,
             values: UnsafeMutableBufferPointer<Float>, rng: inout Xoshiro256) {
        for b in 0..<count { indices[b] = 0 }
    }
}

@Suite struct RolloutCollectorTests {
    /// A truncated episode bootstraps from V of its true final observation (not the reset one),
    /// a terminated one from nothing, and the rollout's last step from V of the next observation.
    @Test func truncationBootstrapsFromTheFinalObservationAndTerminationFromNothing() throws {
        var registry = EnvironmentRegistry()
        // Observation t after t steps; terminates after 5 steps, truncated at 3 by the time limit.
        try registry.register(EnvironmentSpec(id: "Counting-v0", maxEpisodeSteps: 3) { _ in CountingEnvironment(length: 5) })
        try registry.register(EnvironmentSpec(id: "Counting-v1", maxEpisodeSteps: 10) { _ in CountingEnvironment(length: 2) })
        for (id, ends) in [("Counting-v0", "truncated"), ("Counting-v1", "terminated")] {
            let vector = try VectorEnvironment(registry: registry, id: id, count: 1)
            let buffer = RolloutBuffer(observationSize: 1, action: .discrete(n: 2), segments: 1, environments: 1, steps: 4)
            let agent = RecordingAgent(observationSize: 1)
            let statistics = RunControl()
            let collector = RolloutCollector(environments: vector, agent: agent, buffer: buffer, segment: 0, statistics: statistics, seed: 1,
                                             gamma: 0.5, lambda: 1)
            try collector.collectRollout()
            #expect(Array(buffer.observations) == (ends == "truncated" ? [0, 1, 2, 0] : [0, 1, 0, 1]))
            #expect(statistics.environmentSteps == 4)
            if ends == "truncated" {
                #expect(Array(buffer.truncated) == [0, 0, 1, 0] && Array(buffer.terminated) == [0, 0, 0, 0])
                // Valued: the final observation 3 (truncation), then 1, the observation after the rollout.
                #expect(agent.valued == [[3], [1]])
                #expect(buffer.bootstrapValues[2] == 31 && buffer.bootstrapValues[3] == 11)
                // A₂ = r + γV(3) − V(2) = 3 + 15.5 − 21 (chain cut at the truncation).
                #expect(buffer.advantages[2] == -2.5)
            } else {
                #expect(Array(buffer.terminated) == [0, 1, 0, 1] && Array(buffer.truncated) == [0, 0, 0, 0])
                #expect(agent.valued.isEmpty)   // nothing bootstraps: both episodes terminated, the last one at the rollout's end
                #expect(buffer.advantages[1] == 2 - 11)   // r − V(1): no bootstrap after termination
            }
            let batch = ReplayBatch(spec: buffer.spec, capacity: buffer.rows)
            try buffer.take(into: batch)
            #expect(batch.count == 4)
        }
    }
}
