import CSupport
/// Adam (Kingma and Ba) over a flat parameter vector, with PyTorch's bias correction and an
/// optional decoupled weight decay (AdamW):
///
///     m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
///     θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)      (AdamW first: θ ← θ(1 − lr·λ))
///
/// One step is a single allocation-free loop over all parameters of a network.
public final class Adam {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Decoupled weight decay λ (0: plain Adam).
    public var weightDecay: Float
    /// Steps taken (t in the bias corrections).
    public internal(set) var step = 0
    /// First and second moments, one per parameter.
    public let firstMoment: UnsafeMutableBufferPointer<Float>
    public let secondMoment: UnsafeMutableBufferPointer<Float>

    public init(parameterCount: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoment = .allocate(capacity: parameterCount)
        firstMoment.initialize(repeating: 0)
        secondMoment = .allocate(capacity: parameterCount)
        secondMoment.initialize(repeating: 0)
    }

    /// An optimizer for every parameter of `network`.
    public convenience init(for network: MLP, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                            epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.init(parameterCount: network.parameters.count, learningRate: learningRate, beta1: beta1, beta2: beta2,
                  epsilon: epsilon, weightDecay: weightDecay)
    }

    deinit {
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    /// Applies one update to `parameters` from `gradients` (same length as the moments).
    public func update(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>) {
        precondition(parameters.count == firstMoment.count && gradients.count == firstMoment.count, "parameter count mismatch")
        step += 1
        let t = Float(step)
        let correction1 = 1 - pow(beta1, t)
        let correction2 = 1 - pow(beta2, t)
        let stepSize = learningRate / correction1
        let inverseSqrtCorrection2 = 1 / correction2.squareRoot()
        let decay = 1 - learningRate * weightDecay
        // The AVX2 kernel (CSupport/Kernels.c): sqrt and divide dominate, and Swift's SIMD8 on
        // baseline x86-64 ran this loop 5x slower.
        rl_adam_step(parameters.baseAddress!, gradients.baseAddress!, firstMoment.baseAddress!, secondMoment.baseAddress!,
                     parameters.count, beta1, beta2, stepSize, inverseSqrtCorrection2, epsilon, decay)
    }

    /// One update of `network` from its accumulated gradients.
    public func update(_ network: MLP) {
        update(parameters: network.parameters, gradients: UnsafeBufferPointer(network.gradients))
    }

    /// Resets the moments and the step count.
    public func reset() {
        firstMoment.update(repeating: 0)
        secondMoment.update(repeating: 0)
        step = 0
    }
}

private func pow(_ x: Float, _ y: Float) -> Float { Float(_pow(Double(x), Double(y))) }

#if canImport(Glibc)
import Glibc
private func _pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
#endif

/// Scales `gradients` so their global L2 norm is at most `maxNorm` (PyTorch's
/// `clip_grad_norm_`: factor maxNorm / (norm + 1e-6) when below 1). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Float) -> Float {
    let sum = rl_sum_squares(gradients.baseAddress!, gradients.count)
    let norm = Float(sum.squareRoot())
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 { rl_scale(gradients.baseAddress!, gradients.count, factor) }
    return norm
}

/// Scales several gradient buffers together so their joint L2 norm is at most `maxNorm` (one
/// `clip_grad_norm_` over all of a model's parameters, as PPO clips actor, critic and log-std
/// together). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ buffers: [UnsafeMutableBufferPointer<Float>], maxNorm: Float) -> Float {
    var sum = 0.0
    for gradients in buffers where gradients.count > 0 { sum += rl_sum_squares(gradients.baseAddress!, gradients.count) }
    let norm = Float(sum.squareRoot())
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        for gradients in buffers where gradients.count > 0 { rl_scale(gradients.baseAddress!, gradients.count, factor) }
    }
    return norm
}
