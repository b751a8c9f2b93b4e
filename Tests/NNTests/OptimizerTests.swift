import Foundation
import NN
import SeededRandom
import StateDictIO
import Testing

@Suite struct AdamTests {
    /// Two steps by hand: θ = 1, g = 0.5 then −0.25, lr 0.1, β = (0.9, 0.999), ε = 1e-8.
    /// Step 1: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25 → θ = 1 − 0.1·0.5/0.5 = 0.9.
    /// Step 2: m = 0.02, v = 0.00031225, m̂ = 0.02/0.19, v̂ = 0.00031225/0.001999 → θ ≈ 0.873366.
    @Test func twoStepsMatchTheHandComputedValues() {
        let adam = Adam(parameterCount: 1, learningRate: 0.1)
        var theta: [Float] = [1]
        for (g, expected) in [(Float(0.5), 0.9), (-0.25, 0.873366)] {
            let grad = [g]
            theta.withUnsafeMutableBufferPointer { p in grad.withUnsafeBufferPointer { adam.update(parameters: p, gradients: $0) } }
            #expect(abs(Double(theta[0]) - expected) < 2e-6, "θ = \(theta[0]), expected \(expected)")
        }
        #expect(adam.step == 2)
    }

    /// 21 parameters (two 8-wide vector blocks and a scalar tail of 5) over three steps, against
    /// the formula evaluated in Double: the vector and tail paths of the kernel must agree.
    @Test func everyParameterFollowsTheFormulaAcrossVectorAndTailPaths() {
        var rng = Xoshiro256(seed: 3)
        let n = 21, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, decay = 0.1
        let adam = Adam(parameterCount: n, learningRate: Float(lr), weightDecay: Float(decay))
        var theta = (0..<n).map { _ in Float(rng.nextStandardNormal()) }
        var expected = theta.map(Double.init), m = [Double](repeating: 0, count: n), v = m
        for t in 1...3 {
            let grad = (0..<n).map { _ in Float(rng.nextStandardNormal()) }
            theta.withUnsafeMutableBufferPointer { p in grad.withUnsafeBufferPointer { adam.update(parameters: p, gradients: $0) } }
            for i in 0..<n {
                let g = Double(grad[i])
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                let mHat = m[i] / (1 - pow(b1, Double(t))), vHat = v[i] / (1 - pow(b2, Double(t)))
                expected[i] = expected[i] * (1 - lr * decay) - lr * mHat / (vHat.squareRoot() + eps)
            }
            for i in 0..<n {
                #expect(abs(Double(theta[i]) - expected[i]) < 1e-5, "step \(t), parameter \(i): \(theta[i]) vs \(expected[i])")
            }
        }
    }

    @Test func decoupledWeightDecayShrinksParametersWithZeroGradient() {
        let adam = Adam(parameterCount: 1, learningRate: 0.1, weightDecay: 0.5)
        var theta: [Float] = [2]
        let zero: [Float] = [0]
        theta.withUnsafeMutableBufferPointer { p in zero.withUnsafeBufferPointer { adam.update(parameters: p, gradients: $0) } }
        #expect(theta[0] == 2 * (1 - 0.05))
    }

    @Test func stateDictRestoresMomentsStepAndHyperparameters() throws {
        var rng = Xoshiro256(seed: 1)
        let net = MLP(sizes: [2, 3, 1], activation: .relu, rng: &rng)
        let adam = Adam(for: net, learningRate: 3e-4)
        for i in net.gradients.indices { net.gradients[i] = Float(i) * 0.1 - 0.3 }
        adam.update(net)
        let dict = adam.stateDict(layout: net.layout)
        #expect(dict.tensors["layers.0.weight.exp_avg"]?.shape == [3, 2])
        let restored = Adam(for: net, learningRate: 1)
        try restored.loadStateDict(try StateDict.decode(try dict.encoded(), file: "adam"), layout: net.layout)
        #expect(restored.step == 1 && restored.learningRate == 3e-4)
        #expect(Array(restored.firstMoment) == Array(adam.firstMoment) && Array(restored.secondMoment) == Array(adam.secondMoment))
    }
}

