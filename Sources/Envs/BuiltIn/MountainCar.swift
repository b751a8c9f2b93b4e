#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SeededRandom

/// Gymnasium's `MountainCar-v0` (Moore's mountain car, discrete pushes), reproduced step for step.
///
/// State `(position, velocity)` is float64. The velocity update adds
/// `(action - 1) * 0.001 + cos(3 position) * (-0.0025)` as one summed term, then clips to
/// ±0.07; hitting the left wall stops the car. Terminates at position ≥ 0.5 with velocity ≥ 0;
/// reward −1 per step. Registered with a 200-step time limit.
public struct MountainCar: Environment, StateOverridable {
    @usableFromInline static let minPosition = -1.2
    @usableFromInline static let maxPosition = 0.6
    @usableFromInline static let maxSpeed = 0.07
    @usableFromInline static let goalPosition = 0.5
    @usableFromInline static let goalVelocity = 0.0
    @usableFromInline static let force = 0.001
    @usableFromInline static let gravity = 0.0025

    public var state: (position: Double, velocity: Double) = (0, 0)
    @usableFromInline var rng: Xoshiro256

    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    public let observationSpace = Box(low: [Float(minPosition), -Float(maxSpeed)], high: [Float(maxPosition), Float(maxSpeed)])
    public let actionSpace = Space.discrete(Discrete(3))
    public let stateLayout = ["position", "velocity"]

    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
        if let seed { rng = Xoshiro256(seed: seed) }
        state = (rng.nextDouble(low: -0.6, high: -0.4), 0)
        writeObservation(observation)
    }

    @inlinable
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        let index = try actionSpace.discreteIndex(action, environment: "MountainCar-v0")
        var (position, velocity) = state
        velocity += Double(index - 1) * Self.force + cos(3 * position) * (-Self.gravity)
        velocity = min(max(velocity, -Self.maxSpeed), Self.maxSpeed)
        position += velocity
        position = min(max(position, Self.minPosition), Self.maxPosition)
        if position == Self.minPosition && velocity < 0 { velocity = 0 }
        state = (position, velocity)
        writeObservation(observation)
        let terminated = position >= Self.goalPosition && velocity >= Self.goalVelocity
        return StepResult(reward: -1.0, terminated: terminated)
    }

    @inlinable
    func writeObservation(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(state.position)
        observation[1] = Float(state.velocity)
    }

    public mutating func overrideState(_ newState: [Double]) throws {
        try checkState(newState, count: 2, environment: "MountainCar-v0")
        state = (newState[0], newState[1])
    }
}
