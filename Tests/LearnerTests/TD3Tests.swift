import Foundation
import Learner
import Memory
import NN
import SeededRandom
import Testing

/// TD3's two losses against a computation of their own: the TD target (target actor with
/// clipped smoothing noise, the smaller target critic, n-step discounts), each loss's value,
/// and each gradient against central differences of that loss at the parameters before the step.
@Suite struct TD3Tests {
    static let observationSize = 3, actionSize = 2, rows = 6

    /// A sampled batch of random transitions (some terminal), with a discount column when `nStep`.
    static func batch(nStep: Bool, seed: UInt64) throws -> ReplayBatch {
        let extras = nStep ? [ExtraColumn(name: "discount")] : []
        let spec = TransitionSpec(observationSize: observationSize, action: .continuous(size: actionSize), extras: extras)
        let table = try ReplayTable(spec: spec, capacity: rows)
        var rng = Xoshiro256(seed: seed)
        for i in 0..<rows {
            let s = (0..<observationSize).map { _ in Float(rng.nextStandardNormal()) }
            let next = (0..<observationSize).map { _ in Float(rng.nextStandardNormal()) }
            let a = (0..<actionSize).map { _ in rng.nextUnitFloat() * 2 - 1 }
            let discount = [0.5 + 0.4 * rng.nextUnitFloat()]
            try s.withUnsafeBufferPointer { s in
                try next.withUnsafeBufferPointer { next in
                    try a.withUnsafeBufferPointer { a in
                        try (nStep ? discount : []).withUnsafeBufferPointer { e in
                            try table.insert(TransitionView(observation: s, actionValues: a, reward: Float(rng.nextStandardNormal()),
                                                            terminated: i % 3 == 0, nextObservation: next, extras: e))
                        }
                    }
                }
            }
        }
        let batch = ReplayBatch(spec: spec, capacity: rows)
        try table.sample(into: batch, count: rows, using: &rng)
        return batch
    }

    /// A model whose target networks differ from the online ones (as after training), so a loss
    /// that read the wrong network would not match.
    static func model(seed: UInt64) -> TD3Model {
        let model = TD3Model(observationSize: observationSize, actionSize: actionSize, hidden: [8], batchSize: rows, gamma: 0.9,
                             policyDelay: 1, targetNoise: 0.6, targetNoiseClip: 0.5, seed: seed)
        var rng = Xoshiro256(seed: seed &+ 100)
        for network in [model.targetActor, model.target1, model.target2] {
            for i in network.parameters.indices { network.parameters[i] += 0.3 * Float(rng.nextStandardNormal()) }
        }
        return model
    }

    static func forward(_ network: MLP, _ input: [Float], rows: Int) -> [Float] {
        let workspace = network.makeWorkspace(maxBatch: rows)
        return input.withUnsafeBufferPointer { Array(network.forward($0.baseAddress!, batch: rows, workspace: workspace)) }
    }

    /// Rows of [s, a].
    static func stateAction(_ s: [Float], _ a: [Float], rows: Int) -> [Float] {
        var rowsOut: [Float] = []
        for b in 0..<rows {
            rowsOut += s[(b * observationSize)..<((b + 1) * observationSize)]
            rowsOut += a[(b * actionSize)..<((b + 1) * actionSize)]
        }
        return rowsOut
    }

    static func central(_ x: UnsafeMutableBufferPointer<Float>, _ i: Int, h: Float, _ f: () -> Double) -> Double {
        let saved = x[i]
        x[i] = saved + h
        let plus = f()
        x[i] = saved - h
        let minus = f()
        x[i] = saved
        return (plus - minus) / Double(2 * h)
    }

