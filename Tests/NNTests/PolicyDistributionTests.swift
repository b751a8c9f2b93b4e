import Foundation
import NN
import Testing

@Suite struct PolicyDistributionTests {
    let logits: [Float] = [1.0, 2.0, 0.5, -0.3]

    @Test func categoricalLogProbabilityAndEntropyMatchTheClosedForm() {
        let z = logits.map(Double.init)
        let normaliser = z.map(exp).reduce(0, +)
        let p = z.map { exp($0) / normaliser }
        let entropy = -p.map { $0 * log($0) }.reduce(0, +)
        for action in 0..<4 {
            let (logP, h) = logits.withUnsafeBufferPointer { Categorical.logProbabilityAndEntropy($0.baseAddress!, n: 4, action: action) }
            #expect(abs(Double(logP) - log(p[action])) < 1e-6)
            #expect(abs(Double(h) - entropy) < 1e-6)
        }
        #expect(logits.withUnsafeBufferPointer { Categorical.mode($0.baseAddress!, n: 4) } == 1)
        // Inverse CDF: u below p₀ draws 0; u just below 1 draws the last action.
        #expect(logits.withUnsafeBufferPointer { Categorical.sample($0.baseAddress!, n: 4, uniform: Float(p[0]) * 0.99) } == 0)
        #expect(logits.withUnsafeBufferPointer { Categorical.sample($0.baseAddress!, n: 4, uniform: Float(p[0]) * 1.01) } == 1)
        #expect(logits.withUnsafeBufferPointer { Categorical.sample($0.baseAddress!, n: 4, uniform: 0.999_999) } == 3)
    }

    /// The gradient of a·log π(2) + b·H against central differences of the closed form (in Double).
    @Test func categoricalGradientMatchesFiniteDifferences() {
        let a: Float = 0.7, b: Float = -1.3, action = 2
        var gradient = [Float](repeating: 0, count: 4)
        logits.withUnsafeBufferPointer { z in gradient.withUnsafeMutableBufferPointer {
            Categorical.backward(z.baseAddress!, n: 4, action: action, dLogProbability: a, dEntropy: b, into: $0.baseAddress!)
        } }
        func objective(_ z: [Double]) -> Double {
            let normaliser = z.map(exp).reduce(0, +)
            let p = z.map { exp($0) / normaliser }
            return Double(a) * log(p[action]) + Double(b) * -p.map { $0 * log($0) }.reduce(0, +)
        }
        for j in 0..<4 {
            var up = logits.map(Double.init), down = up
            up[j] += 1e-6
            down[j] -= 1e-6
            let numeric = (objective(up) - objective(down)) / 2e-6
            #expect(abs(Double(gradient[j]) - numeric) < 1e-5, "logit \(j): \(gradient[j]) vs \(numeric)")
        }
    }

    @Test func gaussianLogProbabilityEntropyAndGradientMatchTheClosedForm() {
        let mean: [Float] = [0.3, -0.5], logStd: [Float] = [-0.2, 0.4], action: [Float] = [0.1, 0.7]
        func closedForm(_ mu: [Double], _ ls: [Double]) -> (logP: Double, entropy: Double) {
            var logP = 0.0, entropy = 0.0
            for j in 0..<2 {
                let sigma = exp(ls[j])
                logP += -0.5 * pow((Double(action[j]) - mu[j]) / sigma, 2) - log(sigma) - 0.5 * log(2 * Double.pi)
                entropy += 0.5 + 0.5 * log(2 * Double.pi) + ls[j]
            }
            return (logP, entropy)
        }
        let expected = closedForm(mean.map(Double.init), logStd.map(Double.init))
        let logP = mean.withUnsafeBufferPointer { m in logStd.withUnsafeBufferPointer { l in action.withUnsafeBufferPointer { a in
            DiagonalGaussian.logProbability(mean: m.baseAddress!, logStd: l.baseAddress!, action: a.baseAddress!, size: 2)
        } } }
        let entropy = logStd.withUnsafeBufferPointer { DiagonalGaussian.entropy(logStd: $0.baseAddress!, size: 2) }
        #expect(abs(Double(logP) - expected.logP) < 1e-6)
        #expect(abs(Double(entropy) - expected.entropy) < 1e-6)

        let a = 0.6, b = 0.25
        var dMean: [Float] = [0, 0], dLogStd: [Float] = [0, 0]
        mean.withUnsafeBufferPointer { m in logStd.withUnsafeBufferPointer { l in action.withUnsafeBufferPointer { x in
            dMean.withUnsafeMutableBufferPointer { dm in dLogStd.withUnsafeMutableBufferPointer { dl in
                DiagonalGaussian.backward(mean: m.baseAddress!, logStd: l.baseAddress!, action: x.baseAddress!, size: 2,
                                          dLogProbability: Float(a), dEntropy: Float(b), dMean: dm.baseAddress!, dLogStd: dl.baseAddress!)
            } }
        } } }
        func objective(_ mu: [Double], _ ls: [Double]) -> Double { let f = closedForm(mu, ls); return a * f.logP + b * f.entropy }
        for j in 0..<2 {
            var up = mean.map(Double.init), down = up
            up[j] += 1e-6; down[j] -= 1e-6
            let numericMean = (objective(up, logStd.map(Double.init)) - objective(down, logStd.map(Double.init))) / 2e-6
            #expect(abs(Double(dMean[j]) - numericMean) < 1e-5)
            var lsUp = logStd.map(Double.init), lsDown = lsUp
            lsUp[j] += 1e-6; lsDown[j] -= 1e-6
            let numericStd = (objective(mean.map(Double.init), lsUp) - objective(mean.map(Double.init), lsDown)) / 2e-6
            #expect(abs(Double(dLogStd[j]) - numericStd) < 1e-5)
        }
    }

    /// The vectorized tanh stays within 3 ulp of glibc's tanhf over [−12, 12], keeps signs,
    /// zeros and NaN, and saturates at ±1.
    @Test func tanhKernelIsWithinThreeUlpOfTanhf() {
        let count = 240_001
        let grid: [Float] = (0..<count).map { (i: Int) -> Float in Float(-12 + 24 * Double(i) / Double(count - 1)) }
        let special: [Float] = [0, -0, 1e-30, -1e-7, .nan, .infinity, -.infinity]
        var x = grid + special
        let inputs = x
        x.withUnsafeMutableBufferPointer { Activation.tanh.forward($0) }
        var worst: Float = 0
        for (input, output) in zip(inputs, x) {
            let reference = tanhf(input)
            if input.isNaN { #expect(output.isNaN); continue }
            #expect(output.sign == reference.sign || reference == 0)
            let error: Float = (output - reference).magnitude / max(reference.magnitude.ulp, Float.leastNormalMagnitude)
            worst = max(worst, error)
        }
        #expect(worst <= 3, "worst error \(worst) ulp")
    }
}
