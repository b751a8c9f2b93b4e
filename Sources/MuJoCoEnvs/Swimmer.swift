#if MuJoCo
import SeededRandom
/// Gymnasium's `Swimmer-v5`: a three-link swimmer in a viscous fluid; reward = forward velocity −n/// control cost; never terminates.
public struct Swimmer: MuJoCoTask {
    public static let id = "Swimmer-v5"
    public static let modelFile = "swimmer.xml"
    public let frameSkip = 4
    let rules: ForwardRunRules

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        rules = try ForwardRunRules(options: options, id: Self.id, controlCostWeight: 1e-4, excludedPositions: 2, normalVelocityNoise: false)
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
