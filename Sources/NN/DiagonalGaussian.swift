#if canImport(Glibc)
import Glibc
#endif

/// A diagonal Gaussian with state-independent log standard deviations (PPO's and A2C's
/// continuous policy, as Stable-Baselines3's `DiagGaussianDistribution`): the network gives the
/// means μ, a parameter vector the log-stds ℓ (σ = exp ℓ). Actions are not squashed; the
/// collector clips them to the box for stepping and stores them as drawn.
///
/// log π(a) = Σⱼ [−½((aⱼ − μⱼ)/σⱼ)² − ℓⱼ − ½ log 2π], ∂/∂μⱼ = (aⱼ − μⱼ)/σⱼ², ∂/∂ℓⱼ = ((aⱼ − μⱼ)/σⱼ)² − 1;
/// H = Σⱼ (½ + ½ log 2π + ℓⱼ), ∂H/∂ℓⱼ = 1.
public enum DiagonalGaussian {
    public static let halfLog2Pi = Float(0.5 * log(2 * Double.pi))

    /// log π(a) of one row of means `mu` and actions `a` (A values each).
    @inlinable
    public static func logProbability(mean mu: UnsafePointer<Float>, logStd: UnsafePointer<Float>, action a: UnsafePointer<Float>,
                                      size: Int) -> Float {
        var sum: Float = 0
        for j in 0..<size {
            let z = (a[j] - mu[j]) * expf(-logStd[j])
            sum += -0.5 * z * z - logStd[j] - halfLog2Pi
        }
        return sum
    }

    /// The entropy (the same for every row).
    @inlinable
    public static func entropy(logStd: UnsafePointer<Float>, size: Int) -> Float {
        var sum: Float = 0
        for j in 0..<size { sum += 0.5 + halfLog2Pi + logStd[j] }
        return sum
    }

    /// Adds to `dMean` (one row) and `dLogStd` (shared) the gradient of `dLogProbability`·log π(a)
    /// + `dEntropy`·H.
    @inlinable
    public static func backward(mean mu: UnsafePointer<Float>, logStd: UnsafePointer<Float>, action a: UnsafePointer<Float>, size: Int,
                                dLogProbability: Float, dEntropy: Float,
                                dMean: UnsafeMutablePointer<Float>, dLogStd: UnsafeMutablePointer<Float>) {
        for j in 0..<size {
            let inverseStd = expf(-logStd[j])
            let z = (a[j] - mu[j]) * inverseStd
            dMean[j] += dLogProbability * z * inverseStd
            dLogStd[j] += dLogProbability * (z * z - 1) + dEntropy
        }
    }
}
