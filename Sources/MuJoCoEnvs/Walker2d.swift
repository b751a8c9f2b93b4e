#if MuJoCo
import SeededRandom
/// Gymnasium's `Walker2d-v5`: walk forward without falling; reward = forward velocity + healthy
/// bonus − control cost; terminates when the torso's height or angle leaves its range.
public struct Walker2d: MuJoCoTask {
    public static let id = "Walker2d-v5"
    public static let modelFile = "walker2d_v5.xml"
    public let frameSkip = 4
    let rules: LocomotionRules

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        rules = try LocomotionRules(options: options, id: Self.id, controlCostWeight: 1e-3, healthyStateRange: nil,
                                    healthyZRange: (0.8, 2.0), healthyAngleRange: (-1, 1), resetNoiseScale: 5e-3)
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
