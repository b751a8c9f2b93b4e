#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SeededRandom

/// Gymnasium's `Pendulum-v1`, reproduced step for step.
///
/// State `(theta, theta_dot)` is float64; theta is never wrapped in the state. The torque is
/// clipped to [-2, 2] as float32 and drives both the dynamics and the cost. Following numpy 2's
/// promotion rules, `3.0 * u` and `0.001 * u**2` are evaluated in float32 before they join the
/// float64 terms. Never terminates; registered with a 200-step time limit.
public struct Pendulum: Environment, StateOverridable {
    @usableFromInline static let maxSpeed = 8.0
    @usableFromInline static let maxTorque: Float = 2.0
    @usableFromInline static let dt = 0.05
    @usableFromInline static let g = 10.0
    @usableFromInline static let m = 1.0
    @usableFromInline static let l = 1.0

    public var state: (theta: Double, thetaDot: Double) = (0, 0)
    /// The clipped torque of the last step (Gymnasium's `last_u`), nil right after a reset.
    public var lastTorque: Float?
    @usableFromInline var rng: Xoshiro256

    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    public let observationSpace = Box(low: [-1, -1, -8], high: [1, 1, 8])
    public let actionSpace = Space.box(Box(low: [-2], high: [2]))
    public let stateLayout = ["theta", "theta_dot"]

    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
        if let seed { rng = Xoshiro256(seed: seed) }
        state = (rng.nextDouble(low: -Double.pi, high: Double.pi), rng.nextDouble(low: -1, high: 1))
        lastTorque = nil
        writeObservation(observation)
    }

    @inlinable
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        let values = try actionSpace.continuousValues(action, environment: "Pendulum-v1")
        let (th, thDot) = state
        let u = min(max(values[0], -Self.maxTorque), Self.maxTorque)  // float32, as np.clip keeps it
        lastTorque = u
        let normalized = angleNormalize(th)
        let torqueCost = Float(0.001) * pow(u, 2)                     // float32 under numpy 2 promotion
        let cost = pow(normalized, 2) + 0.1 * pow(thDot, 2) + Double(torqueCost)
        let torqueTerm = Float(3.0 / (Self.m * Self.l * Self.l)) * u    // float32 as well
        var newThDot = thDot + (3 * Self.g / (2 * Self.l) * sin(th) + Double(torqueTerm)) * Self.dt
        newThDot = min(max(newThDot, -Self.maxSpeed), Self.maxSpeed)
        let newTh = th + newThDot * Self.dt
        state = (newTh, newThDot)
        writeObservation(observation)
        return StepResult(reward: -cost, terminated: false)
    }

    @inlinable
    func writeObservation(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cos(state.theta))
        observation[1] = Float(sin(state.theta))
        observation[2] = Float(state.thetaDot)
    }

    /// `((x + pi) % (2 pi)) - pi` with Python's floor modulo (result in [-pi, pi)).
    @inlinable
    func angleNormalize(_ x: Double) -> Double {
        pythonFloorMod(x + Double.pi, 2 * Double.pi) - Double.pi
    }

    public mutating func overrideState(_ newState: [Double]) throws {
        try checkState(newState, count: 2, environment: "Pendulum-v1")
        state = (newState[0], newState[1])
    }
}

/// Python's / numpy's float `a % b`: fmod, then shifted into the divisor's sign.
@inlinable
func pythonFloorMod(_ a: Double, _ b: Double) -> Double {
    var mod = fmod(a, b)
    if mod != 0 {
        if (b < 0) != (mod < 0) { mod += b }
    } else {
        mod = copysign(0, b)
    }
    return mod
}
