#if MuJoCo
import SeededRandom
/// Gymnasium's `HalfCheetah-v5`: run forward; reward = forward velocity − control cost.
public struct HalfCheetah: MuJoCoTask {
    public static let id = "HalfCheetah-v5"
    public static let modelFile = "half_cheetah.xml"
    public let frameSkip = 5
    let rules: ForwardRunRules

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        rules = try ForwardRunRules(options: options, id: Self.id, controlCostWeight: 0.1, excludedPositions: 1, normalVelocityNoise: true)
    }

    public func observationSize(_ model: MuJoCoModel) -> Int { rules.observationSize(model) }
    public func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>) { rules.observe(simulation, into: observation) }
    public func step(_ simulation: MuJoCoSimulation, action: UnsafeBufferPointer<Float>) -> (reward: Double, terminated: Bool) {
        rules.step(simulation, action: action, frameSkip: frameSkip)
    }
    public func resetModel(_ simulation: MuJoCoSimulation, initialState: MuJoCoInitialState, random: inout NumPyGenerator) {
        rules.resetModel(simulation, initialState: initialState, random: &random)
    }
}
#endif
