#if MuJoCo
import SeededRandom
/// Gymnasium's `Ant-v5`: a four-legged walker; reward = forward velocity of the torso + healthy
/// bonus − control cost − contact cost; terminates when the torso leaves its height range.
public struct Ant: MuJoCoTask {
    public static let id = "Ant-v5"
    public static let modelFile = "ant.xml"
    public let frameSkip = 5
    public var forwardRewardWeight = 1.0
    public var controlCostWeight = 0.5
    public var contactCostWeight = 5e-4
    public var healthyReward = 1.0
    public var mainBody = 1
    public var terminateWhenUnhealthy = true
    public var healthyZRange = (0.2, 1.0)
    public var contactForceRange = (-1.0, 1.0)
    public var resetNoiseScale = 0.1
    public var excludeCurrentPositions = true
    public var includeContactForces = true

    public init(options: MuJoCoOptions = MuJoCoOptions()) throws {
        try options.check(id: Self.id, known: ["forward_reward_weight", "ctrl_cost_weight", "contact_cost_weight", "healthy_reward",
                                               "main_body", "terminate_when_unhealthy", "healthy_z_range", "contact_force_range",
                                               "reset_noise_scale", "exclude_current_positions_from_observation",
                                               "include_cfrc_ext_in_observation"])
        forwardRewardWeight = try options.number("forward_reward_weight", forwardRewardWeight, id: Self.id)
        controlCostWeight = try options.number("ctrl_cost_weight", controlCostWeight, id: Self.id)
        contactCostWeight = try options.number("contact_cost_weight", contactCostWeight, id: Self.id)
        healthyReward = try options.number("healthy_reward", healthyReward, id: Self.id)
        let body = try options.number("main_body", Double(mainBody), id: Self.id, minimum: 0)
        guard body == body.rounded(), body < 1_000 else {
            throw MuJoCoError.invalidOption(id: Self.id, key: "main_body", detail: "expected a body index")
        }
        mainBody = Int(body)
        terminateWhenUnhealthy = try options.flag("terminate_when_unhealthy", terminateWhenUnhealthy, id: Self.id)
        healthyZRange = try options.range("healthy_z_range", healthyZRange, id: Self.id)
        contactForceRange = try options.range("contact_force_range", contactForceRange, id: Self.id)
        resetNoiseScale = try options.number("reset_noise_scale", resetNoiseScale, id: Self.id, minimum: 0)
        excludeCurrentPositions = try options.flag("exclude_current_positions_from_observation", excludeCurrentPositions, id: Self.id)
        includeContactForces = try options.flag("include_cfrc_ext_in_observation", includeContactForces, id: Self.id)
    }

    public func observationSize(_ model: MuJoCoModel) -> Int {
        model.nq + model.nv - (excludeCurrentPositions ? 2 : 0) + (includeContactForces ? 6 * (model.nbody - 1) : 0)
    }

    func clippedContactForce(_ simulation: MuJoCoSimulation, _ i: Int) -> Double {
        numpyClip(simulation.cfrcExt[i], contactForceRange.0, contactForceRange.1)
    }

    public func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>) {
        let skip = excludeCurrentPositions ? 2 : 0
        observation.positionsAndVelocities(simulation, skippingPositions: skip)
        guard includeContactForces else { return }
        let start = simulation.model.nq - skip + simulation.model.nv
        for i in 6..<(6 * simulation.model.nbody) { observation[start + i - 6] = clippedContactForce(simulation, i) }
    }

    public func step(_ simulation: MuJoCoSimulation, action: UnsafeBufferPointer<Float>) -> (reward: Double, terminated: Bool) {
        let before = simulation.xpos[3 * mainBody]
        simulation.doSimulation(action, frameSkip: frameSkip)
        let xVelocity = (simulation.xpos[3 * mainBody] - before) / simulation.model.timestep(times: frameSkip)
        // Healthy: the whole state finite and the torso's height within its range (inclusive).
        let model = simulation.model
        var healthy = true
        for i in 0..<model.nq where !simulation.qpos[i].isFinite { healthy = false }
        for i in 0..<model.nv where !simulation.qvel[i].isFinite { healthy = false }
        let z = simulation.qpos[2]
        healthy = healthy && healthyZRange.0 <= z && z <= healthyZRange.1
        let rewards = xVelocity * forwardRewardWeight + (healthy ? healthyReward : 0)
        let controlCost = Float(controlCostWeight) * NumPySums.sumOfSquares(action)
        let contactSum = NumPySums.pairwise(6 * model.nbody) { i -> Double in
            let force = clippedContactForce(simulation, i)
            return force * force
        }
        let costs = Double(controlCost) + contactCostWeight * contactSum
        return (rewards - costs, !healthy && terminateWhenUnhealthy)
    }

    public func resetModel(_ simulation: MuJoCoSimulation, initialState: MuJoCoInitialState, random: inout NumPyGenerator) {
        initialState.uniformPositions(scale: resetNoiseScale, random: &random)
        initialState.normalVelocities(scale: resetNoiseScale, random: &random)
        initialState.apply(to: simulation)
    }
}
#endif
