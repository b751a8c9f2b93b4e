#if MuJoCo
import SeededRandom
/// The reward and health rules Gymnasium's planar locomotion tasks share, read from a task's
/// keyword options with that task's defaults: forward velocity times a weight, plus a healthy
/// bonus while the torso's height and angle (and, for Hopper, every state component after them)
/// stay strictly within their ranges, minus the float32 control cost.
struct LocomotionRules: Sendable {
    var forwardRewardWeight: Double
    var controlCostWeight: Double
    var healthyReward: Double
    var terminateWhenUnhealthy: Bool
    /// nil for tasks without a state range (Walker2d).
    var healthyStateRange: (Double, Double)?
    var healthyZRange: (Double, Double)
    var healthyAngleRange: (Double, Double)
    var resetNoiseScale: Double
    var excludeCurrentPositions: Bool

    /// The options every such task takes, plus `healthy_state_range` where the task has one.
    init(options: MuJoCoOptions, id: String, controlCostWeight: Double, healthyStateRange: (Double, Double)?,
         healthyZRange: (Double, Double), healthyAngleRange: (Double, Double), resetNoiseScale: Double) throws {
        try options.check(id: id, known: ["forward_reward_weight", "ctrl_cost_weight", "healthy_reward", "terminate_when_unhealthy",
                                          "healthy_z_range", "healthy_angle_range", "reset_noise_scale",
                                          "exclude_current_positions_from_observation"] + (healthyStateRange == nil ? [] : ["healthy_state_range"]))
        forwardRewardWeight = try options.number("forward_reward_weight", 1, id: id)
        self.controlCostWeight = try options.number("ctrl_cost_weight", controlCostWeight, id: id)
        healthyReward = try options.number("healthy_reward", 1, id: id)
        terminateWhenUnhealthy = try options.flag("terminate_when_unhealthy", true, id: id)
        self.healthyStateRange = try healthyStateRange.map { try options.range("healthy_state_range", $0, id: id) }
        self.healthyZRange = try options.range("healthy_z_range", healthyZRange, id: id)
        self.healthyAngleRange = try options.range("healthy_angle_range", healthyAngleRange, id: id)
        self.resetNoiseScale = try options.number("reset_noise_scale", resetNoiseScale, id: id, minimum: 0)
        excludeCurrentPositions = try options.flag("exclude_current_positions_from_observation", true, id: id)
    }

    func isHealthy(_ simulation: MuJoCoSimulation) -> Bool {
        let z = simulation.qpos[1], angle = simulation.qpos[2]
        if let range = healthyStateRange {
            let model = simulation.model
            for i in 2..<(model.nq + model.nv) {
                let value = i < model.nq ? simulation.qpos[i] : simulation.qvel[i - model.nq]
                if !(range.0 < value && value < range.1) { return false }
            }
        }
        return healthyZRange.0 < z && z < healthyZRange.1 && healthyAngleRange.0 < angle && angle < healthyAngleRange.1
    }

    func observationSize(_ model: MuJoCoModel) -> Int { model.nq + model.nv - (excludeCurrentPositions ? 1 : 0) }

    /// qpos (without x when excluded), then qvel clipped to ±10.
    func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>) {
        observation.positionsAndVelocities(simulation, skippingPositions: excludeCurrentPositions ? 1 : 0, velocityClip: 10)
    }

    /// Gymnasium's step: `(forward + healthy) − control`, terminated when unhealthy (if so configured).
    func step(_ simulation: MuJoCoSimulation, action: UnsafeBufferPointer<Float>, frameSkip: Int) -> (reward: Double, terminated: Bool) {
        let xVelocity = simulation.stepMeasuringVelocity(of: 0, action: action, frameSkip: frameSkip)
        let healthy = isHealthy(simulation)
        let rewards = forwardRewardWeight * xVelocity + (healthy ? healthyReward : 0)
        let costs = Float(controlCostWeight) * NumPySums.sumOfSquares(action)
        return (rewards - Double(costs), !healthy && terminateWhenUnhealthy)
    }

    /// Uniform noise of the reset scale on qpos and qvel.
    func resetModel(_ simulation: MuJoCoSimulation, initialState: MuJoCoInitialState, random: inout NumPyGenerator) {
        initialState.uniformPositions(scale: resetNoiseScale, random: &random)
        initialState.uniformVelocities(scale: resetNoiseScale, random: &random)
        initialState.apply(to: simulation)
    }
}
#endif
