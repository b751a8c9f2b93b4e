#if MuJoCo
import SeededRandom
/// The rules of Gymnasium's tasks that only run forward and never end (HalfCheetah, Swimmer),
/// read from a task's keyword options with its defaults: reward = forward velocity × weight −
/// float32 control cost; the x position (and y, for Swimmer) can be left out of observations.
struct ForwardRunRules: Sendable {
    var forwardRewardWeight: Double
    var controlCostWeight: Double
    var resetNoiseScale: Double
    var excludeCurrentPositions: Bool
    /// Leading qpos entries the observation leaves out when positions are excluded.
    let excludedPositions: Int
    /// Whether the qvel reset noise is `scale · standard_normal` (HalfCheetah) or uniform (Swimmer).
    let normalVelocityNoise: Bool

    init(options: MuJoCoOptions, id: String, controlCostWeight: Double, excludedPositions: Int, normalVelocityNoise: Bool) throws {
        try options.check(id: id, known: ["forward_reward_weight", "ctrl_cost_weight", "reset_noise_scale", "exclude_current_positions_from_observation"])
        forwardRewardWeight = try options.number("forward_reward_weight", 1, id: id)
        self.controlCostWeight = try options.number("ctrl_cost_weight", controlCostWeight, id: id)
        resetNoiseScale = try options.number("reset_noise_scale", 0.1, id: id, minimum: 0)
        excludeCurrentPositions = try options.flag("exclude_current_positions_from_observation", true, id: id)
        self.excludedPositions = excludedPositions
        self.normalVelocityNoise = normalVelocityNoise
    }

    func observationSize(_ model: MuJoCoModel) -> Int { model.nq + model.nv - (excludeCurrentPositions ? excludedPositions : 0) }

    func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>) {
        observation.positionsAndVelocities(simulation, skippingPositions: excludeCurrentPositions ? excludedPositions : 0)
    }

    func step(_ simulation: MuJoCoSimulation, action: UnsafeBufferPointer<Float>, frameSkip: Int) -> (reward: Double, terminated: Bool) {
        let xVelocity = simulation.stepMeasuringVelocity(of: 0, action: action, frameSkip: frameSkip)
        let controlCost = Float(controlCostWeight) * NumPySums.sumOfSquares(action)
        return (forwardRewardWeight * xVelocity - Double(controlCost), false)
    }

    func resetModel(_ simulation: MuJoCoSimulation, initialState: MuJoCoInitialState, random: inout NumPyGenerator) {
        initialState.uniformPositions(scale: resetNoiseScale, random: &random)
        if normalVelocityNoise {
            initialState.normalVelocities(scale: resetNoiseScale, random: &random)
        } else {
            initialState.uniformVelocities(scale: resetNoiseScale, random: &random)
        }
        initialState.apply(to: simulation)
    }
}
#endif
