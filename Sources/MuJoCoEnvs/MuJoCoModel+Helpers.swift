#if MuJoCo
extension MuJoCoModel {
    /// Gymnasium's `dt`: `model.opt.timestep * frame_skip`.
    public func timestep(times frameSkip: Int) -> Double { timestep * Double(frameSkip) }
}

extension MuJoCoSimulation {
    /// `doSimulation`, returning `(qpos[coordinate] after − before) / dt`, Gymnasium's forward velocity.
    public func stepMeasuringVelocity(of coordinate: Int, action: UnsafeBufferPointer<Float>, frameSkip: Int) -> Double {
        let before = qpos[coordinate]
        doSimulation(action, frameSkip: frameSkip)
        return (qpos[coordinate] - before) / model.timestep(times: frameSkip)
    }
}

extension UnsafeMutablePointer<Double> {
    /// `concatenate(qpos[skip:], qvel)`, the observation of most locomotion tasks.
    func positionsAndVelocities(_ simulation: MuJoCoSimulation, skippingPositions skip: Int, velocityClip: Double? = nil) {
        let nq = simulation.model.nq, nv = simulation.model.nv
        var o = 0
        for i in skip..<nq { self[o] = simulation.qpos[i]; o += 1 }
        for i in 0..<nv {
            let v = simulation.qvel[i]
            self[o] = velocityClip.map { numpyClip(v, -$0, $0) } ?? v
            o += 1
        }
    }
}

/// `np.clip(x, low, high)` for float64 (NaN passes through, as NumPy's does).
func numpyClip(_ x: Double, _ low: Double, _ high: Double) -> Double {
    x.isNaN ? x : Swift.min(Swift.max(x, low), high)
}
#endif
