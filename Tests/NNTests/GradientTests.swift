import Foundation
import NN
import SeededRandom
import StateDictIO
import Testing

/// Central finite differences of `f` at `x[i]` with step `h`, in Double arithmetic around Float values.
func centralDifference(_ x: UnsafeMutableBufferPointer<Float>, _ i: Int, h: Float, _ f: () -> Double) -> Double {
    let saved = x[i]
    x[i] = saved + h
    let plus = f()
    x[i] = saved - h
    let minus = f()
    x[i] = saved
    return (plus - minus) / Double(2 * h)
}

func randomBuffer(_ n: Int, _ rng: inout Xoshiro256, scale: Float = 1) -> [Float] {
    (0..<n).map { _ in Float(rng.nextStandardNormal()) * scale }
}

func expectClose(_ analytic: Double, _ numeric: Double, tolerance: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let scale = max(1, abs(analytic), abs(numeric))
    #expect(abs(analytic - numeric) <= tolerance * scale, "\(what): analytic \(analytic), finite difference \(numeric)",
            sourceLocation: sourceLocation)
}

@Suite struct MLPGradientTests {
    /// L = Σ c ⊙ MLP(x): checks every parameter's and every input's gradient.
    @Test(arguments: [Activation.tanh, .identity])
    func parameterAndInputGradientsMatchFiniteDifferences(activation: Activation) throws {
        var rng = Xoshiro256(seed: 1)
        let net = MLP(sizes: [3, 5, 4, 2], activation: activation, outputActivation: .tanh, rng: &rng)
        let batch = 3
        var input = randomBuffer(batch * 3, &rng)
        let coefficients = randomBuffer(batch * 2, &rng)
        let workspace = net.makeWorkspace(maxBatch: batch)
        func loss() -> Double {
            input.withUnsafeBufferPointer { x in
                let out = net.forward(x.baseAddress!, batch: batch, workspace: workspace)
                return zip(out, coefficients).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
        }
        _ = loss()
        net.zeroGradients()
        var inputGradient = [Float](repeating: 0, count: batch * 3)
        coefficients.withUnsafeBufferPointer { c in
            inputGradient.withUnsafeMutableBufferPointer { dx in
                net.backward(outputGradient: c.baseAddress!, workspace: workspace, inputGradient: dx.baseAddress!)
            }
        }
        for i in net.parameters.indices {
            let numeric = centralDifference(net.parameters, i, h: 1e-2, loss)
            expectClose(Double(net.gradients[i]), numeric, tolerance: 2e-3, "parameter \(i)")
        }
        try input.withUnsafeMutableBufferPointer { x in
            for i in x.indices {
                let numeric = centralDifference(x, i, h: 1e-2) {
                    let out = net.forward(x.baseAddress!, batch: batch, workspace: workspace)
                    return zip(out, coefficients).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                }
                expectClose(Double(inputGradient[i]), numeric, tolerance: 2e-3, "input \(i)")
            }
            _ = try #require(x.baseAddress)
        }
    }

    /// A forward over [a; b] stacked and a backward over its first rows give what a forward and
    /// backward over a alone give, up to rounding (Double DQN runs s and s′ through one forward this way).
    @Test func backwardOverTheFirstRowsOfAStackedForwardMatchesASeparateOne() {
        var rng = Xoshiro256(seed: 11)
        let net = MLP(sizes: [3, 16, 16, 2], activation: .relu, rng: &rng)
        let rows = 5
        let a = randomBuffer(rows * 3, &rng), b = randomBuffer(rows * 3, &rng), dOut = randomBuffer(rows * 2, &rng)
        let separate = net.makeWorkspace(maxBatch: rows), stacked = net.makeWorkspace(maxBatch: 2 * rows)
        var inputGradient = [Float](repeating: 0, count: rows * 3), stackedInputGradient = inputGradient
        let both = a + b
        a.withUnsafeBufferPointer { x in both.withUnsafeBufferPointer { xy in dOut.withUnsafeBufferPointer { d in
            let alone = Array(net.forward(x.baseAddress!, batch: rows, workspace: separate))
            net.zeroGradients()
            inputGradient.withUnsafeMutableBufferPointer { net.backward(outputGradient: d.baseAddress!, workspace: separate, inputGradient: $0.baseAddress!) }
            let expectedGradients = Array(net.gradients)
            let out = Array(net.forward(xy.baseAddress!, batch: 2 * rows, workspace: stacked))
            // Equal up to rounding: OpenBLAS's kernel may block rows differently for another row count.
            for (o, e) in zip(out[0..<(rows * 2)], alone) { #expect(abs(o - e) <= 1e-6 * max(1, abs(e))) }
            net.zeroGradients()
            stackedInputGradient.withUnsafeMutableBufferPointer {
                net.backward(outputGradient: d.baseAddress!, workspace: stacked, inputGradient: $0.baseAddress!, rows: rows)
            }
            for (g, e) in zip(net.gradients, expectedGradients) { #expect(abs(g - e) <= 1e-6 * max(1, abs(e))) }
            for (g, e) in zip(stackedInputGradient, inputGradient) { #expect(abs(g - e) <= 1e-6 * max(1, abs(e))) }
        } } }
    }

    @Test func reluBackwardPassesGradientOnlyWherePositive() {
        var values: [Float] = [-1, 0, 2, 3]
        values.withUnsafeMutableBufferPointer { Activation.relu.forward($0) }
        #expect(values == [0, 0, 2, 3])
        var grad: [Float] = [1, 1, 1, 1]
        grad.withUnsafeMutableBufferPointer { g in values.withUnsafeBufferPointer { Activation.relu.backward(g, output: $0) } }
        #expect(grad == [0, 0, 1, 1])
    }

    @Test func gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        var rng = Xoshiro256(seed: 2)
        let net = MLP(sizes: [2, 3, 1], activation: .tanh, rng: &rng)
        let workspace = net.makeWorkspace(maxBatch: 1)
        let x: [Float] = [0.3, -0.7], g: [Float] = [1]
        net.zeroGradients()
        x.withUnsafeBufferPointer { net.forward($0.baseAddress!, batch: 1, workspace: workspace) }
        g.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: workspace) }
        let once = Array(net.gradients)
        g.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: workspace) }
        #expect(zip(net.gradients, once).allSatisfy { abs($0 - 2 * $1) <= 1e-6 * max(1, abs($0)) })
        net.zeroGradients()
        #expect(net.gradients.allSatisfy { $0 == 0 })
    }
}

