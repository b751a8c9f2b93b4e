#if MuJoCo
import SeededRandom
/// Gymnasium's `Hopper-v5`: hop forward without falling; reward = forward velocity + healthy
/// bonus − control cost; terminates when unhealthy (state, height or angle out of range).
public struct Hopper: MuJoCoTask {
    public static let id = "Hopper-v5"
    public static let modelFile = "hopper.xml"
    public let frameSkip = 4
    let rules: LocomotionRules

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        rules = try LocomotionRules(options: options, id: Self.id, controlCostWeight: 1e-3, healthyStateRange: (-100, 100),
                                    healthyZRange: (0.7, .infinity), healthyAngleRange: (-0.2, 0.2), resetNoiseScale: 5e-3)
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
