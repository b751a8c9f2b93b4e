#if MuJoCo
import SeededRandom
/// Gymnasium's `Walker2d-v5`: walk forward without falling; reward = forward velocity + healthy
/// bonus − control cost; terminates when the torso's height or angle leaves its range.
public struct Walker2d: MuJoCoTask {
    public static let id = "Walker2d-v5"
    public static let modelFile = "walker2d_v5.xml"
    public let frameSkip = 4
    public var forwardRewardWeight = 1.0
    public var controlCostWeight = 1e-3
    public var healthyReward = 1.0
    public var terminateWhenUnhealthy = true
    public var healthyZRange = (0.8, 2.0)
    public var healthyAngleRange = (-1.0, 1.0)
    public var resetNoiseScale = 5e-3
    public var excludeCurrentPositions = true

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        try options.check(id: Self.id, known: ["forward_reward_weight", "ctrl_cost_weight", "healthy_reward", "terminate_when_unhealthy",
                                               "healthy_z_range", "healthy_angle_range", "reset_noise_scale",
                                               "exclude_current_positions_from_observation"])
        forwardRewardWeight = try options.number("forward_reward_weight", forwardRewardWeight, id: Self.id)
        controlCostWeight = try options.number("ctrl_cost_weight", controlCostWeight, id: Self.id)
        healthyReward = try options.number("healthy_reward", healthyReward, id: Self.id)
        terminateWhenUnhealthy = try options.flag("terminate_when_unhealthy", terminateWhenUnhealthy, id: Self.id)
        healthyZRange = try options.range("healthy_z_range", healthyZRange, id: Self.id)
        healthyAngleRange = try options.range("healthy_angle_range", healthyAngleRange, id: Self.id)
        resetNoiseScale = try options.number("reset_noise_scale", resetNoiseScale, id: Self.id, minimum: 0)
        excludeCurrentPositions = try options.flag("exclude_current_positions_from_observation", excludeCurrentPositions, id: Self.id)
    }

    public func observationSize(_ model: MuJoCoModel) -> Int { model.nq + model.nv - (excludeCurrentPositions ? 1 : 0) }

    public func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>) {
        observation.positionsAndVelocities(simulation, skippingPositions: excludeCurrentPositions ? 1 : 0, velocityClip: 10)
    }

    func isHealthy(_ simulation: MuJoCoSimulation) -> Bool {
        let z = simulation.qpos[1], angle = simulation.qpos[2]
        return healthyZRange.0 < z && z < healthyZRange.1 && healthyAngleRange.0 < angle && angle < healthyAngleRange.1
    }

    public func step(_ simulation: MuJoCoSimulation, action: UnsafeBufferPointer<Float>) -> (reward: Double, terminated: Bool) {
        let xVelocity = simulation.stepMeasuringVelocity(of: 0, action: action, frameSkip: frameSkip)
        let healthy = isHealthy(simulation)
        let rewards = forwardRewardWeight * xVelocity + (healthy ? healthyReward : 0)
        let costs = Float(controlCostWeight) * NumPySums.sumOfSquares(action)
        return (rewards - Double(costs), !healthy && terminateWhenUnhealthy)
    }

    public func resetModel(_ simulation: MuJoCoSimulation, initialState: MuJoCoInitialState, random: inout NumPyGenerator) {
        initialState.uniformPositions(scale: resetNoiseScale, random: &random)
        initialState.uniformVelocities(scale: resetNoiseScale, random: &random)
        initialState.apply(to: simulation)
    }
}
#endif
