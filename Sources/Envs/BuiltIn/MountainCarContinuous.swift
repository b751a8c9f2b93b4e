#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SeededRandom

/// Gymnasium's `MountainCarContinuous-v0`, reproduced bit for bit, numpy 2 promotion included.
///
/// Gymnasium stores the state as float32 after every step, so from the second step of an
/// episode the arithmetic is float32 (a Python float operand is converted to float32). The first
/// step after a reset starts from the float64 reset state. An in-range action stays a float32
/// value in the update; an out-of-range one is replaced by the float64 bound ±1.0, which changes
/// the arithmetic's precision. The reward uses the *unclipped* action:
/// `(100 if terminated) - 0.1 * a²`. Registered with a 999-step time limit.
public struct MountainCarContinuous: Environment, StateOverridable {
    @usableFromInline static let minAction = -1.0
    @usableFromInline static let maxAction = 1.0
    @usableFromInline static let minPosition = -1.2
    @usableFromInline static let maxPosition = 0.6
    @usableFromInline static let maxSpeed = 0.07
    @usableFromInline static let goalPosition = 0.45
    @usableFromInline static let goalVelocity = 0.0
    @usableFromInline static let power = 0.0015

    /// The state `(position, velocity)`; after the first step its values are float32 values.
    public var state: (position: Double, velocity: Double) = (0, 0)
    /// Whether `state` holds float32 values (true after any step), which selects float32 arithmetic.
    public var stateIsFloat32 = false
    @usableFromInline var rng: Xoshiro256

    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    public let observationSpace = Box(low: [Float(minPosition), -Float(maxSpeed)], high: [Float(maxPosition), Float(maxSpeed)])
    public let actionSpace = Space.box(Box(low: [-1], high: [1]))
    public let stateLayout = ["position", "velocity"]

    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
        if let seed { rng = Xoshiro256(seed: seed) }
        state = (rng.nextDouble(low: -0.6, high: -0.4), 0)
        stateIsFloat32 = false
        writeObservation(observation)
    }

    @inlinable
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        let a = try actionSpace.continuousValues(action, environment: "MountainCarContinuous-v0")[0]
        // `min(max(a, -1.0), 1.0)` in Python keeps the float32 `a` when it is in range and
        // returns the Python float bound otherwise.
        let clippedToBound: Double? = Double(a) < Self.minAction ? Self.minAction : (Double(a) > Self.maxAction ? Self.maxAction : nil)
        let terminated: Bool
        if stateIsFloat32 {
            var position = Float(state.position)
            var velocity = Float(state.velocity)
            let gravityTerm = 0.0025 * cos(Double(Float(3) * position))   // Python float
            if let bound = clippedToBound {
                velocity += Float(bound * Self.power - gravityTerm)         // float64, then joins float32
            } else {
                velocity += a * Float(Self.power) - Float(gravityTerm)      // all float32
            }
            if velocity > Float(Self.maxSpeed) { velocity = Float(Self.maxSpeed) }
            if velocity < -Float(Self.maxSpeed) { velocity = -Float(Self.maxSpeed) }
            position += velocity
            if position > Float(Self.maxPosition) { position = Float(Self.maxPosition) }
            if position < Float(Self.minPosition) { position = Float(Self.minPosition) }
            if position == Float(Self.minPosition) && velocity < 0 { velocity = 0 }
            terminated = position >= Float(Self.goalPosition) && velocity >= Float(Self.goalVelocity)
            state = (Double(position), Double(velocity))
        } else {
            // First step after a reset: the state is still float64.
            var (position, velocity) = state
            let gravityTerm = 0.0025 * cos(3 * position)
            if let bound = clippedToBound {
                velocity += bound * Self.power - gravityTerm
            } else {
                velocity += Double(a * Float(Self.power) - Float(gravityTerm))  // float32 term, float64 sum
            }
            if velocity > Self.maxSpeed { velocity = Self.maxSpeed }
            if velocity < -Self.maxSpeed { velocity = -Self.maxSpeed }
            position += velocity
            if position > Self.maxPosition { position = Self.maxPosition }
            if position < Self.minPosition { position = Self.minPosition }
            if position == Self.minPosition && velocity < 0 { velocity = 0 }
            terminated = position >= Self.goalPosition && velocity >= Self.goalVelocity
            state = (Double(Float(position)), Double(Float(velocity)))
            stateIsFloat32 = true
        }
        writeObservation(observation)
        let reward = (terminated ? 100.0 : 0.0) - pow(Double(a), 2) * 0.1
        return StepResult(reward: reward, terminated: terminated)
    }

    @inlinable
    func writeObservation(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(state.position)
        observation[1] = Float(state.velocity)
    }

    public mutating func overrideState(_ newState: [Double]) throws {
        try checkState(newState, count: 2, environment: "MountainCarContinuous-v0")
        state = (newState[0], newState[1])
        stateIsFloat32 = false
    }
}
