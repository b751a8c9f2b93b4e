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
        let m = firstMoment, v = secondMoment
        // Eight parameters at a time (sqrt and divide dominate; scalar code would issue them one by one).
        let b1 = SIMD8<Float>(repeating: beta1), b2 = SIMD8<Float>(repeating: beta2)
        let c1 = SIMD8<Float>(repeating: 1 - beta1), c2 = SIMD8<Float>(repeating: 1 - beta2)
        let eps = SIMD8<Float>(repeating: epsilon), scale = SIMD8<Float>(repeating: inverseSqrtCorrection2)
        let step8 = SIMD8<Float>(repeating: stepSize), decay8 = SIMD8<Float>(repeating: decay)
        let p = UnsafeMutableRawPointer(parameters.baseAddress!), g = UnsafeRawPointer(gradients.baseAddress!)
        let mp = UnsafeMutableRawPointer(m.baseAddress!), vp = UnsafeMutableRawPointer(v.baseAddress!)
        var i = 0
        while i + 8 <= parameters.count {
            let offset = i * 4
            let gi = g.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let mi = b1 * mp.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) + c1 * gi
            let vi = b2 * vp.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) + c2 * gi * gi
            mp.storeBytes(of: mi, toByteOffset: offset, as: SIMD8<Float>.self)
            vp.storeBytes(of: vi, toByteOffset: offset, as: SIMD8<Float>.self)
            let denominator = vi.squareRoot() * scale + eps
            let pi = p.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            p.storeBytes(of: pi * decay8 - step8 * mi / denominator, toByteOffset: offset, as: SIMD8<Float>.self)
            i += 8
        }
        while i < parameters.count {
            let gi = gradients[i]
            let mi = beta1 * m[i] + (1 - beta1) * gi
            let vi = beta2 * v[i] + (1 - beta2) * gi * gi
            m[i] = mi
            v[i] = vi
            parameters[i] = parameters[i] * decay - stepSize * mi / (vi.squareRoot() * inverseSqrtCorrection2 + epsilon)
            i += 1
        }
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
    // Eight float lanes per chunk, each chunk's partial sum carried into a double: vectorized,
    // and still accurate over millions of parameters.
    var sum = 0.0
    let raw = UnsafeRawPointer(gradients.baseAddress!)
    var i = 0
    while i + 64 <= gradients.count {
        var lanes = SIMD8<Float>(repeating: 0)
        for j in stride(from: i, to: i + 64, by: 8) {
            let g = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            lanes += g * g
        }
        sum += Double(lanes.sum())
        i += 64
    }
    while i < gradients.count { sum += Double(gradients[i]) * Double(gradients[i]); i += 1 }
    let norm = Float(sum.squareRoot())
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 { for i in gradients.indices { gradients[i] *= factor } }
    return norm
}
