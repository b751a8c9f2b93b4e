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
        case .relu: for i in x.indices where x[i] < 0 { x[i] = 0 }
        case .tanh: for i in x.indices { x[i] = Foundation_tanhf(x[i]) }
        case .identity: break
        }
    }

    /// In place: grad *= f'(x), written in terms of the output y = f(x) (what the forward kept).
    /// grad, output: (n)
    @inlinable
    public func backward(_ grad: UnsafeMutableBufferPointer<Float>, output: UnsafeBufferPointer<Float>) {
        switch self {
        case .relu: for i in grad.indices where output[i] <= 0 { grad[i] = 0 }
        case .tanh: for i in grad.indices { grad[i] *= 1 - output[i] * output[i] }
        case .identity: break
        }
    }
}

@inlinable @inline(__always)
func Foundation_tanhf(_ x: Float) -> Float { tanhf(x) }
