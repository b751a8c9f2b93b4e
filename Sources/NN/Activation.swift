#if canImport(Glibc)
import Glibc
#endif

/// The nonlinearity between hidden layers (and optionally after the last one).
public enum Activation: String, Sendable, Codable, CaseIterable {
    case relu, tanh, identity

    /// In place: x = f(x). x: (n)
    @inlinable
    public func forward(_ x: UnsafeMutableBufferPointer<Float>) {
        switch self {
        case .relu:
            // Eight lanes at a time and branch-free: a data-dependent branch here would be
            // mispredicted about half the time.
            let raw = UnsafeMutableRawPointer(x.baseAddress!)
            let zero = SIMD8<Float>(repeating: 0)
            var i = 0
            while i + 8 <= x.count {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                raw.storeBytes(of: v.replacing(with: zero, where: v .< zero), toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            while i < x.count { x[i] = max(x[i], 0); i += 1 }
        case .tanh:
            for i in x.indices { x[i] = tanhf(x[i]) }
        case .identity:
            break
        }
    }

    /// In place: grad *= f'(x), written in terms of the output y = f(x) (what the forward kept).
    /// grad, output: (n)
    @inlinable
    public func backward(_ grad: UnsafeMutableBufferPointer<Float>, output: UnsafeBufferPointer<Float>) {
        switch self {
        case .relu:
            let g = UnsafeMutableRawPointer(grad.baseAddress!), y = UnsafeRawPointer(output.baseAddress!)
            let zero = SIMD8<Float>(repeating: 0)
            var i = 0
            while i + 8 <= grad.count {
                let gv = g.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                let yv = y.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                g.storeBytes(of: gv.replacing(with: zero, where: yv .<= zero), toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            while i < grad.count { if output[i] <= 0 { grad[i] = 0 }; i += 1 }
        case .tanh:
            for i in grad.indices { grad[i] *= 1 - output[i] * output[i] }
        case .identity:
            break
        }
    }
}
