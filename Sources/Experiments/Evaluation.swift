import Collectors
import Core
import Envs
import SeededRandom

/// Runs whole evaluation episodes with an agent.
public enum Evaluation {
    /// The returns of `episodes` episodes of environment `id`, episode k reset with seed
    /// `seed + k`. Continuous actions from the agent (in [−1, 1]) are rescaled to the box as
    /// the collectors do.
    public static func returns(of agent: Agent, registry: EnvironmentRegistry, id: String, maxEpisodeSteps: Int?,
                               episodes: Int, seed: UInt64) throws -> [Double] {
        let vector = try VectorEnvironment(registry: registry, id: id, count: 1, seed: seed,
                                           maxEpisodeSteps: maxEpisodeSteps.map { .some($0) } ?? .none)
        let width = vector.actionSpace.flatSize
        var indices = [0], values = [Float](repeating: 0, count: width), scaled = values
        var rng = Xoshiro256(seed: seed ^ 0xE7A1)
        var observation = [Float](repeating: 0, count: vector.observationSize)
        var results: [Double] = []
        for episode in 0..<episodes {
            try vector.reset(seed: seed &+ UInt64(episode))
            while true {
                _ = observation.withUnsafeMutableBufferPointer { $0.update(fromContentsOf: vector.observations) }
                observation.withUnsafeBufferPointer { obs in indices.withUnsafeMutableBufferPointer { idx in values.withUnsafeMutableBufferPointer { vals in
                    agent.act(observations: obs, count: 1, environmentSteps: 0, indices: idx, values: vals, rng: &rng)
                } } }
                switch vector.actionSpace {
                case .discrete:
                    try indices.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
                case .box(let box):
                    values.withUnsafeBufferPointer { v in scaled.withUnsafeMutableBufferPointer { box.scaleFromUnit(v, into: $0, rows: 1) } }
                    try scaled.withUnsafeBufferPointer { try vector.step(.continuous($0)) }
                }
                if vector.isDone(0) {
                    results.append(vector.completedReturns[0])
                    break
                }
            }
        }
        return results
    }
}
