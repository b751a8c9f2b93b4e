#if MuJoCo
import SeededRandom

/// What one Gymnasium MuJoCo task adds to the shared machinery (`MuJoCoEnvironment`): its model
/// file, frame skip, observation, reward and termination, and its reset noise. Each is a few
/// lines of Gymnasium's own `step`/`reset_model`, written in the same floating-point order.
public protocol MuJoCoTask: Sendable {
    /// Gymnasium's id, e.g. "HalfCheetah-v5".
    static var id: String { get }
    /// The MJCF file in Gymnasium's `envs/mujoco/assets` folder (the `xml_file` default).
    static var modelFile: String { get }
    /// Integrator steps per environment step.
    var frameSkip: Int { get }
    /// The number of float64 values `observe` writes.
    func observationSize(_ model: MuJoCoModel) -> Int
    /// Writes the observation of the simulation's current state.
    func observe(_ simulation: MuJoCoSimulation, into observation: UnsafeMutablePointer<Double>)
    /// Steps the simulation with `action` (`doSimulation`) and returns the reward and whether
    /// the episode terminated, evaluated as Gymnasium evaluates them.
    func step(_ simulation: MuJoCoSimulation, action: UnsafeBufferPointer<Float>) -> (reward: Double, terminated: Bool)
    /// Gymnasium's `reset_model` after `mj_resetData`: draws the noise from `random` in
    /// Gymnasium's order and sets the state (`setState`).
    func resetModel(_ simulation: MuJoCoSimulation, initialState: MuJoCoInitialState, random: inout NumPyGenerator)
}

/// The model's state right after loading (Gymnasium's `init_qpos`, `init_qvel`), which reset
/// noise is added to, and buffers to build the noisy state in without allocating.
public final class MuJoCoInitialState {
    public let qpos: [Double]
    public let qvel: [Double]
    public let qposBuffer: UnsafeMutableBufferPointer<Double>
    public let qvelBuffer: UnsafeMutableBufferPointer<Double>

    init(model: MuJoCoModel) {
        qpos = model.qpos0
        qvel = Array(repeating: 0, count: model.nv)
        qposBuffer = .allocate(capacity: model.nq)
        qvelBuffer = .allocate(capacity: model.nv)
    }

    deinit { qposBuffer.deallocate(); qvelBuffer.deallocate() }

    /// `init_qpos + uniform(-scale, scale, nq)` into `qposBuffer` (one draw per component, in order).
    public func uniformPositions(scale: Double, random: inout NumPyGenerator) {
        for i in 0..<qpos.count { qposBuffer[i] = qpos[i] + random.uniform(low: -scale, high: scale) }
    }

    /// `init_qvel + uniform(-scale, scale, nv)` into `qvelBuffer`.
    public func uniformVelocities(scale: Double, random: inout NumPyGenerator) {
        for i in 0..<qvel.count { qvelBuffer[i] = qvel[i] + random.uniform(low: -scale, high: scale) }
    }

    /// `init_qvel + scale * standard_normal(nv)` into `qvelBuffer`.
    public func normalVelocities(scale: Double, random: inout NumPyGenerator) {
        for i in 0..<qvel.count { qvelBuffer[i] = qvel[i] + scale * random.standardNormal() }
    }

    /// `set_state(qposBuffer, qvelBuffer)`.
    public func apply(to simulation: MuJoCoSimulation) {
        simulation.setState(qpos: UnsafeBufferPointer(qposBuffer), qvel: UnsafeBufferPointer(qvelBuffer))
    }
}
#endif
