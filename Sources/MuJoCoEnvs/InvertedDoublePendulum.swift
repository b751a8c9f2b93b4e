#if MuJoCo
import SeededRandom
#if canImport(Glibc)
import Glibc
#endif
/// Gymnasium's `InvertedDoublePendulum-v5`: balance two poles on a cart; reward = 10 while the
/// tip is above 1 − distance and velocity penalties; terminates when the tip falls to 1 or below.
public struct InvertedDoublePendulum: MuJoCoTask {
    public static let id = "InvertedDoublePendulum-v5"
    public static let modelFile = "inverted_double_pendulum.xml"
    public let frameSkip = 5
    public var healthyReward = 10.0
    public var resetNoiseScale = 0.1

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        try options.check(id: Self.id, known: ["healthy_reward", "reset_noise_scale"])
        healthyReward = try options.number("healthy_reward", healthyReward, id: Self.id)
        resetNoiseScale = try options.number("reset_noise_scale", resetNoiseScale, id: Self.id, minimum: 0)
    }

    public func observationSize(_ model: MuJoCoModel) -> Int { 1 + 2 * (model.nq - 1) + model.nv + 1 }

    /// Cart position, sin and cos of the link angles, clipped velocities, the cart's clipped constraint force.
    public func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>) {
        let nq = simulation.model.nq, nv = simulation.model.nv
        var o = 0
        observation[o] = simulation.qpos[0]; o += 1
        for i in 1..<nq { observation[o] = sin(simulation.qpos[i]); o += 1 }
        for i in 1..<nq { observation[o] = cos(simulation.qpos[i]); o += 1 }
        for i in 0..<nv { observation[o] = numpyClip(simulation.qvel[i], -10, 10); o += 1 }
        observation[o] = numpyClip(simulation.qfrcConstraint[0], -10, 10)
    }

    public func step(_ simulation: MuJoCoSimulation, action: UnsafeBufferPointer<Float>) -> (reward: Double, terminated: Bool) {
        simulation.doSimulation(action, frameSkip: frameSkip)
        let x = simulation.siteXpos[0], y = simulation.siteXpos[2]
        let terminated = y <= 1
        let v1 = simulation.qvel[1], v2 = simulation.qvel[2]
        // `**2` is NumPy's float64 power, glibc's pow (not always x * x in the last bit).
        let distancePenalty = 0.01 * pow(x, 2) + pow(y - 2, 2)
        let velocityPenalty = 1e-3 * pow(v1, 2) + 5e-3 * pow(v2, 2)
        let aliveBonus = healthyReward * (terminated ? 0 : 1)
        return (aliveBonus - distancePenalty - velocityPenalty, terminated)
    }

    public func resetModel(_ simulation: MuJoCoSimulation, initialState: MuJoCoInitialState, random: inout NumPyGenerator) {
        initialState.uniformPositions(scale: resetNoiseScale, random: &random)
        initialState.normalVelocities(scale: resetNoiseScale, random: &random)
        initialState.apply(to: simulation)
    }
}
#endif
