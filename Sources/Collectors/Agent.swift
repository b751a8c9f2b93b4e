import Envs
import SeededRandom
import StateDictIO

/// The acting side of a policy: turns a batch of observations into actions. Each collector
/// owns its agent (agents are not shared between threads).
public protocol Agent: AnyObject {
    /// Writes one action per observation row. observations: (count, observationSize);
    /// discrete: `indices` (count); continuous: `values` (count, actionSize) in [−1, 1].
    /// `environmentSteps` is the collectors' total so far (for exploration schedules).
    func act(observations: UnsafeBufferPointer<Float>, count: Int, environmentSteps: Int,
             indices: UnsafeMutableBufferPointer<Int>, values: UnsafeMutableBufferPointer<Float>,
             rng: inout Xoshiro256)

    /// What the agent carries from one step to the next besides its weights (e.g. the state of
    /// correlated exploration noise), saved with its collector so a resume acts exactly as the
    /// uninterrupted run. Stateless agents keep the default (empty).
    func stateDict() -> StateDict
    func loadStateDict(_ dict: StateDict) throws
}

extension Agent {
    public func stateDict() -> StateDict { StateDict() }
    public func loadStateDict(_ dict: StateDict) throws {}
}

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
