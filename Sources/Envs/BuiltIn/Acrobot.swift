#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SeededRandom

/// Gymnasium's `Acrobot-v1` (Sutton's acrobot with the book dynamics), reproduced bit for bit.
///
/// One classic RK4 step of dt = 0.2 on `(theta1, theta2, dtheta1, dtheta2, torque)` in float64,
/// then the angles are wrapped into [-pi, pi] and the velocities clamped to ±4pi and ±9pi.
/// Terminates when `-cos(theta1) - cos(theta1 + theta2) > 1`; reward 0 on the terminating step,
/// else −1. The system is chaotic, so every expression keeps Gymnasium's operation order
/// (and its `**2` goes through `pow`, as numpy's scalar power does). Registered with a
/// 500-step time limit.
public struct Acrobot: Environment, StateOverridable {
    @usableFromInline static let dt = 0.2
    @usableFromInline static let linkLength1 = 1.0
    @usableFromInline static let linkMass1 = 1.0
    @usableFromInline static let linkMass2 = 1.0
    @usableFromInline static let linkCenterOfMass1 = 0.5
    @usableFromInline static let linkCenterOfMass2 = 0.5
    @usableFromInline static let linkMomentOfInertia = 1.0
    @usableFromInline static let maxVelocity1 = 4 * Double.pi
    @usableFromInline static let maxVelocity2 = 9 * Double.pi
    @usableFromInline static let torques: (Double, Double, Double) = (-1.0, 0.0, 1.0)

    /// `(theta1, theta2, dtheta1, dtheta2)`.
    public var state: (Double, Double, Double, Double) = (0, 0, 0, 0)
    @usableFromInline var rng: Xoshiro256

    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    public let observationSpace = Box(
        low: [-1, -1, -1, -1, -Float(maxVelocity1), -Float(maxVelocity2)],
        high: [1, 1, 1, 1, Float(maxVelocity1), Float(maxVelocity2)])
    public let actionSpace = Space.discrete(Discrete(3))
    public let stateLayout = ["theta1", "theta2", "dtheta1", "dtheta2"]

    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
        if let seed { rng = Xoshiro256(seed: seed) }
        // Gymnasium draws uniform(-0.1, 0.1) and stores the state as float32.
        func draw() -> Double { Double(Float(rng.nextDouble(low: -0.1, high: 0.1))) }
        state = (draw(), draw(), draw(), draw())
        writeObservation(observation)
    }

    @inlinable
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        let index = try actionSpace.discreteIndex(action, environment: "Acrobot-v1")
        let torque = index == 0 ? Self.torques.0 : (index == 1 ? Self.torques.1 : Self.torques.2)
        let s = State4(state)
        // Classic RK4 over [0, dt]; the torque component has zero derivative and stays constant.
        let dt = Self.dt
        let halfDt = dt / 2.0
        let k1 = Self.derivatives(s, torque: torque)
        let k2 = Self.derivatives(s + halfDt * k1, torque: torque)
        let k3 = Self.derivatives(s + halfDt * k2, torque: torque)
        let k4 = Self.derivatives(s + dt * k3, torque: torque)
        let next = s + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        let theta1 = wrapAngle(next.a)
        let theta2 = wrapAngle(next.b)
        let dtheta1 = min(max(next.c, -Self.maxVelocity1), Self.maxVelocity1)
        let dtheta2 = min(max(next.d, -Self.maxVelocity2), Self.maxVelocity2)
        state = (theta1, theta2, dtheta1, dtheta2)
        writeObservation(observation)
        let terminated = -cos(theta1) - cos(theta2 + theta1) > 1.0
        return StepResult(reward: terminated ? 0.0 : -1.0, terminated: terminated)
    }

    /// The book dynamics: (dtheta1, dtheta2, ddtheta1, ddtheta2).
    @inlinable
    static func derivatives(_ s: State4, torque a: Double) -> State4 {
        let m1 = linkMass1, m2 = linkMass2, l1 = linkLength1
        let lc1 = linkCenterOfMass1, lc2 = linkCenterOfMass2
        let i1 = linkMomentOfInertia, i2 = linkMomentOfInertia
        let g = 9.8
        let theta1 = s.a, theta2 = s.b, dtheta1 = s.c, dtheta2 = s.d
        let d1 = m1 * pow(lc1, 2) + m2 * (pow(l1, 2) + pow(lc2, 2) + 2 * l1 * lc2 * cos(theta2)) + i1 + i2
        let d2 = m2 * (pow(lc2, 2) + l1 * lc2 * cos(theta2)) + i2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 = -m2 * l1 * lc2 * pow(dtheta2, 2) * sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2)
            + phi2
        let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * pow(dtheta1, 2) * sin(theta2) - phi2)
            / (m2 * pow(lc2, 2) + i2 - pow(d2, 2) / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return State4(a: dtheta1, b: dtheta2, c: ddtheta1, d: ddtheta2)
    }

    /// Gymnasium's `wrap(x, -pi, pi)`: repeated subtraction/addition of 2 pi.
    @inlinable
    func wrapAngle(_ x: Double) -> Double {
        let diff = Double.pi - (-Double.pi)
        var x = x
        while x > Double.pi { x = x - diff }
        while x < -Double.pi { x = x + diff }
        return x
    }

    @inlinable
    func writeObservation(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cos(state.0))
        observation[1] = Float(sin(state.0))
        observation[2] = Float(cos(state.1))
        observation[3] = Float(sin(state.1))
        observation[4] = Float(state.2)
        observation[5] = Float(state.3)
    }

    public mutating func overrideState(_ newState: [Double]) throws {
        try checkState(newState, count: 4, environment: "Acrobot-v1")
        state = (newState[0], newState[1], newState[2], newState[3])
    }
}

/// Four float64 components with elementwise `+` and scalar `*`, in numpy's operation order.
@usableFromInline
struct State4 {
    @usableFromInline var a, b, c, d: Double
    @usableFromInline init(a: Double, b: Double, c: Double, d: Double) { self.a = a; self.b = b; self.c = c; self.d = d }
    @usableFromInline init(_ t: (Double, Double, Double, Double)) { self.init(a: t.0, b: t.1, c: t.2, d: t.3) }
    @inlinable static func + (l: State4, r: State4) -> State4 { State4(a: l.a + r.a, b: l.b + r.b, c: l.c + r.c, d: l.d + r.d) }
    @inlinable static func * (k: Double, v: State4) -> State4 { State4(a: k * v.a, b: k * v.b, c: k * v.c, d: k * v.d) }
}
