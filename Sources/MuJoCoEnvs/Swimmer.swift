#if MuJoCo
import SeededRandom
/// Gymnasium's `Swimmer-v5`: a three-link swimmer in a viscous fluid; reward = forward velocity −
/// control cost; never terminates.
public struct Swimmer: MuJoCoTask {
    public static let id = "Swimmer-v5"
    public static let modelFile = "swimmer.xml"
    public let frameSkip = 4
    public var forwardRewardWeight = 1.0
    public var controlCostWeight = 1e-4
    public var resetNoiseScale = 0.1
    public var excludeCurrentPositions = true

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        try options.check(id: Self.id, known: ["forward_reward_weight", "ctrl_cost_weight", "reset_noise_scale", "exclude_current_positions_from_observation"])
        forwardRewardWeight = try options.number("forward_reward_weight", forwardRewardWeight, id: Self.id)
        controlCostWeight = try options.number("ctrl_cost_weight", controlCostWeight, id: Self.id)
        resetNoiseScale = try options.number("reset_noise_scale", resetNoiseScale, id: Self.id, minimum: 0)
        excludeCurrentPositions = try options.flag("exclude_current_positions_from_observation", excludeCurrentPositions, id: Self.id)
    }

    public func observationSize(_ model: MuJoCoModel) -> Int { model.nq + model.nv - (excludeCurrentPositions ? 2 : 0) }

    public func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>) {
        observation.positionsAndVelocities(simulation, skippingPositions: excludeCurrentPositions ? 2 : 0)
    }

    public func step(_ simulation: MuJoCoSimulation, action: UnsafeBufferPointer<Float>) -> (reward: Double, terminated: Bool) {
        let xVelocity = simulation.stepMeasuringVelocity(of: 0, action: action, frameSkip: frameSkip)
        let controlCost = Float(controlCostWeight) * NumPySums.sumOfSquares(action)
        return (forwardRewardWeight * xVelocity - Double(controlCost), false)
    }

    public func resetModel(_ simulation: MuJoCoSimulation, initialState: MuJoCoInitialState, random: inout NumPyGenerator) {
        initialState.uniformPositions(scale: resetNoiseScale, random: &random)
        initialState.uniformVelocities(scale: resetNoiseScale, random: &random)
        initialState.apply(to: simulation)
    }
}
#endif