@Suite struct TrainingTests {
    /// A [1, 64, 64, 1] tanh MLP learns sin on [−π, π] to a mean squared error below 0.005.
    @Test func mlpFitsSine() {
        var rng = Xoshiro256(seed: 7)
        let net = MLP(sizes: [1, 64, 64, 1], activation: .tanh, rng: &rng)
        let adam = Adam(for: net, learningRate: 3e-3)
        let batch = 64
        let workspace = net.makeWorkspace(maxBatch: 256)
        var x = [Float](repeating: 0, count: batch), y = x, grad = x
        for _ in 0..<3000 {
            for i in 0..<batch {
                x[i] = (rng.nextUnitFloat() * 2 - 1) * .pi
                y[i] = sinf(x[i])
            }
            net.zeroGradients()
            x.withUnsafeBufferPointer { xs in
                let out = net.forward(xs.baseAddress!, batch: batch, workspace: workspace)
                y.withUnsafeBufferPointer { ys in grad.withUnsafeMutableBufferPointer {
                    _ = Loss.meanSquaredError(prediction: UnsafeBufferPointer(out), target: ys, gradient: $0)
                } }
                grad.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: workspace) }
            }
            adam.update(net)
        }
        let grid = (0..<256).map { Float($0) / 255 * 2 * .pi - .pi }
        let mse = grid.withUnsafeBufferPointer { xs in
            let out = net.forward(xs.baseAddress!, batch: 256, workspace: workspace)
            return zip(out, grid).reduce(0.0) { $0 + pow(Double($1.0 - sinf($1.1)), 2) } / 256
        }
        #expect(mse < 0.005, "mse \(mse)")
    }

    @Test func clippingScalesToTheMaximumNorm() {
        var g: [Float] = [3, 4]
        let norm = g.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) }
        #expect(norm == 5)
        #expect(abs(g[0] - 0.6) < 1e-6 && abs(g[1] - 0.8) < 1e-6)
        var many = [Float](repeating: 0.1, count: 1001)   // the vectorized path plus a tail
        let manyNorm = many.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) }
        #expect(abs(manyNorm - (1001 * 0.01 as Float).squareRoot()) < 1e-4)
        let clippedNorm = many.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(clippedNorm - 1) < 1e-4)
        var small: [Float] = [0.3, 0.4]
        _ = small.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) }
        #expect(small == [0.3, 0.4])
    }

    @Test func polyakAndHardUpdatesMoveTheTarget() {
        var rng = Xoshiro256(seed: 8)
        let online = MLP(sizes: [2, 4, 2], activation: .relu, rng: &rng)
        let target = MLP(copying: online)
        #expect(Array(target.parameters) == Array(online.parameters))
        for i in online.parameters.indices { online.parameters[i] += 1 }
        let before = Array(target.parameters)
        target.polyakUpdate(from: online, tau: 0.25)
        for i in before.indices { #expect(abs(target.parameters[i] - (0.75 * before[i] + 0.25 * online.parameters[i])) < 1e-6) }
        target.copyParameters(from: online)
        #expect(Array(target.parameters) == Array(online.parameters))
    }

    @Test func initialisersFollowPyTorchAndOrthogonality() {
        var rng = Xoshiro256(seed: 9)
        let net = MLP(sizes: [16, 64, 8], activation: .relu, rng: &rng)
        let bound: Float = 1 / 4   // 1/√16
        let w0 = net.layout.entries[0]
        let weights = Array(net.parameters[w0.offset ..< w0.offset + w0.count])
        #expect(weights.allSatisfy { abs($0) <= bound })
        #expect(weights.map { abs($0) }.max()! > 0.9 * bound)
        let ortho = MLP(sizes: [16, 64, 8], activation: .relu, initializer: .orthogonal, rng: &rng)
        // Layer 0 is (64, 16): its 16 columns are orthonormal times √2.
        let w = Array(ortho.parameters[0 ..< 64 * 16])
        for i in 0..<16 {
            for j in 0..<16 {
                let dot = (0..<64).reduce(Float(0)) { $0 + w[$1 * 16 + i] * w[$1 * 16 + j] }
                #expect(abs(dot - (i == j ? 2 : 0)) < 1e-4)
            }
        }
    }
}

@Suite struct NetworkStateDictTests {
    @Test func stateDictUsesPyTorchNamesAndRoundTrips() throws {
        var rng = Xoshiro256(seed: 11)
        let net = MLP(sizes: [4, 8, 2], activation: .relu, rng: &rng)
        let dict = net.stateDict()
        #expect(Set(dict.tensors.keys) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        #expect(dict.tensors["layers.0.weight"]?.shape == [8, 4])
        let other = MLP(sizes: [4, 8, 2], activation: .relu, rng: &rng)
        try other.loadStateDict(dict)
        #expect(Array(other.parameters) == Array(net.parameters))
        let wrong = MLP(sizes: [4, 9, 2], activation: .relu, rng: &rng)
        let saved = Array(wrong.parameters)
        #expect(throws: StateDictError.wrongShape(name: "layers.0.weight", expected: [9, 4], found: [8, 4])) {
            try wrong.loadStateDict(dict)
        }
        #expect(Array(wrong.parameters) == saved, "a failed load changes nothing")
    }

    /// numpy, given only our weights file, computes the same forward pass.
    @Test func pythonComputesTheSameForwardFromOurWeights() throws {
        var rng = Xoshiro256(seed: 12)
        let net = MLP(sizes: [4, 16, 16, 3], activation: .relu, rng: &rng)
        let input = randomBuffer(5 * 4, &rng)
        let workspace = net.makeWorkspace(maxBatch: 5)
        let output = input.withUnsafeBufferPointer { Array(net.forward($0.baseAddress!, batch: 5, workspace: workspace)) }
        var dict = StateDict()
        dict.merge(net.stateDict(), prefix: "q")
        dict["input"] = Tensor(floats: input, shape: [5, 4])
        dict["output"] = Tensor(floats: output, shape: [5, 3])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mlp-\(UUID().uuidString).safetensors.gz")
        try dict.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/safetensors_interop.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["RL_PYTHON"] ?? "python3", script, "mlp-forward", url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python failed (run ./scripts/test.sh, which installs numpy and safetensors): \(text)")
        let difference = try #require(Double(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(difference < 1e-5, "max |numpy − Swift| = \(difference)")
    }
}
