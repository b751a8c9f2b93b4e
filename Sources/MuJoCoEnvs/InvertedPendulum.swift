#if MuJoCo
import SeededRandom
#if canImport(Glibc)
import Glibc
#endif
/// Gymnasium's `InvertedPendulum-v5`: keep a pole upright on a cart; +1 per step while the pole
/// stays within 0.2 rad; terminates when it leaves that range (or the state is not finite).
public struct InvertedPendulum: MuJoCoTask {
    public static let id = "InvertedPendulum-v5"
    public static let modelFile = "inverted_pendulum.xml"
    public let frameSkip = 2
    public var resetNoiseScale = 0.01

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        try options.check(id: Self.id, known: ["reset_noise_scale"])
        resetNoiseScale = try options.number("reset_noise_scale", resetNoiseScale, id: Self.id, minimum: 0)
    }

    public func observationSize(_ model: MuJoCoModel) -> Int { model.nq + model.nv }

    public func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>) {
        observation.positionsAndVelocities(simulation, skippingPositions: 0)
    }

    public func step(_ simulation: MuJoCoSimulation, action: UnsafeBufferPointer<Float>) -> (reward: Double, terminated: Bool) {
        simulation.doSimulation(action, frameSkip: frameSkip)
        let model = simulation.model
        var finite = true
        for i in 0..<model.nq where !simulation.qpos[i].isFinite { finite = false }
        for i in 0..<model.nv where !simulation.qvel[i].isFinite { finite = false }
        let terminated = !finite || abs(simulation.qpos[1]) > 0.2
        return (terminated ? 0 : 1, terminated)
    }

    public func resetModel(_ simulation: MuJoCoSimulation, initialState: MuJoCoInitialState, random: inout NumPyGenerator) {
        initialState.uniformPositions(scale: resetNoiseScale, random: &random)
        initialState.uniformVelocities(scale: resetNoiseScale, random: &random)
        initialState.apply(to: simulation)
    }
}
#endif
