/// Losses and the small tensor pieces value-based and actor-critic losses are made of. Each
/// forward returns the loss and writes its gradient (already divided by the batch, as PyTorch's
/// `reduction="mean"`), so the caller passes the gradient straight to `MLP.backward`.
public enum Loss {
    /// Mean squared error: mean_i w_i (p_i − t_i)²; writes dL/dp. `weights` (importance
    /// weights) default to 1. prediction, target, gradient, weights: (n)
    @inlinable
    public static func meanSquaredError(prediction p: UnsafeBufferPointer<Float>, target t: UnsafeBufferPointer<Float>,
                                        gradient g: UnsafeMutableBufferPointer<Float>,
                                        weights w: UnsafeBufferPointer<Float>? = nil) -> Float {
        let n = Float(p.count)
        var total: Float = 0
        for i in p.indices {
            let d = p[i] - t[i]
            let weight = w?[i] ?? 1
            total += weight * d * d
            g[i] = 2 * weight * d / n
        }
        return total / n
    }

    /// Huber loss with δ = 1 (PyTorch's `smooth_l1_loss` / `huber_loss` defaults): per element
    /// ½d² when |d| < 1, else |d| − ½; mean over elements; writes dL/dp.
    @inlinable
    public static func huber(prediction p: UnsafeBufferPointer<Float>, target t: UnsafeBufferPointer<Float>,
                             gradient g: UnsafeMutableBufferPointer<Float>,
                             weights w: UnsafeBufferPointer<Float>? = nil) -> Float {
        let n = Float(p.count)
        var total: Float = 0
        for i in p.indices {
            let d = p[i] - t[i]
            let weight = w?[i] ?? 1
            if abs(d) < 1 {
                total += weight * 0.5 * d * d
                g[i] = weight * d / n
            } else {
                total += weight * (abs(d) - 0.5)
                g[i] = weight * (d > 0 ? 1 : -1) / n
            }
        }
        return total / n
    }

    /// out[b] = q[b, actions[b]]. q: (batch, actionCount), actions, out: (batch)
    @inlinable
    public static func gather(_ q: UnsafeBufferPointer<Float>, actions: UnsafeBufferPointer<Int32>, actionCount: Int,
                              out: UnsafeMutableBufferPointer<Float>) {
        for b in 0..<actions.count { out[b] = q[b * actionCount + Int(actions[b])] }
    }

    /// dq[b, actions[b]] += dout[b]; the backward of `gather`. dq: (batch, actionCount)
    @inlinable
    public static func gatherBackward(dout: UnsafeBufferPointer<Float>, actions: UnsafeBufferPointer<Int32>, actionCount: Int,
                                      dq: UnsafeMutableBufferPointer<Float>) {
        for b in 0..<actions.count { dq[b * actionCount + Int(actions[b])] += dout[b] }
    }

    /// Row-wise maximum and its index (the first one on ties, as `torch.max`).
    /// q: (batch, actionCount); maxima, argmax: (batch)
    @inlinable
    public static func maxOverActions(_ q: UnsafeBufferPointer<Float>, actionCount: Int, batch: Int,
                                      maxima: UnsafeMutableBufferPointer<Float>?, argmax: UnsafeMutableBufferPointer<Int32>?) {
        for b in 0..<batch {
            var best = q[b * actionCount], index = 0
            for a in 1..<max(actionCount, 1) where q[b * actionCount + a] > best {
                best = q[b * actionCount + a]
                index = a
            }
            maxima?[b] = best
            argmax?[b] = Int32(index)
        }
    }
}
