import CSupport
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
            rl_relu_forward(x.baseAddress!, x.count)
        case .tanh:
            rl_tanh_forward(x.baseAddress!, x.count)
        case .identity:
            break
        }
    }

    /// In place, row by row: x = f(x + bias). x: (n / columns, columns), bias: (columns). One
    /// pass for a layer's bias and activation.
    @inlinable
    public func forward(_ x: UnsafeMutableBufferPointer<Float>, addingBias bias: UnsafePointer<Float>, columns: Int) {
        let rows = x.count / columns
        switch self {
        case .relu:
            rl_add_rows(x.baseAddress!, bias, rows, columns, 1)
        case .tanh:
            rl_add_rows(x.baseAddress!, bias, rows, columns, 0)
            forward(x)
        case .identity:
            rl_add_rows(x.baseAddress!, bias, rows, columns, 0)
        }
    }

    /// In place: grad *= f'(x), written in terms of the output y = f(x) (what the forward kept).
    /// grad, output: (n)
    @inlinable
    public func backward(_ grad: UnsafeMutableBufferPointer<Float>, output: UnsafeBufferPointer<Float>) {
        switch self {
        case .relu:
            rl_relu_backward(grad.baseAddress!, output.baseAddress!, grad.count)
        case .tanh:
            rl_tanh_backward(grad.baseAddress!, output.baseAddress!, grad.count)
        case .identity:
            break
        }
    }
}
