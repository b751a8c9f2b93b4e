// Learner update throughput, side by side with ../shared/anchors/learner_bench.py (PyTorch and
// Stable-Baselines3 on the same thread count):
//   (a) a DQN update, 4→64→64→2 at batch 64, through the library's DQNLoss and a Trainer step:
//       replay sample, online forward on s and s′ (Double DQN), target forward on s′, Huber TD
//       loss, backward, gradient clipping, Adam, target sync check;
//       plus the bare MLP+MSE+Adam update that learner_bench.py's raw_small times;
//   (b) a critic update, (3+1)→256→256→1 at batch 256, MSE, Adam (learner_bench.py raw_big);
//   (c) a full SAC update for Pendulum sizes through the library's SAC callbacks and Trainer
//       (replay sample of 256, two critics and their targets, the policy, α, Polyak), on 1 and
//       2 BLAS threads (SB3's SAC.train, which also samples, is the peer).
// (a′) and (b) do not sample from replay (ReplayMemory measures that). One benchmark iteration
// is one update.
import Benchmark
import Foundation
import Learner
import Memory
import NN
import SeededRandom

/// Random inputs, as the PyTorch script's 16 pre-generated batches.
func batches(_ count: Int, _ size: Int, _ rng: inout Xoshiro256) -> [[Float]] {
    (0..<count).map { _ in (0..<size).map { _ in Float(rng.nextStandardNormal()) } }
}

/// (a) and the raw_small / raw_big peers: zero_grad, forward, MSE, backward, Adam.
final class RegressionUpdate {
    let net: MLP
    let adam: Adam
    let workspace: MLP.Workspace
    let inputs: [[Float]]
    let targets: [[Float]]
    var gradient: [Float]
    let batch: Int

    init(sizes: [Int], batch: Int) {
        var rng = Xoshiro256(seed: 0)
        net = MLP(sizes: sizes, activation: .relu, rng: &rng)
        adam = Adam(for: net, learningRate: 1e-3)
        workspace = net.makeWorkspace(maxBatch: batch)
        inputs = batches(16, batch * sizes[0], &rng)
        targets = batches(16, batch * sizes.last!, &rng)
        gradient = Array(repeating: 0, count: batch * sizes.last!)
        self.batch = batch
    }

    func step(_ i: Int) {
        net.zeroGradients()
        inputs[i & 15].withUnsafeBufferPointer { x in
            let out = net.forward(x.baseAddress!, batch: batch, workspace: workspace)
            targets[i & 15].withUnsafeBufferPointer { y in
                gradient.withUnsafeMutableBufferPointer { g in
                    _ = Loss.meanSquaredError(prediction: UnsafeBufferPointer(out), target: y, gradient: g)
                }
            }
            gradient.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: workspace) }
        }
        adam.update(net)
    }
}

/// (a) A full Double-DQN update through the library's callbacks (`DQNLoss` with Huber loss,
/// gradient clipping and Adam, then `TargetNetworkUpdate`) driven by a `Trainer` step, which
/// also samples the batch of 64 from a replay table (as SB3's DQN `train` does).
final class DQNUpdate {
    let trainer: Trainer

    init() {
        var rng = Xoshiro256(seed: 0)
        let online = MLP(sizes: [4, 64, 64, 2], activation: .relu, rng: &rng)
        let target = MLP(copying: online)
        let spec = TransitionSpec(observationSize: 4, action: .discrete(n: 2))
        let table = try! ReplayTable(spec: spec, capacity: 10_000)
        for _ in 0..<10_000 {
            let obs = (0..<4).map { _ in Float(rng.nextStandardNormal()) }, next = (0..<4).map { _ in Float(rng.nextStandardNormal()) }
            obs.withUnsafeBufferPointer { o in next.withUnsafeBufferPointer { n in
                try! table.insert(TransitionView(observation: o, actionIndex: Int32(rng.nextIndex(below: 2)), reward: 1,
                                                 terminated: rng.nextUnitFloat() < 0.05, nextObservation: n))
            } }
        }
        trainer = Trainer(table: table, callbacks: [
            DQNLoss(online: online, target: target, optimizer: Adam(for: online, learningRate: 1e-4), batchSize: 64),
            TargetNetworkUpdate(online: online, target: target, every: 1000),
        ], batchSize: 64, minSize: 64, seed: 2)
    }

