import Core
import SeededRandom
import StateDictIO

/// An agent that normalises observations with a run's frozen `Normalization` statistics before
/// its inner agent sees them: a replay algorithm's collectors (which also add the raw
/// observations to their segment's moments, `recording`), and evaluation of any run trained on
/// normalised observations.
public final class NormalizingAgent: Agent {
    public let inner: Agent
    public let normalization: Normalization
    /// The segment whose moments the raw observations are added to (nil: evaluation, nothing recorded).
    public let recording: Int?
    private var scratch: UnsafeMutableBufferPointer<Float>

    public init(_ inner: Agent, normalization: Normalization, recording segment: Int? = nil) {
        self.inner = inner
        self.normalization = normalization
        recording = segment
        scratch = .allocate(capacity: normalization.observationSize)
        scratch.initialize(repeating: 0)
    }

    deinit { scratch.deallocate() }

    public func act(observations: UnsafeBufferPointer<Float>, count: Int, environmentSteps: Int,
                    indices: UnsafeMutableBufferPointer<Int>, values: UnsafeMutableBufferPointer<Float>, rng: inout Xoshiro256) {
        if scratch.count < observations.count {
            scratch.deallocate()
            scratch = .allocate(capacity: observations.count)
            scratch.initialize(repeating: 0)
        }
        if let recording { normalization.record(observations: observations.baseAddress!, rows: count, segment: recording) }
        normalization.normalize(observations.baseAddress!, rows: count, into: scratch.baseAddress!)
        inner.act(observations: UnsafeBufferPointer(rebasing: scratch[0..<observations.count]), count: count,
                  environmentSteps: environmentSteps, indices: indices, values: values, rng: &rng)
    }

    /// The inner agent's state (exploration noise), saved with its collector.
    public func stateDict() -> StateDict { inner.stateDict() }
    public func loadStateDict(_ dict: StateDict) throws { try inner.loadStateDict(dict) }
}
