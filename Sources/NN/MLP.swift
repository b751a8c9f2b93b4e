import CSupport
import SeededRandom

/// Where each layer's weight and bias live in an MLP's flat parameter vector.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// PyTorch-style name, e.g. `layers.0.weight`.
        public var name: String
        public var shape: [Int]
        public var offset: Int
        public var count: Int { shape.reduce(1, *) }
        public init(name: String, shape: [Int], offset: Int) {
            self.name = name
            self.shape = shape
            self.offset = offset
        }
    }
    public var entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }
    public var totalCount: Int { entries.last.map { $0.offset + $0.count } ?? 0 }
}

/// How an MLP's weights are initialised.
public enum Initializer: String, Sendable, Codable {
    /// PyTorch's `nn.Linear` default: weights Kaiming-uniform with a = √5, i.e. U(±1/√fan_in),
    /// and biases U(±1/√fan_in).
    case pytorchDefault
    /// Orthogonal weights (gain √2 for hidden layers, 1 for the output layer), zero biases.
    case orthogonal
}

/// A multilayer perceptron of dense layers over one flat parameter vector (llm.c style): the
/// parameters share one allocation and the gradients another with the same layout, so the
/// optimizer, gradient clipping, Polyak averaging and weight publishing are single loops.
///
///     let q = MLP(sizes: [4, 64, 64, 2], activation: .relu, rng: &rng)
///     let workspace = q.makeWorkspace(maxBatch: 64)
///     let out = q.forward(input, batch: 64, workspace: workspace)   // (64, 2), a view into workspace
///     q.zeroGradients()
///     q.backward(outputGradient: dOut, workspace: workspace)        // accumulates into q.gradients
///
/// Forward and backward allocate nothing: activations live in the caller's `Workspace`, which
/// also remembers the input pointer, so the input must stay valid until `backward`. One
/// network can run several forwards per step (online and target values, Double DQN) with one
/// workspace each. Not thread-safe: one thread (the learner) uses a network at a time.
public final class MLP {
    public let sizes: [Int]
    public let activation: Activation
    public let outputActivation: Activation
    public let layout: ParameterLayout
    /// All weights and biases, in `layout` order.
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// Gradients, same layout; `backward` accumulates into them.
    public let gradients: UnsafeMutableBufferPointer<Float>

    public var inputSize: Int { sizes[0] }
    public var outputSize: Int { sizes[sizes.count - 1] }
    public var layerCount: Int { sizes.count - 1 }

