/// Truncates episodes after `maxEpisodeSteps` steps, as Gymnasium's `TimeLimit`, and refuses a
/// `step` before the first `reset`, as its `OrderEnforcing`.
///
/// `truncated` is true on step `maxEpisodeSteps` counted from the reset, also when that step
/// terminates (then both flags are true), exactly as Gymnasium reports it.
public struct TimeLimit<Wrapped: Environment>: Environment {
    public var wrapped: Wrapped
    public let maxEpisodeSteps: Int
    /// Steps taken since the last reset.
    public var elapsedSteps: Int { stepsSinceReset }
    @usableFromInline var stepsSinceReset = 0
    @usableFromInline var hasReset = false
    @usableFromInline let name: String

    public init(_ wrapped: Wrapped, maxEpisodeSteps: Int, name: String? = nil) {
        precondition(maxEpisodeSteps > 0, "maxEpisodeSteps must be positive")
        self.wrapped = wrapped
        self.maxEpisodeSteps = maxEpisodeSteps
        self.name = name ?? String(describing: Wrapped.self)
    }

    public var observationSpace: Box { wrapped.observationSpace }
    public var actionSpace: Space { wrapped.actionSpace }

    @inlinable
    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
        try wrapped.reset(seed: seed, observation: observation)
        stepsSinceReset = 0
        hasReset = true
    }

    @inlinable
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        guard hasReset else { throw EnvironmentError.stepBeforeReset(environment: name) }
        var result = try wrapped.step(action, observation: observation)
        stepsSinceReset += 1
        if stepsSinceReset >= maxEpisodeSteps { result.truncated = true }
        return result
    }
}

extension TimeLimit: StateOverridable where Wrapped: StateOverridable {
    public var stateLayout: [String] { wrapped.stateLayout }
    public mutating func overrideState(_ state: [Double]) throws { try wrapped.overrideState(state) }
}

extension TimeLimit: OverlappedStepping where Wrapped: OverlappedStepping {
    public mutating func sendStep(_ action: Action) throws {
        guard hasReset else { throw EnvironmentError.stepBeforeReset(environment: name) }
        try wrapped.sendStep(action)
    }

    public mutating func receiveStep(observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        var result = try wrapped.receiveStep(observation: observation)
        stepsSinceReset += 1
        if stepsSinceReset >= maxEpisodeSteps { result.truncated = true }
        return result
    }
}

extension TimeLimit: DoublePrecisionObservations where Wrapped: DoublePrecisionObservations {
    public var lastObservation: [Double] { wrapped.lastObservation }
}
