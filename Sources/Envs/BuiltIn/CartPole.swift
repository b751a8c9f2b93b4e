#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSupport
import SeededRandom

/// Gymnasium's `CartPole-v1` (Barto, Sutton and Anderson's cart-pole), reproduced step for step.
///
/// State `(x, x_dot, theta, theta_dot)` is float64 and never rounded between steps; the
/// observation is its float32 cast. Explicit Euler with tau = 0.02. Termination uses strict
/// comparisons against 2.4 and 12°; the reward is 1.0 on every step, the terminating one too.
/// Action 1 pushes right (+10 N), action 0 left. Registered with a 500-step time limit.
public struct CartPole: Environment, StateOverridable {
    @usableFromInline static let gravity = 9.8
    @usableFromInline static let massCart = 1.0
    @usableFromInline static let massPole = 0.1
    @usableFromInline static let totalMass = massPole + massCart
    @usableFromInline static let length = 0.5  // half the pole's length
    @usableFromInline static let poleMassLength = massPole * length
    @usableFromInline static let forceMagnitude = 10.0
    @usableFromInline static let tau = 0.02
    @usableFromInline static let thetaThreshold = 12 * 2 * Double.pi / 360
    @usableFromInline static let xThreshold = 2.4

    /// The physical state `(x, x_dot, theta, theta_dot)`.
    public var state: (Double, Double, Double, Double) = (0, 0, 0, 0)
    @usableFromInline var rng: Xoshiro256

    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    public let observationSpace: Box = {
        let high: [Float] = [Float(CartPole.xThreshold * 2), .infinity, Float(CartPole.thetaThreshold * 2), .infinity]
        return Box(low: high.map { -$0 }, high: high)
    }()
    public let actionSpace = Space.discrete(Discrete(2))
    public let stateLayout = ["x", "x_dot", "theta", "theta_dot"]

    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
        if let seed { rng = Xoshiro256(seed: seed) }
        state = (rng.nextDouble(low: -0.05, high: 0.05), rng.nextDouble(low: -0.05, high: 0.05),
                 rng.nextDouble(low: -0.05, high: 0.05), rng.nextDouble(low: -0.05, high: 0.05))
        writeObservation(observation)
    }

    @inlinable
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        let index: Int
        if case .discrete(let i) = action, i == 0 || i == 1 {
            index = i  // the fast path; anything else goes through the full check, which throws
        } else {
            index = try actionSpace.discreteIndex(action, environment: "CartPole-v1")
        }
        var (x, xDot, theta, thetaDot) = state
        let force = index == 1 ? Self.forceMagnitude : -Self.forceMagnitude
        var sinTheta = 0.0, cosTheta = 0.0
        rl_sincos(theta, &sinTheta, &cosTheta)  // bit-identical to sin() and cos() on glibc
        // Same operation order as Gymnasium, so every intermediate rounds identically.
        let temp = (force + Self.poleMassLength * (thetaDot * thetaDot) * sinTheta) / Self.totalMass
        let thetaAcc = (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.length * (4.0 / 3.0 - Self.massPole * (cosTheta * cosTheta) / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        x = x + Self.tau * xDot
        xDot = xDot + Self.tau * xAcc
        theta = theta + Self.tau * thetaDot
        thetaDot = thetaDot + Self.tau * thetaAcc
        state = (x, xDot, theta, thetaDot)
        writeObservation(observation)
        let terminated = x < -Self.xThreshold || x > Self.xThreshold
            || theta < -Self.thetaThreshold || theta > Self.thetaThreshold
        return StepResult(reward: 1.0, terminated: terminated)
    }

    @inlinable
    func writeObservation(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(state.0)
        observation[1] = Float(state.1)
        observation[2] = Float(state.2)
        observation[3] = Float(state.3)
    }

    public mutating func overrideState(_ newState: [Double]) throws {
        try checkState(newState, count: 4, environment: "CartPole-v1")
        state = (newState[0], newState[1], newState[2], newState[3])
    }
}

/// Shared check for `overrideState`: the right number of finite components.
func checkState(_ state: [Double], count: Int, environment: String) throws {
    guard state.count == count else {
        throw EnvironmentError.invalidState(environment: environment, detail: "expected \(count) components, got \(state.count)")
    }
    if let bad = state.firstIndex(where: { !$0.isFinite }) {
        throw EnvironmentError.invalidState(environment: environment, detail: "component \(bad) is \(state[bad])")
    }
}