    public init(sizes: [Int], activation: Activation, outputActivation: Activation = .identity,
                initializer: Initializer = .pytorchDefault, rng: inout Xoshiro256) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "an MLP needs at least two positive sizes")
        self.sizes = sizes
        self.activation = activation
        self.outputActivation = outputActivation
        var entries: [ParameterLayout.Entry] = []
        var offset = 0
        for l in 0..<(sizes.count - 1) {
            entries.append(.init(name: "layers.\(l).weight", shape: [sizes[l + 1], sizes[l]], offset: offset))
            offset += sizes[l + 1] * sizes[l]
            entries.append(.init(name: "layers.\(l).bias", shape: [sizes[l + 1]], offset: offset))
            offset += sizes[l + 1]
        }
        layout = ParameterLayout(entries: entries)
        parameters = .allocate(capacity: offset)
        parameters.initialize(repeating: 0)
        gradients = .allocate(capacity: offset)
        gradients.initialize(repeating: 0)
        initialize(initializer, rng: &rng)
    }

    /// A copy with the same architecture and parameters (for a target network).
    public init(copying other: MLP) {
        sizes = other.sizes
        activation = other.activation
        outputActivation = other.outputActivation
        layout = other.layout
        parameters = .allocate(capacity: other.parameters.count)
        _ = parameters.initialize(from: other.parameters)
        gradients = .allocate(capacity: other.gradients.count)
        gradients.initialize(repeating: 0)
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
    }

    @inlinable func weightOffset(_ l: Int) -> Int { layout.entries[2 * l].offset }
    @inlinable func biasOffset(_ l: Int) -> Int { layout.entries[2 * l + 1].offset }

    /// Re-initialises every parameter.
    public func initialize(_ initializer: Initializer, rng: inout Xoshiro256) {
        for l in 0..<layerCount {
            let fanIn = sizes[l], fanOut = sizes[l + 1]
            let w = UnsafeMutableBufferPointer(rebasing: parameters[weightOffset(l) ..< weightOffset(l) + fanIn * fanOut])
            let b = UnsafeMutableBufferPointer(rebasing: parameters[biasOffset(l) ..< biasOffset(l) + fanOut])
            switch initializer {
            case .pytorchDefault:
                let bound = 1 / Float(fanIn).squareRoot()
                for i in w.indices { w[i] = (rng.nextUnitFloat() * 2 - 1) * bound }
                for i in b.indices { b[i] = (rng.nextUnitFloat() * 2 - 1) * bound }
            case .orthogonal:
                fillOrthogonal(w, rows: fanOut, columns: fanIn, gain: l == layerCount - 1 ? 1 : 2.0.squareRoot(), rng: &rng)
                b.update(repeating: 0)
            }
        }
    }

    /// Activations of one forward pass, sized for batches up to `maxBatch`.
    public final class Workspace {
        public let maxBatch: Int
        /// Per layer: its output after the activation, (maxBatch, sizes[l + 1]).
        let outputs: [UnsafeMutableBufferPointer<Float>]
        /// Two gradient buffers of the widest layer, used alternately by backward.
        let gradientA: UnsafeMutableBufferPointer<Float>
        let gradientB: UnsafeMutableBufferPointer<Float>
        /// maxBatch ones, for the bias gradient as a matrix-vector product.
        let ones: UnsafeMutableBufferPointer<Float>
        /// Room for the largest weight matrix the small-matrix forward transposes.
        let weightScratch: UnsafeMutableBufferPointer<Float>
        var input: UnsafePointer<Float>?
        var batch = 0

        init(sizes: [Int], maxBatch: Int) {
            self.maxBatch = maxBatch
            outputs = sizes.dropFirst().map { width in
                let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: maxBatch * width)
                buffer.initialize(repeating: 0)
                return buffer
            }
            let widest = sizes.max()!
            gradientA = .allocate(capacity: maxBatch * widest)
            gradientA.initialize(repeating: 0)
            gradientB = .allocate(capacity: maxBatch * widest)
            gradientB.initialize(repeating: 0)
            ones = .allocate(capacity: maxBatch)
            ones.initialize(repeating: 1)
            // Only layers libxsmm may take need room (256-wide SAC layers never do).
            let smallWeights = zip(sizes, sizes.dropFirst())
                .filter { $0 <= smallGemmMaximum && $1 <= smallGemmMaximum }.map { $0 * $1 }
            weightScratch = .allocate(capacity: max(1, smallWeights.max() ?? 1))
            weightScratch.initialize(repeating: 0)
        }

        deinit {
            for buffer in outputs { buffer.deallocate() }
            gradientA.deallocate()
            gradientB.deallocate()
            ones.deallocate()
            weightScratch.deallocate()
        }
    }

    public func makeWorkspace(maxBatch: Int) -> Workspace { Workspace(sizes: sizes, maxBatch: maxBatch) }

    /// Runs the network on `batch` rows of `input` (batch, inputSize); returns the output
    /// (batch, outputSize) as a view into the workspace, valid until its next forward.
    @discardableResult
    public func forward(_ input: UnsafePointer<Float>, batch: Int, workspace: Workspace) -> UnsafeMutableBufferPointer<Float> {
        precondition(batch > 0 && batch <= workspace.maxBatch, "batch \(batch) exceeds the workspace's \(workspace.maxBatch)")
        workspace.input = input
        workspace.batch = batch
        var x = input
        for l in 0..<layerCount {
            let out = workspace.outputs[l].baseAddress!
            let bias = parameters.baseAddress! + biasOffset(l)
            let biasAdded = linearForward(out: out, input: x, weight: parameters.baseAddress! + weightOffset(l), bias: bias,
                                          scratch: workspace.weightScratch.baseAddress!, batch: batch,
                                          inFeatures: sizes[l], outFeatures: sizes[l + 1])
            let act = l == layerCount - 1 ? outputActivation : activation
            let y = UnsafeMutableBufferPointer(start: out, count: batch * sizes[l + 1])
            if biasAdded { act.forward(y) } else { act.forward(y, addingBias: UnsafePointer(bias), columns: sizes[l + 1]) }
            x = UnsafePointer(out)
        }
        return UnsafeMutableBufferPointer(start: workspace.outputs[layerCount - 1].baseAddress!, count: batch * outputSize)
    }

    /// Back-propagates `outputGradient` (batch, outputSize) through the last forward of
    /// `workspace`: accumulates parameter gradients into `gradients` (unless
    /// `parameterGradients` is false: a pass that only needs the input gradient, such as SAC's
    /// policy loss through the critics, skips a third of the work), and writes the gradient
    /// with respect to the input (batch, inputSize) into `inputGradient` when given.
    ///
    /// `rows` limits the pass to the forward's first rows (rows are independent, so a forward
    /// over [s; s′] stacked can serve a loss on s alone: Double DQN's one forward for both).
    public func backward(outputGradient: UnsafePointer<Float>, workspace: Workspace,
                         inputGradient: UnsafeMutablePointer<Float>? = nil, parameterGradients: Bool = true, rows: Int? = nil) {
        precondition(workspace.batch > 0, "backward before forward")
        let batch = rows ?? workspace.batch
        precondition(batch > 0 && batch <= workspace.batch, "backward over \(batch) rows of a \(workspace.batch)-row forward")
        var dOut = workspace.gradientA.baseAddress!
        var spare = workspace.gradientB.baseAddress!
        dOut.update(from: outputGradient, count: batch * outputSize)
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let width = sizes[l + 1]
            let act = l == layerCount - 1 ? outputActivation : activation
            act.backward(UnsafeMutableBufferPointer(start: dOut, count: batch * width),
                         output: UnsafeBufferPointer(start: workspace.outputs[l].baseAddress!, count: batch * width))
            let x = l == 0 ? workspace.input! : UnsafePointer(workspace.outputs[l - 1].baseAddress!)
            let dx: UnsafeMutablePointer<Float>? = l == 0 ? inputGradient : spare
            linearBackward(dinput: dx, dweight: parameterGradients ? gradients.baseAddress! + weightOffset(l) : nil,
                           dbias: parameterGradients ? gradients.baseAddress! + biasOffset(l) : nil, doutput: dOut, input: x,
                           weight: parameters.baseAddress! + weightOffset(l), ones: workspace.ones.baseAddress!,
                           batch: batch, inFeatures: sizes[l], outFeatures: width)
            swap(&dOut, &spare)
        }
    }

    /// Sets every gradient to zero (once per step, before the backward passes).
    public func zeroGradients() { gradients.update(repeating: 0) }

    /// Copies another network's parameters into this one (hard target update).
    public func copyParameters(from other: MLP) {
        precondition(other.layout == layout, "architectures differ")
        _ = parameters.update(fromContentsOf: other.parameters)
    }

    /// Polyak averaging: θ_this ← τ θ_other + (1 − τ) θ_this (soft target update).
    public func polyakUpdate(from other: MLP, tau: Float) {
        precondition(other.layout == layout, "architectures differ")
        rl_polyak(parameters.baseAddress!, other.parameters.baseAddress!, parameters.count, tau)
    }
}

/// Fills `w` (rows, columns) with a scaled orthogonal matrix: QR (modified Gram–Schmidt) of a
/// Gaussian matrix, with the signs fixed by R's diagonal, as `torch.nn.init.orthogonal_` does.
func fillOrthogonal(_ w: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int, gain: Double, rng: inout Xoshiro256) {
    let tall = rows >= columns
    let m = max(rows, columns), n = min(rows, columns)
    // a: (m, n) column vectors to orthonormalise.
    var a = [Double](repeating: 0, count: m * n)
    for i in a.indices { a[i] = rng.nextStandardNormal() }
    for j in 0..<n {
        for k in 0..<j {
            var dot = 0.0
            for i in 0..<m { dot += a[i * n + j] * a[i * n + k] }
            for i in 0..<m { a[i * n + j] -= dot * a[i * n + k] }
        }
        var norm = 0.0
        for i in 0..<m { norm += a[i * n + j] * a[i * n + j] }
        norm = norm.squareRoot()
        for i in 0..<m { a[i * n + j] /= norm }
    }
    for r in 0..<rows {
        for c in 0..<columns {
            let value = tall ? a[r * n + c] : a[c * n + r]
            w[r * columns + c] = Float(gain * value)
        }
    }
}
