import CSmallGemm
import Foundation
import NN
import SeededRandom
import Testing

/// The dense layers take one of three routes by shape (libxsmm for small products, OpenBLAS
/// sgemm for large ones, matrix-vector calls for one- or two-output layers). Each is checked
/// against a Float64 loop over the same parameters, so a transposed operand or a wrong leading
/// dimension in any route shows up as a wrong number.
@Suite struct LayerRouteTests {
    /// Forward and backward of a tanh MLP in Float64, straight from the definitions.
    struct Reference {
        var forward: [Double] = []
        var parameterGradients: [Double] = []
        var inputGradient: [Double] = []
    }

    func reference(_ net: MLP, input: [Float], outputGradient: [Float], batch: Int) -> Reference {
        let p = net.parameters.map(Double.init)
        var activations = [input.map(Double.init)]
        for l in 0..<net.layerCount {
            let nIn = net.sizes[l], nOut = net.sizes[l + 1]
            let w = net.layout.entries[2 * l].offset, b = net.layout.entries[2 * l + 1].offset
            var y = [Double](repeating: 0, count: batch * nOut)
            for r in 0..<batch {
                for o in 0..<nOut {
                    var sum = p[b + o]
                    for i in 0..<nIn { sum += activations[l][r * nIn + i] * p[w + o * nIn + i] }
                    y[r * nOut + o] = l == net.layerCount - 1 ? sum : Foundation.tanh(sum)
                }
            }
            activations.append(y)
        }
        var grads = [Double](repeating: 0, count: p.count)
        var dOut = outputGradient.map(Double.init)
        for l in stride(from: net.layerCount - 1, through: 0, by: -1) {
            let nIn = net.sizes[l], nOut = net.sizes[l + 1]
            let w = net.layout.entries[2 * l].offset, b = net.layout.entries[2 * l + 1].offset
            if l != net.layerCount - 1 {
                for k in dOut.indices { dOut[k] *= 1 - activations[l + 1][k] * activations[l + 1][k] }
            }
            var dIn = [Double](repeating: 0, count: batch * nIn)
            for r in 0..<batch {
                for o in 0..<nOut {
                    let g = dOut[r * nOut + o]
                    grads[b + o] += g
                    for i in 0..<nIn {
                        grads[w + o * nIn + i] += g * activations[l][r * nIn + i]
                        dIn[r * nIn + i] += g * p[w + o * nIn + i]
                    }
                }
            }
            dOut = dIn
        }
        return Reference(forward: activations.last!, parameterGradients: grads, inputGradient: dOut)
    }

    @Test(arguments: [
        8,    // every product below libxsmm's minimum: OpenBLAS
        32,   // libxsmm, except the first layer's weight gradient (5-wide rows: OpenBLAS)
        160,  // batch above libxsmm's maximum: OpenBLAS
    ])
    func everyRouteMatchesAFloat64Reference(batch: Int) {
        var rng = Xoshiro256(seed: UInt64(batch))
        let net = MLP(sizes: [5, 40, 24, 2], activation: .tanh, rng: &rng)
        let input = randomBuffer(batch * 5, &rng), dOut = randomBuffer(batch * 2, &rng)
        let expected = reference(net, input: input, outputGradient: dOut, batch: batch)
        let workspace = net.makeWorkspace(maxBatch: batch)
        var inputGradient = [Float](repeating: 0, count: batch * 5)
        input.withUnsafeBufferPointer { x in
            let out = Array(net.forward(x.baseAddress!, batch: batch, workspace: workspace))
            for (o, e) in zip(out, expected.forward) { #expect(abs(Double(o) - e) <= 1e-5 * max(1, abs(e))) }
            net.zeroGradients()
            dOut.withUnsafeBufferPointer { d in
                inputGradient.withUnsafeMutableBufferPointer {
                    net.backward(outputGradient: d.baseAddress!, workspace: workspace, inputGradient: $0.baseAddress!)
                }
            }
        }
        var worst = 0.0
        for (g, e) in zip(net.gradients, expected.parameterGradients) { worst = max(worst, abs(Double(g) - e) / max(1, abs(e))) }
        #expect(worst <= 1e-4, "worst parameter-gradient error \(worst)")
        worst = 0
        for (g, e) in zip(inputGradient, expected.inputGradient) { worst = max(worst, abs(Double(g) - e) / max(1, abs(e))) }
        #expect(worst <= 1e-4, "worst input-gradient error \(worst)")
        // A second backward without zeroing adds the same gradients again (several losses
        // share one network's gradients, as SAC's critics and actor do).
        dOut.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: workspace) }
        worst = 0
        for (g, e) in zip(net.gradients, expected.parameterGradients) { worst = max(worst, abs(Double(g) - 2 * e) / max(1, abs(2 * e))) }
        #expect(worst <= 1e-4, "worst accumulated parameter-gradient error \(worst)")
    }

    /// The routes above are only exercised if libxsmm compiles all three kernels on this CPU;
    /// it does on every x86-64 (SSE3 and up), so a `0` here means the library is broken. The
    /// weight gradient accumulates (several backward passes add up); the forward and dx overwrite.
    @Test func libxsmmCompilesTheSmallKernels() {
        let x = [Float](repeating: 1, count: 16 * 16), w = [Float](repeating: 0.5, count: 16 * 16)
        var y = [Float](repeating: 1, count: 16 * 16), scratch = [Float](repeating: 0, count: 16 * 16)
        #expect(rl_small_linear_forward(&y, x, w, &scratch, 16, 16, 16) == 1)
        #expect(y.allSatisfy { $0 == 16 * 0.5 })   // overwritten: the bias is added by the activation pass
        var dw = [Float](repeating: 1, count: 16 * 16)
        #expect(rl_small_linear_dweight(&dw, x, x, 16, 16, 16) == 1)
        #expect(dw.allSatisfy { $0 == 1 + 16 })
        var dx = [Float](repeating: 7, count: 16 * 16)
        #expect(rl_small_linear_dinput(&dx, x, w, 16, 16, 16) == 1)
        #expect(dx.allSatisfy { $0 == 16 * 0.5 })
    }
}
