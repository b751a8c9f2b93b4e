// Learner update throughput, side by side with ../shared/anchors/learner_bench.py (PyTorch and
// Stable-Baselines3 on the same thread count):
//   (a) a DQN update, 4→64→64→2 at batch 64: online forward, Double-DQN online forward on s′,
//       target forward on s′, Huber TD loss, backward, gradient clipping, Adam;
//       plus the bare MLP+MSE+Adam update that learner_bench.py's raw_small times;
//   (b) a critic update, (3+1)→256→256→1 at batch 256, MSE, Adam (learner_bench.py raw_big);
//   (c) a full SAC update for Pendulum sizes (two critics and their targets, the policy, α,
//       Polyak), on 1 and 2 BLAS threads (SB3's SAC.train is the peer).
// Sampling from replay is not included (it is measured in ReplayMemory). One benchmark
// iteration is one update.
import Benchmark
import Foundation
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

/// (a) A full Double-DQN update on one sampled batch.
final class DQNUpdate {
    let online: MLP, target: MLP
    let adam: Adam
    let onlineWorkspace: MLP.Workspace, nextOnlineWorkspace: MLP.Workspace, targetWorkspace: MLP.Workspace
    let observations: [[Float]], nextObservations: [[Float]]
    let actions: [Int32], rewards: [Float], dones: [Float]
    var qTaken: [Float], tdTarget: [Float], dLoss: [Float], dQ: [Float], argmax: [Int32]
    let batch = 64, gamma: Float = 0.99

    init() {
        var rng = Xoshiro256(seed: 0)
        online = MLP(sizes: [4, 64, 64, 2], activation: .relu, rng: &rng)
        target = MLP(copying: online)
        adam = Adam(for: online, learningRate: 1e-4)
        onlineWorkspace = online.makeWorkspace(maxBatch: batch)
        nextOnlineWorkspace = online.makeWorkspace(maxBatch: batch)
        targetWorkspace = target.makeWorkspace(maxBatch: batch)
        observations = batches(16, batch * 4, &rng)
        nextObservations = batches(16, batch * 4, &rng)
        actions = (0..<batch).map { _ in Int32(rng.nextIndex(below: 2)) }
        rewards = (0..<batch).map { _ in 1 }
        dones = (0..<batch).map { _ in rng.nextUnitFloat() < 0.05 ? 1 : 0 }
        qTaken = Array(repeating: 0, count: batch)
        tdTarget = qTaken
        dLoss = qTaken
        dQ = Array(repeating: 0, count: batch * 2)
        argmax = Array(repeating: 0, count: batch)
    }

    func step(_ i: Int) {
        let s = observations[i & 15], next = nextObservations[i & 15]
        next.withUnsafeBufferPointer { sp in
            // Double DQN: the online network picks a′, the target network values it.
            let nextOnline = online.forward(sp.baseAddress!, batch: batch, workspace: nextOnlineWorkspace)
            argmax.withUnsafeMutableBufferPointer {
                Loss.maxOverActions(UnsafeBufferPointer(nextOnline), actionCount: 2, batch: batch, maxima: nil, argmax: $0)
            }
            let nextTarget = target.forward(sp.baseAddress!, batch: batch, workspace: targetWorkspace)
            for b in 0..<batch {
                tdTarget[b] = rewards[b] + gamma * (1 - dones[b]) * nextTarget[b * 2 + Int(argmax[b])]
            }
        }
        online.zeroGradients()
        s.withUnsafeBufferPointer { sp in
            let q = online.forward(sp.baseAddress!, batch: batch, workspace: onlineWorkspace)
            actions.withUnsafeBufferPointer { a in
                qTaken.withUnsafeMutableBufferPointer { Loss.gather(UnsafeBufferPointer(q), actions: a, actionCount: 2, out: $0) }
                qTaken.withUnsafeBufferPointer { p in tdTarget.withUnsafeBufferPointer { t in dLoss.withUnsafeMutableBufferPointer {
                    _ = Loss.huber(prediction: p, target: t, gradient: $0)
                } } }
                dQ.withUnsafeMutableBufferPointer { dq in
                    dq.update(repeating: 0)
                    dLoss.withUnsafeBufferPointer { Loss.gatherBackward(dout: $0, actions: a, actionCount: 2, dq: dq) }
                    online.backward(outputGradient: dq.baseAddress!, workspace: onlineWorkspace)
                }
            }
        }
        clipGradientNorm(online.gradients, maxNorm: 10)
        adam.update(online)
    }
}

