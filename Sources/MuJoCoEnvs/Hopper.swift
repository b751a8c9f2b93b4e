#if MuJoCo
import SeededRandom
/// Gymnasium's `Hopper-v5`: hop forward without falling; reward = forward velocity + healthy
/// bonus − control cost; terminates when unhealthy (state, height or angle out of range).
public struct Hopper: MuJoCoTask {
    public static let id = "Hopper-v5"
    public static let modelFile = "hopper.xml"
    public let frameSkip = 4
    public var forwardRewardWeight = 1.0
    public var controlCostWeight = 1e-3
    public var healthyReward = 1.0
    public var terminateWhenUnhealthy = true
    public var healthyStateRange = (-100.0, 100.0)
    public var healthyZRange = (0.7, Double.infinity)
    public var healthyAngleRange = (-0.2, 0.2)
    public var resetNoiseScale = 5e-3
    public var excludeCurrentPositions = true

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        try options.check(id: Self.id, known: ["forward_reward_weight", "ctrl_cost_weight", "healthy_reward", "terminate_when_unhealthy",
                                               "healthy_state_range", "healthy_z_range", "healthy_angle_range", "reset_noise_scale",
                                               "exclude_current_positions_from_observation"])
        forwardRewardWeight = try options.number("forward_reward_weight", forwardRewardWeight, id: Self.id)
        controlCostWeight = try options.number("ctrl_cost_weight", controlCostWeight, id: Self.id)
        healthyReward = try options.number("healthy_reward", healthyReward, id: Self.id)
        terminateWhenUnhealthy = try options.flag("terminate_when_unhealthy", terminateWhenUnhealthy, id: Self.id)
        healthyStateRange = try options.range("healthy_state_range", healthyStateRange, id: Self.id)
        healthyZRange = try options.range("healthy_z_range", healthyZRange, id: Self.id)
        healthyAngleRange = try options.range("healthy_angle_range", healthyAngleRange, id: Self.id)
        resetNoiseScale = try options.number("reset_noise_scale", resetNoiseScale, id: Self.id, minimum: 0)
        excludeCurrentPositions = try options.flag("exclude_current_positions_from_observation", excludeCurrentPositions, id: Self.id)
    }

    public func observationSize(_ model: MuJoCoModel) -> Int { model.nq + model.nv - (excludeCurrentPositions ? 1 : 0) }

    public func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>) {
        observation.positionsAndVelocities(simulation, skippingPositions: excludeCurrentPositions ? 1 : 0, velocityClip: 10)
    }

    /// Every state component after the first two within the state range, the height and the angle within theirs (strictly).
    func isHealthy(_ simulation: MuJoCoSimulation) -> Bool {
        let z = simulation.qpos[1], angle = simulation.qpos[2]
        let model = simulation.model
        for i in 2..<(model.nq + model.nv) {
            let value = i < model.nq ? simulation.qpos[i] : simulation.qvel[i - model.nq]
            if !(healthyStateRange.0 < value && value < healthyStateRange.1) { return false }
        }
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
