import Core
import Envs
import SeededRandom

/// Uniformly random actions: discrete indices over the space, continuous actions over [−1, 1]ᴬ
/// (which the collector rescales to the box), for warm-up and as the baseline.
public final class RandomAgent: Agent {
    public let actionSpace: Space
    public init(actionSpace: Space) { self.actionSpace = actionSpace }

    public func act(observations: UnsafeBufferPointer<Float>, count: Int, environmentSteps: Int,
                    indices: UnsafeMutableBufferPointer<Int>, values: UnsafeMutableBufferPointer<Float>,
                    rng: inout Xoshiro256) {
        switch actionSpace {
        case .discrete(let space):
            for i in 0..<count { indices[i] = space.start + rng.nextIndex(below: space.n) }
        case .box(let box):
            for i in 0..<count {
                for j in 0..<box.size {
                    values[i * box.size + j] = rng.nextUnitFloat() * 2 - 1
                }
            }
        }
    }
}