/// (c) One SAC update (Haarnoja et al. 2018, SB3's order): α loss, critic loss, actor loss, Polyak.
final class SACUpdate {
    let obsSize = 3, actSize = 1, batch = 256
    let gamma: Float = 0.99, tau: Float = 0.005
    let actor: MLP, q1: MLP, q2: MLP, q1Target: MLP, q2Target: MLP
    let actorAdam: Adam, q1Adam: Adam, q2Adam: Adam
    var logAlpha: [Float] = [0], logAlphaGradient: [Float] = [0]
    let alphaAdam = Adam(parameterCount: 1, learningRate: 3e-4)
    let head: GaussianPolicyHead
    let targetEntropy: Float
    let actorWorkspace: MLP.Workspace
    let criticWorkspaces: [MLP.Workspace]
    let observations: [[Float]], nextObservations: [[Float]], actions: [[Float]]
    let rewards: [Float], dones: [Float]
    var stateAction: [Float], nextStateAction: [Float], y: [Float], minQ: [Float], dQ1: [Float], dQ2: [Float]
    var firstIsMin: [Bool], dInput1: [Float], dInput2: [Float], dActions: [Float], dLogP: [Float], dRaw: [Float]
    var logPi: [Float]
    var rng = Xoshiro256(seed: 1)

    init() {
        var init_ = Xoshiro256(seed: 0)
        actor = MLP(sizes: [obsSize, 256, 256, 2 * actSize], activation: .relu, rng: &init_)
        q1 = MLP(sizes: [obsSize + actSize, 256, 256, 1], activation: .relu, rng: &init_)
        q2 = MLP(sizes: [obsSize + actSize, 256, 256, 1], activation: .relu, rng: &init_)
        q1Target = MLP(copying: q1)
        q2Target = MLP(copying: q2)
        actorAdam = Adam(for: actor, learningRate: 3e-4)
        q1Adam = Adam(for: q1, learningRate: 3e-4)
        q2Adam = Adam(for: q2, learningRate: 3e-4)
        head = GaussianPolicyHead(actionSize: actSize, maxBatch: batch)
        targetEntropy = -Float(actSize)
        actorWorkspace = actor.makeWorkspace(maxBatch: batch)
        let critic = q1, size = batch
        criticWorkspaces = (0..<4).map { _ in critic.makeWorkspace(maxBatch: size) }
        observations = batches(16, batch * obsSize, &init_)
        nextObservations = batches(16, batch * obsSize, &init_)
        actions = batches(16, batch * actSize, &init_)
        var rewardValues = [Float](repeating: 0, count: batch)
        for b in 0..<batch { rewardValues[b] = Float(init_.nextStandardNormal()) }
        rewards = rewardValues
        dones = Array(repeating: 0, count: batch)
        stateAction = Array(repeating: 0, count: batch * (obsSize + actSize))
        nextStateAction = stateAction
        y = Array(repeating: 0, count: batch)
        minQ = y; dQ1 = y; dQ2 = y; logPi = y; dLogP = y
        firstIsMin = Array(repeating: false, count: batch)
        dInput1 = Array(repeating: 0, count: batch * (obsSize + actSize))
        dInput2 = dInput1
        dActions = Array(repeating: 0, count: batch * actSize)
        dRaw = Array(repeating: 0, count: batch * 2 * actSize)
    }

    /// Writes [s, a] rows into `out` (batch, obs + act).
    func concatenate(_ s: UnsafeBufferPointer<Float>, _ a: UnsafeBufferPointer<Float>, into out: inout [Float]) {
        let w = obsSize + actSize
        for b in 0..<batch {
            for j in 0..<obsSize { out[b * w + j] = s[b * obsSize + j] }
            for j in 0..<actSize { out[b * w + obsSize + j] = a[b * actSize + j] }
        }
    }