@Suite struct LossTests {
    @Test func mseAndHuberGradientsMatchFiniteDifferences() {
        var rng = Xoshiro256(seed: 3)
        var prediction = randomBuffer(16, &rng, scale: 2)
        let target = randomBuffer(16, &rng, scale: 2)
        let weights = (0..<16).map { _ in rng.nextUnitFloat() + 0.5 }
        var gradient = [Float](repeating: 0, count: 16)
        typealias LossFunction = (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>?) -> Float
        let losses: [(String, LossFunction)] = [
            ("mse", { Loss.meanSquaredError(prediction: $0, target: $1, gradient: $2, weights: $3) }),
            ("huber", { Loss.huber(prediction: $0, target: $1, gradient: $2, weights: $3) }),
        ]
        for (name, loss) in losses {
            for weighted in [false, true] {
                let w: [Float]? = weighted ? weights : nil
                func value(_ p: UnsafeBufferPointer<Float>) -> Double {
                    var scratch = [Float](repeating: 0, count: 16)
                    return target.withUnsafeBufferPointer { t in
                        scratch.withUnsafeMutableBufferPointer { g in
                            if let w { return w.withUnsafeBufferPointer { Double(loss(p, t, g, $0)) } }
                            return Double(loss(p, t, g, nil))
                        }
                    }
                }
                prediction.withUnsafeBufferPointer { p in
                    target.withUnsafeBufferPointer { t in
                        gradient.withUnsafeMutableBufferPointer { g in
                            if let w { _ = w.withUnsafeBufferPointer { loss(p, t, g, $0) } } else { _ = loss(p, t, g, nil) }
                        }
                    }
                }
                prediction.withUnsafeMutableBufferPointer { p in
                    for i in p.indices {
                        let numeric = centralDifference(p, i, h: 1e-3) { value(UnsafeBufferPointer(p)) }
                        expectClose(Double(gradient[i]), numeric, tolerance: 2e-3, "\(name) weighted=\(weighted) [\(i)]")
                    }
                }
            }
        }
    }

    @Test func huberIsQuadraticInsideAndLinearOutside() {
        let p: [Float] = [0.5, 3], t: [Float] = [0, 0]
        var g: [Float] = [0, 0]
        let loss = p.withUnsafeBufferPointer { pp in t.withUnsafeBufferPointer { tt in g.withUnsafeMutableBufferPointer {
            Loss.huber(prediction: pp, target: tt, gradient: $0)
        } } }
        #expect(loss == (0.125 + 2.5) / 2)
        #expect(g == [0.25, 0.5])
    }