    func step(_ i: Int) { try! trainer.step() }
}

/// (c) One SAC update through the library's callbacks (SACTarget, SACCriticLoss for both critics,
/// SACPolicyLoss, SACAlphaLoss, Polyak target updates) driven by a `Trainer` step, which also
/// samples the batch of 256 from a replay table (as SB3's `train` does).
final class SACUpdate {
    let trainer: Trainer

    init() {
        let model = SACModel(observationSize: 3, actionSize: 1, hidden: [256, 256], batchSize: 256, learningRate: 1e-3, seed: 0)
        let spec = TransitionSpec(observationSize: 3, action: .continuous(size: 1))
        let table = try! ReplayTable(spec: spec, capacity: 10_000)
        var rng = Xoshiro256(seed: 1)
        for _ in 0..<10_000 {
            let obs = (0..<3).map { _ in Float(rng.nextStandardNormal()) }, next = (0..<3).map { _ in Float(rng.nextStandardNormal()) }
            let action = [rng.nextUnitFloat() * 2 - 1]
            obs.withUnsafeBufferPointer { o in next.withUnsafeBufferPointer { n in action.withUnsafeBufferPointer { a in
                try! table.insert(TransitionView(observation: o, actionValues: a, reward: Float(rng.nextStandardNormal()),
                                                 terminated: false, nextObservation: n))
            } } }
        }
        trainer = Trainer(table: table, callbacks: [
            SACTarget(model: model), SACCriticLoss(model: model),
            SACPolicyLoss(model: model), SACAlphaLoss(model: model),
            TargetNetworkUpdate(online: model.critic1, target: model.target1, tau: 0.005),
            TargetNetworkUpdate(online: model.critic2, target: model.target2, tau: 0.005),
        ], batchSize: 256, minSize: 256, seed: 2)
    }

    func step(_ i: Int) { try! trainer.step() }
}

/// Builds a workload once and runs `step` once per benchmark iteration (the harness calls the
/// closure many times; the networks and buffers must not be rebuilt each time).
final class Workload<T>: @unchecked Sendable {
    private var value: T?
    private let make: () -> T
    init(_ make: @escaping () -> T) { self.make = make }
    var instance: T {
        if let value { return value }
        let made = make()
        value = made
        return made
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 20,
        scalingFactor: .one,
        maxDuration: .seconds(4),
        maxIterations: 1_000_000
    )
    BLAS.setThreads(1)

    let dqn = Workload { DQNUpdate() }
    let small = Workload { RegressionUpdate(sizes: [4, 64, 64, 2], batch: 64) }
    let big = Workload { RegressionUpdate(sizes: [4, 256, 256, 1], batch: 256) }
    let sac = Workload { SACUpdate() }
    var counter = 0

    Benchmark("(a) DQN update 4-64-64-2 b64, 1 thread") { benchmark in
        let update = dqn.instance
        for _ in benchmark.scaledIterations { counter += 1; update.step(counter) }
    }
    Benchmark("(a') MLP+MSE+Adam 4-64-64-2 b64, 1 thread (raw_small)") { benchmark in
        let update = small.instance
        for _ in benchmark.scaledIterations { counter += 1; update.step(counter) }
    }
    Benchmark("(b) critic update 4-256-256-1 b256, 1 thread (raw_big)") { benchmark in
        let update = big.instance
        for _ in benchmark.scaledIterations { counter += 1; update.step(counter) }
    }
    Benchmark("(c) SAC update, 1 thread") { benchmark in
        let update = sac.instance
        for _ in benchmark.scaledIterations { counter += 1; update.step(counter) }
    }
    Benchmark("(c) SAC update, 2 threads") { benchmark in
        BLAS.setThreads(2)
        defer { BLAS.setThreads(1) }
        let update = sac.instance
        for _ in benchmark.scaledIterations { counter += 1; update.step(counter) }
    }
}