    /// One critic's ½·MSE(Q(s, a), y) forward and backward.
    func criticStep(_ net: MLP, _ ws: MLP.Workspace, _ x: UnsafeBufferPointer<Float>, _ grad: inout [Float]) {
        let q = net.forward(x.baseAddress!, batch: batch, workspace: ws)
        y.withUnsafeBufferPointer { t in grad.withUnsafeMutableBufferPointer { g in
            _ = Loss.meanSquaredError(prediction: UnsafeBufferPointer(q), target: t, gradient: g)
            for k in g.indices { g[k] *= 0.5 }
        } }
        grad.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: ws) }
    }

    func step(_ i: Int) {
        let s = observations[i & 15], next = nextObservations[i & 15], a = actions[i & 15]
        let alpha = expf(logAlpha[0])
        // Target: y = r + γ(1 − d)(min Q′(s′, a′) − α log π(a′|s′)), a′ ~ π(·|s′).
        next.withUnsafeBufferPointer { sp in
            let raw = actor.forward(sp.baseAddress!, batch: batch, workspace: actorWorkspace)
            head.forward(UnsafeBufferPointer(raw), batch: batch, rng: &rng)
            concatenate(sp, UnsafeBufferPointer(head.actions), into: &nextStateAction)
        }
        nextStateAction.withUnsafeBufferPointer { x in
            let t1 = q1Target.forward(x.baseAddress!, batch: batch, workspace: criticWorkspaces[0])
            let t2 = q2Target.forward(x.baseAddress!, batch: batch, workspace: criticWorkspaces[1])
            for b in 0..<batch {
                y[b] = rewards[b] + gamma * (1 - dones[b]) * (min(t1[b], t2[b]) - alpha * head.logProbabilities[b])
            }
        }
        // Critics: ½ Σ MSE(Q_k(s, a), y), as SB3.
        s.withUnsafeBufferPointer { sp in a.withUnsafeBufferPointer { ap in concatenate(sp, ap, into: &stateAction) } }
        q1.zeroGradients()
        q2.zeroGradients()
        stateAction.withUnsafeBufferPointer { x in
            criticStep(q1, criticWorkspaces[0], x, &dQ1)
            criticStep(q2, criticWorkspaces[1], x, &dQ2)
        }
        q1Adam.update(q1)
        q2Adam.update(q2)
        // Actor: mean(α log π(a|s) − min Q(s, a)), a reparameterised, gradient through the critics.
        s.withUnsafeBufferPointer { sp in
            let raw = actor.forward(sp.baseAddress!, batch: batch, workspace: actorWorkspace)
            head.forward(UnsafeBufferPointer(raw), batch: batch, rng: &rng)
            concatenate(sp, UnsafeBufferPointer(head.actions), into: &stateAction)
        }
        stateAction.withUnsafeBufferPointer { x in
            let v1 = q1.forward(x.baseAddress!, batch: batch, workspace: criticWorkspaces[2])
            let v2 = q2.forward(x.baseAddress!, batch: batch, workspace: criticWorkspaces[3])
            let n = Float(batch)
            for b in 0..<batch {
                let first = v1[b] <= v2[b]
                firstIsMin[b] = first
                dQ1[b] = first ? -1 / n : 0
                dQ2[b] = first ? 0 : -1 / n
                dLogP[b] = alpha / n
                logPi[b] = head.logProbabilities[b]
            }
            // Input gradients only; the critics' parameter gradients from this pass are discarded.
            dQ1.withUnsafeBufferPointer { g in dInput1.withUnsafeMutableBufferPointer {
                q1.backward(outputGradient: g.baseAddress!, workspace: criticWorkspaces[2], inputGradient: $0.baseAddress!)
            } }
            dQ2.withUnsafeBufferPointer { g in dInput2.withUnsafeMutableBufferPointer {
                q2.backward(outputGradient: g.baseAddress!, workspace: criticWorkspaces[3], inputGradient: $0.baseAddress!)
            } }
        }
        let w = obsSize + actSize
        for b in 0..<batch {
            for j in 0..<actSize { dActions[b * actSize + j] = dInput1[b * w + obsSize + j] + dInput2[b * w + obsSize + j] }
        }
        actor.zeroGradients()
        dActions.withUnsafeBufferPointer { da in dLogP.withUnsafeBufferPointer { dl in dRaw.withUnsafeMutableBufferPointer {
            head.backward(dActions: da, dLogProbabilities: dl, draw: $0)
        } } }
        dRaw.withUnsafeBufferPointer { actor.backward(outputGradient: $0.baseAddress!, workspace: actorWorkspace) }
        actorAdam.update(actor)
        // α: loss −mean(log α · (log π + H̄)), so d/d log α = −mean(log π + H̄).
        var sum: Float = 0
        for b in 0..<batch { sum += logPi[b] + targetEntropy }
        logAlphaGradient[0] = -sum / Float(batch)
        logAlpha.withUnsafeMutableBufferPointer { p in logAlphaGradient.withUnsafeBufferPointer { alphaAdam.update(parameters: p, gradients: $0) } }
        q1Target.polyakUpdate(from: q1, tau: tau)
        q2Target.polyakUpdate(from: q2, tau: tau)
    }
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
