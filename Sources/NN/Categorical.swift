#if canImport(Glibc)
import Glibc
#endif

/// A categorical distribution over `n` actions parameterised by logits (PPO's and A2C's
/// discrete policy): log-probabilities, entropy and their gradients with respect to the logits,
/// row by row over a batch whose rows sit `stride` floats apart (a shared actor-critic's output
/// holds the logits and the value side by side).
///
/// With p = softmax(z): log π(a) = zₐ − log Σⱼ exp zⱼ, ∂ log π(a)/∂zⱼ = [j = a] − pⱼ;
/// H = −Σⱼ pⱼ log pⱼ, ∂H/∂zⱼ = −pⱼ (log pⱼ + H).
public enum Categorical {
    /// log Σⱼ exp zⱼ of one row, computed from its maximum (no overflow).
    @inlinable
    public static func logSumExp(_ z: UnsafePointer<Float>, n: Int) -> Float {
        var m = z[0]
        for j in 1..<n { m = max(m, z[j]) }
        var s: Float = 0
        for j in 0..<n { s += expf(z[j] - m) }
        return m + logf(s)
    }

    /// log π(a) and the entropy of one row of logits.
    @inlinable
    public static func logProbabilityAndEntropy(_ z: UnsafePointer<Float>, n: Int, action: Int) -> (logProbability: Float, entropy: Float) {
        let lse = logSumExp(z, n: n)
        var entropy: Float = 0
        for j in 0..<n {
            let logP = z[j] - lse
            entropy -= expf(logP) * logP
        }
        return (z[action] - lse, entropy)
    }

    /// Adds to `dz` (one row) the gradient of `dLogProbability`·log π(a) + `dEntropy`·H.
    @inlinable
    public static func backward(_ z: UnsafePointer<Float>, n: Int, action: Int, dLogProbability: Float, dEntropy: Float,
                                into dz: UnsafeMutablePointer<Float>) {
        let lse = logSumExp(z, n: n)
        var entropy: Float = 0
        for j in 0..<n {
            let logP = z[j] - lse
            entropy -= expf(logP) * logP
        }
        for j in 0..<n {
            let logP = z[j] - lse, p = expf(logP)
            dz[j] += dLogProbability * ((j == action ? 1 : 0) - p) - dEntropy * p * (logP + entropy)
        }
    }

    /// Draws an action from the row's softmax with one uniform `u` ∈ [0, 1) (inverse CDF).
    @inlinable
    public static func sample(_ z: UnsafePointer<Float>, n: Int, uniform u: Float) -> Int {
        let lse = logSumExp(z, n: n)
        var cumulative: Float = 0
        for j in 0..<(n - 1) {
            cumulative += expf(z[j] - lse)
            if u < cumulative { return j }
        }
        return n - 1
    }

    /// The most probable action of a row (the first of ties).
    @inlinable
    public static func mode(_ z: UnsafePointer<Float>, n: Int) -> Int {
        var best = 0
        for j in 1..<n where z[j] > z[best] { best = j }
        return best
    }
}
