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

/// The acting side of an on-policy actor-critic (PPO, A2C): besides the actions it reports
/// log π(a|s) and V(s) of each row, and values V(s) of other observations (a truncated
/// episode's final one, the observation after a rollout), which GAE needs.
public protocol OnPolicyAgent: Agent {
    /// Samples one action per row: discrete `indices` (0-based), or continuous `values`
    /// (count, A) as drawn from the policy (unclipped; the collector clips them to [−1, 1] for
    /// stepping); writes log π(a|s) and V(s) of each row.
    func act(observations: UnsafeBufferPointer<Float>, count: Int, indices: UnsafeMutableBufferPointer<Int>,
             values: UnsafeMutableBufferPointer<Float>, logProbabilities: UnsafeMutablePointer<Float>,
             stateValues: UnsafeMutablePointer<Float>, rng: inout Xoshiro256)

    /// V(s) of `count` observations.
    func stateValues(observations: UnsafeBufferPointer<Float>, count: Int, into values: UnsafeMutablePointer<Float>)
}