    static func expectClose(_ analytic: Double, _ numeric: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let scale = max(1e-2, abs(analytic), abs(numeric))
        #expect(abs(analytic - numeric) <= 2e-2 * scale, "\(what): analytic \(analytic), central difference \(numeric)",
                sourceLocation: sourceLocation)
    }

    /// y = r + d (1 − terminated) min(Q′₁, Q′₂)(s′, clip(μ′(s′) + clip(σε, −c, c), −1, 1)), with d
    /// the row's discount column or γ; both critics' MSE against it; critic 1's gradient.
    @Test(arguments: [false, true])
    func theCriticLossAndItsGradientMatchTheTDTarget(nStep: Bool) throws {
        let batch = try Self.batch(nStep: nStep, seed: 11)
        let model = Self.model(seed: 12)
        let n = Self.rows, a = Self.actionSize
        var noise = model.rng   // the loss draws its smoothing noise from the model's stream, row-major
        var next = Self.forward(model.targetActor, Array(batch.nextObservations[0..<(n * Self.observationSize)]), rows: n)
        var clipped = 0
        for i in 0..<(n * a) {
            let drawn = 0.6 * Float(noise.nextStandardNormal())
            if abs(drawn) > 0.5 { clipped += 1 }
            next[i] = min(max(next[i] + min(max(drawn, -0.5), 0.5), -1), 1)
        }
        #expect(clipped > 0, "the smoothing noise's clip is exercised")
        let nextInput = Self.stateAction(Array(batch.nextObservations[0..<(n * Self.observationSize)]), next, rows: n)
        let q1 = Self.forward(model.target1, nextInput, rows: n), q2 = Self.forward(model.target2, nextInput, rows: n)
        #expect(zip(q1, q2).contains { $0 < $1 } && zip(q1, q2).contains { $0 > $1 }, "both target critics are the smaller somewhere")
        let targets: [Double] = (0..<n).map { b in
            let discount = nStep ? Double(batch.extras[b]) : 0.9
            return Double(batch.rewards[b]) + discount * Double(1 - batch.terminated[b]) * Double(min(q1[b], q2[b]))
        }
        let input = Self.stateAction(Array(batch.observations[0..<(n * Self.observationSize)]), Array(batch.actionValues[0..<(n * a)]), rows: n)
        let before1 = MLP(copying: model.critic1), before2 = MLP(copying: model.critic2)
        func loss(_ critic: MLP) -> Double {
            let q = Self.forward(critic, input, rows: n)
            return (0..<n).reduce(0) { $0 + pow(Double(q[$1]) - targets[$1], 2) } / Double(n)
        }
        let expected = loss(before1) + loss(before2)

        var state = TrainingState()
        try TD3CriticLoss(model: model).backward(batch, state: &state)
        let recorded = try #require(state.metrics[TD3Keys.criticLoss])
        #expect(abs(recorded - expected) <= 1e-4 * max(1, expected), "critic loss \(recorded), expected \(expected)")
        #expect(model.critic1.parameters.indices.contains { model.critic1.parameters[$0] != before1.parameters[$0] }, "critic 1 stepped")
        for i in before1.parameters.indices {
            Self.expectClose(Double(model.critic1.gradients[i]), Self.central(before1.parameters, i, h: 1e-3) { loss(before1) },
                             "critic 1 parameter \(i)")
        }
    }

    /// L = −mean Q₁(s, μ(s)); the actor's gradient through the critic and the tanh output.
    @Test func theActorLossAndItsGradientFollowTheFirstCritic() throws {
        let batch = try Self.batch(nStep: false, seed: 21)
        let model = Self.model(seed: 22)
        let n = Self.rows
        let observations = Array(batch.observations[0..<(n * Self.observationSize)])
        let before = MLP(copying: model.actor), critic = MLP(copying: model.critic1)
        func loss(_ actor: MLP) -> Double {
            let q = Self.forward(critic, Self.stateAction(observations, Self.forward(actor, observations, rows: n), rows: n), rows: n)
            return -q.reduce(0) { $0 + Double($1) } / Double(n)
        }
        var state = TrainingState()
        state.updates = 0   // policy delay 1: every update is a delayed one
        try TD3PolicyLoss(model: model).backward(batch, state: &state)
        let recorded = try #require(state.metrics[TD3Keys.actorLoss])
        #expect(abs(recorded - loss(before)) <= 1e-5 * max(1, abs(recorded)), "actor loss \(recorded), expected \(loss(before))")
        #expect(model.critic1.parameters.indices.allSatisfy { model.critic1.parameters[$0] == critic.parameters[$0] },
                "the actor's step leaves the critic as it was")
        for i in before.parameters.indices {
            Self.expectClose(Double(model.actor.gradients[i]), Self.central(before.parameters, i, h: 1e-3) { loss(before) },
                             "actor parameter \(i)")
        }
    }
}
