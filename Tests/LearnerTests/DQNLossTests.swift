import Collectors
import Envs
import Experiments
import Learner
import Memory
import NN
import SeededRandom
import Testing

/// A table of transitions from two observations: action 0 ends the episode with reward 1,
/// action 1 gives reward 0 and continues to the other observation.
func twoStateTable() throws -> ReplayTable {
    let table = try ReplayTable(spec: TransitionSpec(observationSize: 2, action: .discrete(n: 2)), capacity: 64)
    let states: [[Float]] = [[1, 0], [0, 1]]
    for i in 0..<64 {
        let s = states[i % 2], next = states[(i + 1) % 2]
        let action = Int32((i / 2) % 2)
        try s.withUnsafeBufferPointer { o in
            try next.withUnsafeBufferPointer { n in
                try table.insert(TransitionView(observation: o, actionIndex: action, reward: action == 0 ? 1 : 0,
                                                terminated: action == 0, nextObservation: n))
            }
        }
    }
    return table
}

@Suite struct DQNLossTests {
    /// Q(s, 0) → 1 (terminal reward) and Q(s, 1) → γ·max Q(s′) = γ, with uniform or
    /// prioritized sampling (then |δ| feeds back as priorities and weights scale the loss).
    @Test(arguments: [false, true])
    func qValuesConvergeToTheBellmanFixedPoint(prioritizedReplay: Bool) throws {
        let table = try twoStateTable()
        var rng = Xoshiro256(seed: 1)
        let online = MLP(sizes: [2, 32, 2], activation: .relu, rng: &rng)
        let target = MLP(copying: online)
        let per = prioritizedReplay ? PrioritizedSampler(table: table, alpha: 0.6, beta: 0.4) : nil
        let loss = DQNLoss(online: online, target: target, optimizer: Adam(for: online, learningRate: 1e-2),
                           batchSize: 32, gamma: 0.9, doubleDQN: true, huber: true, prioritized: per)
        let trainer = Trainer(table: table, callbacks: [loss, TargetNetworkUpdate(online: online, target: target, every: 20)],
                              batchSize: 32, minSize: 32, prioritized: per, seed: 2)
        for _ in 0..<2000 { try trainer.step() }
        let states: [Float] = [1, 0, 0, 1]
        let workspace = online.makeWorkspace(maxBatch: 2)
        let q = states.withUnsafeBufferPointer { Array(online.forward($0.baseAddress!, batch: 2, workspace: workspace)) }
        for s in 0..<2 {
            #expect(abs(q[s * 2] - 1) < 0.05, "Q(s\(s), 0) = \(q[s * 2])")
            #expect(abs(q[s * 2 + 1] - 0.9) < 0.05, "Q(s\(s), 1) = \(q[s * 2 + 1])")
        }
    }
}
