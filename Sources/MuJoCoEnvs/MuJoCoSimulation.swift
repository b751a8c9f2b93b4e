#if MuJoCo
import CMuJoCo

/// One environment's simulation state (`mjData`) on a shared `MuJoCoModel`, with the calls
/// Gymnasium's `MujocoEnv` makes, in its order. Owned by one environment, used by one thread.
public final class MuJoCoSimulation {
    public let model: MuJoCoModel
    let data: UnsafeMutablePointer<mjData>
    /// The integration state's size in float64 words (`mj_stateSize(mjSTATE_INTEGRATION)`).
    let stateSize: Int

    public init(model: MuJoCoModel) {
        self.model = model
        data = mj_makeData(model.pointer)
        stateSize = Int(mj_stateSize(model.pointer, Int32(mjSTATE_INTEGRATION.rawValue)))
    }

    deinit { mj_deleteData(data) }

    var m: UnsafeMutablePointer<mjModel> { model.pointer }

    /// `mj_resetData`: every state variable back to the model's defaults (`qpos0`, zero velocity).
    public func resetData() { mj_resetData(m, data) }

    /// Gymnasium's `set_state`: copies qpos and qvel in, then `mj_forward` (positions-dependent
    /// quantities, as the observation reads them).
    public func setState(qpos: UnsafeBufferPointer<Double>, qvel: UnsafeBufferPointer<Double>) {
        qpos.withMemoryRebound(to: Double.self) { self.qpos.update(from: $0.baseAddress!, count: model.nq) }
        qvel.withMemoryRebound(to: Double.self) { self.qvel.update(from: $0.baseAddress!, count: model.nv) }
        mj_forward(m, data)
    }

    /// Gymnasium's `do_simulation`: the float32 action widened into `ctrl`, `frameSkip` calls of
    /// `mj_step`, then `mj_rnePostConstraint` (which fills `cfrc_ext` for observations and costs).
    /// MuJoCo itself clamps `ctrl` to the control range of limited actuators; the action is not clipped.
    public func doSimulation(_ action: UnsafeBufferPointer<Float>, frameSkip: Int) {
        let ctrl = self.ctrl
        for i in 0..<action.count { ctrl[i] = Double(action[i]) }
        for _ in 0..<frameSkip { mj_step(m, data) }
        mj_rnePostConstraint(m, data)
    }

    public var qpos: UnsafeMutablePointer<Double> { data.pointee.qpos }
    public var qvel: UnsafeMutablePointer<Double> { data.pointee.qvel }
    public var ctrl: UnsafeMutablePointer<Double> { data.pointee.ctrl }
    /// Body positions, 3 per body (`xpos`).
    public var xpos: UnsafeMutablePointer<Double> { data.pointee.xpos }
    /// Site positions, 3 per site (`site_xpos`).
    public var siteXpos: UnsafeMutablePointer<Double> { data.pointee.site_xpos }
    /// Centre-of-mass inertia, 10 per body (`cinert`).
    public var cinert: UnsafeMutablePointer<Double> { data.pointee.cinert }
    /// Centre-of-mass velocity, 6 per body (`cvel`).
    public var cvel: UnsafeMutablePointer<Double> { data.pointee.cvel }
    /// Actuator forces in joint space, nv (`qfrc_actuator`).
    public var qfrcActuator: UnsafeMutablePointer<Double> { data.pointee.qfrc_actuator }
    /// External contact forces, 6 per body (`cfrc_ext`).
    public var cfrcExt: UnsafeMutablePointer<Double> { data.pointee.cfrc_ext }
    /// Constraint forces in joint space, nv (`qfrc_constraint`).
    public var qfrcConstraint: UnsafeMutablePointer<Double> { data.pointee.qfrc_constraint }
    /// Body centres of mass (`xipos`), 3 per body.
    public var xipos: UnsafeMutablePointer<Double> { data.pointee.xipos }
    /// Body masses (`body_mass`).
    public var bodyMass: UnsafeMutablePointer<Double> { m.pointee.body_mass }
    /// The number of active contacts (`ncon`).
    public var contactCount: Int { Int(data.pointee.ncon) }

    /// Everything `mj_step` reads (`mjSTATE_INTEGRATION`: time, qpos, qvel, act, warm start,
    /// controls and applied forces), as float64 bit patterns: restoring it continues bit for bit.
    public func snapshot() -> [UInt64] {
        var state = [Double](repeating: 0, count: stateSize)
        mj_getState(m, data, &state, Int32(mjSTATE_INTEGRATION.rawValue))
        return state.map(\.bitPattern)
    }

    /// Restores what `snapshot()` returned, then recomputes the derived quantities
    /// (`mj_forward`, then `mj_rnePostConstraint`, as after a step) that observations read.
    public func restore(_ words: ArraySlice<UInt64>) {
        precondition(words.count == stateSize)
        let state = words.map { Double(bitPattern: $0) }
        mj_setState(m, data, state, Int32(mjSTATE_INTEGRATION.rawValue))
        mj_forward(m, data)
        mj_rnePostConstraint(m, data)
    }
}
#endif
