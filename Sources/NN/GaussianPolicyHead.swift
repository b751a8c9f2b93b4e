import Shared
import SeededRandom
#if canImport(Glibc)
import Glibc
#endif

/// SAC's policy head: a diagonal Gaussian whose sample is squashed by tanh, with the
/// log-probability corrected for the squashing, sampled with the reparameterisation trick so a
/// gradient can flow from a critic through the action into the policy.
///
/// The policy network outputs (batch, 2·A): the means, then the raw log-stds, clamped to
/// [`logStdMin`, `logStdMax`]. With ε ~ N(0, 1): u = μ + σε, a = tanh(u) ∈ (−1, 1)ᴬ and
/// log π(a|s) = Σⱼ [−½εⱼ² − log σⱼ − ½ log 2π] − Σⱼ log(1 − tanh²uⱼ), the last term computed as
/// 2(log 2 − u − softplus(−2u)) for stability. Buffers are preallocated for `maxBatch`.
public final class GaussianPolicyHead {
    public let actionSize: Int
    public let maxBatch: Int
    public let logStdMin: Float
    public let logStdMax: Float
    /// (maxBatch, A): the squashed actions of the last forward.
    public let actions: UnsafeMutableBufferPointer<Float>
    /// (maxBatch): log π of the last forward's actions.
    public let logProbabilities: UnsafeMutableBufferPointer<Float>
    let noise: UnsafeMutableBufferPointer<Float>     // ε
    let std: UnsafeMutableBufferPointer<Float>       // σ
    let clampMask: UnsafeMutableBufferPointer<Bool>  // log-std inside the clamp range (gradient passes)
    var batch = 0

    public init(actionSize: Int, maxBatch: Int, logStdMin: Float = -20, logStdMax: Float = 2) {
        self.actionSize = actionSize
        self.maxBatch = maxBatch
        self.logStdMin = logStdMin
        self.logStdMax = logStdMax
        actions = .allocate(capacity: maxBatch * actionSize, repeating: 0)
        logProbabilities = .allocate(capacity: maxBatch, repeating: 0)
        noise = .allocate(capacity: maxBatch * actionSize, repeating: 0)
        std = .allocate(capacity: maxBatch * actionSize, repeating: 0)
        clampMask = .allocate(capacity: maxBatch * actionSize, repeating: false)
    }

    deinit {
        actions.deallocate(); logProbabilities.deallocate(); noise.deallocate(); std.deallocate(); clampMask.deallocate()
    }

    static let halfLog2Pi = Float(0.5 * log(2 * Double.pi))

    /// Samples actions and their log-probabilities from the network output `raw` (batch, 2A).
    /// With `deterministic`, a = tanh(μ) (ε = 0) for evaluation. `noise` (batch, A), when
    /// given, is used as ε instead of draws from `rng` (temporally correlated exploration noise).
    public func forward(_ raw: UnsafeBufferPointer<Float>, batch: Int, deterministic: Bool = false,
                        noise externalNoise: UnsafeBufferPointer<Float>? = nil, rng: inout Xoshiro256) {
        precondition(batch <= maxBatch && raw.count >= batch * 2 * actionSize, "policy output too small")
        self.batch = batch
        let a = actionSize
        for b in 0..<batch {
            var logProbability: Float = 0
            for j in 0..<a {
                let mean = raw[b * 2 * a + j]
                let rawLogStd = raw[b * 2 * a + a + j]
                let logStd = min(max(rawLogStd, logStdMin), logStdMax)
                let i = b * a + j
                clampMask[i] = rawLogStd >= logStdMin && rawLogStd <= logStdMax
                let sigma = expf(logStd)
                let eps: Float = deterministic ? 0 : externalNoise.map { $0[i] } ?? Float(rng.nextStandardNormal())
                let u = mean + sigma * eps
                noise[i] = eps
                std[i] = sigma
                actions[i] = tanhf(u)
                let squash = 2 * (Float(M_LN2) - u - softplus(-2 * u))   // log(1 − tanh²u)
                logProbability += -0.5 * eps * eps - logStd - Self.halfLog2Pi - squash
            }
            logProbabilities[b] = logProbability
        }
    }

    /// Gradient with respect to the network output (batch, 2A), given dL/da (batch, A) and
    /// dL/dlogπ (batch), through the reparameterised sample (ε held fixed). Writes `draw`.
    public func backward(dActions: UnsafeBufferPointer<Float>, dLogProbabilities: UnsafeBufferPointer<Float>,
                         draw: UnsafeMutableBufferPointer<Float>) {
        let a = actionSize
        for b in 0..<batch {
            let dLogP = dLogProbabilities[b]
            for j in 0..<a {
                let i = b * a + j
                let action = actions[i]
                // d logπ/du = 2 tanh(u) (from the squashing term); da/du = 1 − tanh²u.
                let dU = dActions[i] * (1 - action * action) + dLogP * 2 * action
                draw[b * 2 * a + j] = dU
                // u = μ + e^{logσ} ε, and logπ has a direct −logσ term.
                let dLogStd = dU * std[i] * noise[i] - dLogP
                draw[b * 2 * a + a + j] = clampMask[i] ? dLogStd : 0
            }
        }
    }
}

@inlinable @inline(__always)
func softplus(_ x: Float) -> Float {
    // log(1 + e^x) without overflow.
    x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x))
}