    @Test func gatherAndMaxPiecesWithTheirBackwards() {
        let q: [Float] = [1, 5, 3,   7, 2, 7]   // (2, 3)
        let actions: [Int32] = [2, 0]
        var picked: [Float] = [0, 0]
        q.withUnsafeBufferPointer { qq in actions.withUnsafeBufferPointer { a in picked.withUnsafeMutableBufferPointer {
            Loss.gather(qq, actions: a, actionCount: 3, out: $0)
        } } }
        #expect(picked == [3, 7])
        var dq = [Float](repeating: 0, count: 6)
        let dout: [Float] = [0.5, -1]
        dout.withUnsafeBufferPointer { d in actions.withUnsafeBufferPointer { a in dq.withUnsafeMutableBufferPointer {
            Loss.gatherBackward(dout: d, actions: a, actionCount: 3, dq: $0)
        } } }
        #expect(dq == [0, 0, 0.5, -1, 0, 0])
        var maxima: [Float] = [0, 0]
        var argmax: [Int32] = [0, 0]
        q.withUnsafeBufferPointer { qq in maxima.withUnsafeMutableBufferPointer { m in argmax.withUnsafeMutableBufferPointer {
            Loss.maxOverActions(qq, actionCount: 3, batch: 2, maxima: m, argmax: $0)
        } } }
        #expect(maxima == [5, 7] && argmax == [1, 0], "ties go to the first index")
    }
}

@Suite struct GaussianPolicyHeadTests {
    @Test func logProbabilityMatchesTheClosedForm() {
        var rng = Xoshiro256(seed: 4)
        let a = 2, batch = 3
        let raw = randomBuffer(batch * 2 * a, &rng)
        let head = GaussianPolicyHead(actionSize: a, maxBatch: batch)
        var sampler = Xoshiro256(seed: 10)
        raw.withUnsafeBufferPointer { head.forward($0, batch: batch, rng: &sampler) }
        var replay = Xoshiro256(seed: 10)
        for b in 0..<batch {
            var expected = 0.0
            for j in 0..<a {
                let mean = Double(raw[b * 2 * a + j]), logStd = min(max(Double(raw[b * 2 * a + a + j]), -20), 2)
                let eps = Double(Float(replay.nextStandardNormal()))
                let u = mean + exp(logStd) * eps
                let density = -0.5 * pow((u - mean) / exp(logStd), 2) - logStd - 0.5 * log(2 * Double.pi)
                expected += density - log(1 - pow(tanh(u), 2))
                #expect(abs(Double(head.actions[b * a + j]) - tanh(u)) < 1e-5)
            }
            #expect(abs(Double(head.logProbabilities[b]) - expected) < 1e-3 * max(1, abs(expected)), "row \(b)")
        }
    }

    /// L = Σ c ⊙ a + Σ d ⊙ logπ with the noise held fixed (same seed on every evaluation).
    @Test func reparameterisedGradientMatchesFiniteDifferences() {
        var rng = Xoshiro256(seed: 5)
        let a = 2, batch = 2
        var raw = randomBuffer(batch * 2 * a, &rng, scale: 0.5)
        raw[2 * a + a] = 3.5   // one log-std above the clamp: its gradient must be zero
        let c = randomBuffer(batch * a, &rng), d = randomBuffer(batch, &rng)
        let head = GaussianPolicyHead(actionSize: a, maxBatch: batch)
        func loss(_ r: UnsafeBufferPointer<Float>) -> Double {
            var noise = Xoshiro256(seed: 77)
            head.forward(r, batch: batch, rng: &noise)
            var total = 0.0
            for i in 0..<(batch * a) { total += Double(c[i]) * Double(head.actions[i]) }
            for b in 0..<batch { total += Double(d[b]) * Double(head.logProbabilities[b]) }
            return total
        }
        _ = raw.withUnsafeBufferPointer { loss($0) }
        var grad = [Float](repeating: 0, count: raw.count)
        c.withUnsafeBufferPointer { cc in d.withUnsafeBufferPointer { dd in grad.withUnsafeMutableBufferPointer {
            head.backward(dActions: cc, dLogProbabilities: dd, draw: $0)
        } } }
        #expect(grad[2 * a + a] == 0)
        raw.withUnsafeMutableBufferPointer { r in
            for i in r.indices where i != 2 * a + a {
                expectClose(Double(grad[i]), centralDifference(r, i, h: 1e-3) { loss(UnsafeBufferPointer(r)) }, tolerance: 5e-3, "raw \(i)")
            }
        }
    }

    @Test func deterministicActionIsTanhOfTheMean() {
        let raw: [Float] = [0.5, -1.0]   // one action: mean 0.5, log-std −1
        let head = GaussianPolicyHead(actionSize: 1, maxBatch: 1)
        var rng = Xoshiro256(seed: 1)
        raw.withUnsafeBufferPointer { head.forward($0, batch: 1, deterministic: true, rng: &rng) }
        #expect(abs(head.actions[0] - tanhf(0.5)) < 1e-7)
    }
}
